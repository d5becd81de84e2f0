"""Who may use the agent workspace pages: the page guards now live in ``web.deps``.

Kept as a re-export for the modules still importing from here (``web.pages.agent`` and
``web.pages.agent_suggestions``, which another change is reworking); new code imports ``web.deps``.
"""

from __future__ import annotations

from web.deps import PageAdmin, PageStaff, require_page_admin, require_page_staff

__all__ = ["PageAdmin", "PageStaff", "require_page_admin", "require_page_staff"]
