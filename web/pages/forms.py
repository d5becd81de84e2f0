"""Helpers for HTML forms: turn pydantic validation errors into per-field messages."""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "form"
        messages.setdefault(field, str(item.get("msg", "invalid value")).removeprefix("Value error, "))
    return messages
