"""Helpers for HTML forms: turn pydantic validation errors into per-field messages people can act on."""

from __future__ import annotations

import gettext
from collections.abc import Iterable

from pydantic import ValidationError

from web.i18n import N_

REQUIRED = N_("Please fill in this field.")
TOO_LONG = N_("This is too long: at most %(max)s characters.")
INVALID_EMAIL = N_("Enter a valid e-mail address, such as name@example.com.")
INVALID = N_("This value is not valid.")


def field_errors(error: ValidationError) -> dict[str, str]:
    """Per field, the first message pydantic gave (English; for staff-facing forms)."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "form"
        messages.setdefault(field, str(item.get("msg", "invalid value")).removeprefix("Value error, "))
    return messages


def localized_field_errors(
    error: ValidationError,
    translations: gettext.NullTranslations,
    *,
    email_fields: Iterable[str] = ("customer_email", "email"),
) -> dict[str, str]:
    """Per field, one message in the reader's language (pydantic's own wording is English-only)."""
    email_fields = set(email_fields)
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "form"
        if field in messages:
            continue
        kind = item.get("type", "")
        if field in email_fields and kind not in ("missing",):
            message = translations.gettext(INVALID_EMAIL)
        elif kind == "string_too_long":
            limit = (item.get("ctx") or {}).get("max_length", "?")
            message = translations.gettext(TOO_LONG) % {"max": limit}
        elif kind in ("missing", "string_too_short", "value_error"):
            message = translations.gettext(REQUIRED)
        else:
            message = translations.gettext(INVALID)
        messages[field] = message
    return messages
