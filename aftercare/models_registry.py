"""Imports every domain's models so that Base.metadata knows all tables (migrations, tests)."""

from __future__ import annotations

import helpdesk.models  # noqa: F401
from aftercare.db import Base

metadata = Base.metadata
