"""Canned replies (macros): admins keep them, agents insert them into a reply with placeholders filled.

Placeholders are a closed list substituted in one pass, never a template language: a macro body
(or a customer's name) can't run code or read anything beyond the listed fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts import guards
from accounts.models import User
from accounts.service import Principal
from aftercare.errors import Conflict, NotFound
from helpdesk.models import Macro, Ticket
from helpdesk.schemas import LanguageTag

MAX_TITLE_CHARS = 120
MAX_BODY_CHARS = 10_000

# Anything that looks like a placeholder: {{ word.word }} with any spacing.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _first_name(name: str) -> str:
    return name.split()[0] if name.split() else ""


def _placeholder_values(ticket: Ticket, agent: User | None) -> dict[str, Callable[[], str]]:
    customer = ticket.requester
    return {
        "customer.name": lambda: customer.name or customer.email,
        "customer.first_name": lambda: _first_name(customer.name) or customer.email,
        "customer.email": lambda: customer.email,
        "ticket.id": lambda: str(ticket.id),
        "ticket.subject": lambda: ticket.subject,
        "ticket.status": lambda: str(ticket.status),
        "agent.name": lambda: agent.name if agent is not None else "",
        "agent.first_name": lambda: _first_name(agent.name) if agent is not None else "",
    }


PLACEHOLDERS: tuple[str, ...] = (
    "customer.name",
    "customer.first_name",
    "customer.email",
    "ticket.id",
    "ticket.subject",
    "ticket.status",
    "agent.name",
    "agent.first_name",
)


def unknown_placeholders(body: str) -> list[str]:
    found = {f"{obj}.{field}" for obj, field in PLACEHOLDER.findall(body)}
    return sorted(found - set(PLACEHOLDERS))


def _known_placeholders_only(body: str) -> str:
    unknown = unknown_placeholders(body)
    if unknown:
        allowed = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {', '.join(unknown)}; use one of {allowed}")
    return body


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def _blank_is_any_language(value: object) -> object:
    # The form's "any language" choice arrives as an empty string.
    if isinstance(value, str) and not value.strip():
        return None
    return value


MacroTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS), AfterValidator(_not_blank)
]
MacroBody = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_BODY_CHARS),
    AfterValidator(_not_blank),
    AfterValidator(_known_placeholders_only),
]


class MacroWrite(BaseModel):
    """A macro as an admin writes it (create and full update)."""

    model_config = ConfigDict(extra="forbid")

    title: MacroTitle
    body: MacroBody
    language: Annotated[LanguageTag | None, BeforeValidator(_blank_is_any_language)] = None


# Everyone on staff reads and uses canned replies; changing them is for admins.
ADMINS_ONLY = "only admins can change canned replies"


def list_macros(session: Session, *, language: str | None = None) -> list[Macro]:
    """All macros by title; with ``language``, that language's first, then the ones for any language."""
    macros = list(session.scalars(select(Macro).order_by(func.lower(Macro.title), Macro.id)))
    if language is None:
        return macros
    return sorted(macros, key=lambda macro: 0 if macro.language == language else 1 if macro.language is None else 2)


def get_macro(session: Session, macro_id: int) -> Macro:
    macro = session.get(Macro, macro_id)
    if macro is None:
        raise NotFound(f"canned reply {macro_id} not found")
    return macro


def _check_title_free(session: Session, title: str, *, except_id: int | None = None) -> None:
    query = select(Macro.id).where(func.lower(Macro.title) == title.lower())
    if except_id is not None:
        query = query.where(Macro.id != except_id)
    if session.scalar(query) is not None:
        raise Conflict(f"a canned reply titled {title!r} already exists")


def create_macro(session: Session, data: MacroWrite, principal: Principal) -> Macro:
    guards.require_admin(principal, ADMINS_ONLY)
    _check_title_free(session, data.title)
    macro = Macro(
        title=data.title,
        body=data.body,
        language=data.language,
        created_by_id=principal.user.id if principal.user else None,
        updated_by_id=principal.user.id if principal.user else None,
    )
    session.add(macro)
    session.flush()
    return macro


def update_macro(session: Session, macro: Macro, data: MacroWrite, principal: Principal) -> Macro:
    guards.require_admin(principal, ADMINS_ONLY)
    _check_title_free(session, data.title, except_id=macro.id)
    macro.title = data.title
    macro.body = data.body
    macro.language = data.language
    macro.updated_by_id = principal.user.id if principal.user else None
    session.flush()
    return macro


def delete_macro(session: Session, macro: Macro, principal: Principal) -> None:
    guards.require_admin(principal, ADMINS_ONLY)
    session.delete(macro)
    session.flush()


def render_macro(macro: Macro, ticket: Ticket, agent: User | None) -> str:
    """The macro's body with placeholders filled in, as plain text for the reply editor.

    One pass of substitution: a value that itself looks like a placeholder (a customer named
    "{{agent.name}}") is inserted as typed, never expanded again.
    """
    values = _placeholder_values(ticket, agent)

    def substitute(match: re.Match[str]) -> str:
        key = f"{match.group(1)}.{match.group(2)}"
        produce = values.get(key)
        return produce() if produce is not None else match.group(0)

    return PLACEHOLDER.sub(substitute, macro.body)
