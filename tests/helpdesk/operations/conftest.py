"""Builders for operations tests: an admin principal, teams with members, a frozen SLA clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from accounts.models import Role
from accounts.service import principal_for_user
from helpdesk.operations import sla
from tests.factories import create_staff
from tests.helpdesk.email.conftest import memory_queue  # noqa: F401 - the worker's in-memory queue


@pytest.fixture
def admin(session):
    return principal_for_user(create_staff(session, role=Role.ADMIN))


@pytest.fixture
def clock(monkeypatch) -> Callable[[datetime], None]:
    """Freeze the SLA clock at a given instant (call again to move it)."""

    def set_to(instant: datetime) -> None:
        monkeypatch.setattr(sla, "utcnow", lambda: instant)

    return set_to
