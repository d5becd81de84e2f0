"""The knowledge base's after-commit subscribers: importing this module subscribes them all.

Every process imports it at start (``web.app.create_app``, ``entry.cli``, ``tests/conftest.py``);
see ``aftercare.events``. The confirmation e-mail with articles to try subscribes first (the
customer is waiting for it), then search's (index keeper, ticket suggestions, suggestion outcomes).
"""

from __future__ import annotations

import kb.feedback.subscribers  # noqa: F401 - subscribes on import
import kb.search.subscribers  # noqa: F401 - subscribes on import
