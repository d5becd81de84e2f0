"""Imports every domain's models so that Base.metadata knows all tables (migrations, tests)."""

from __future__ import annotations

import accounts.models  # noqa: F401
import aftersales.claim_models  # noqa: F401
import aftersales.lifecycle_models  # noqa: F401
import aftersales.models  # noqa: F401
import helpdesk.email.models  # noqa: F401
import helpdesk.models  # noqa: F401
import helpdesk.notifications.models  # noqa: F401
import helpdesk.operations.models  # noqa: F401
import helpdesk.presence  # noqa: F401
import kb.feedback.models  # noqa: F401
import kb.forum.models  # noqa: F401
import kb.models  # noqa: F401
import kb.search.models  # noqa: F401
from aftercare.db import Base

metadata = Base.metadata
