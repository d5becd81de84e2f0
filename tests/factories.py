"""Small builders for test data: ``create_ticket(session, **overrides)`` and friends."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from accounts.models import Role, User
from accounts.service import Principal, create_user, issue_api_token, principal_for_user
from helpdesk import service
from helpdesk.models import Ticket, TicketChannel
from helpdesk.schemas import TicketCreate

_counter = itertools.count(1)


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}{next(_counter)}@example.com"


def create_staff(session: Session, *, role: Role = Role.AGENT, **overrides: Any) -> User:
    values = {"email": unique_email(role.value), "name": f"{role.value.title()} {next(_counter)}", "role": role}
    values.update(overrides)
    return create_user(session, **values)


def create_customer_user(session: Session, **overrides: Any) -> User:
    values = {"email": unique_email("customer"), "name": "Casey Customer", "role": Role.CUSTOMER}
    values.update(overrides)
    return create_user(session, **values)


def token_for(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_api_token(session, user)}"}


def staff_principal(session: Session, **overrides: Any) -> Principal:
    return principal_for_user(create_staff(session, **overrides))


def create_ticket(session: Session, **overrides: Any) -> Ticket:
    channel = overrides.pop("channel", TicketChannel.WEB)
    values: dict[str, Any] = {
        "customer_email": unique_email("customer"),
        "customer_name": "Casey Customer",
        "subject": "My thermostat will not connect to Wi-Fi",
        "body": "Since yesterday the thermostat shows offline in the app and will not reconnect to the router.",
    }
    values.update(overrides)
    return service.create_ticket(session, TicketCreate(**values), channel=channel)
