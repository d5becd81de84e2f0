"""Interface language: choosing it per request, and gettext catalogues for the templates.

The choice, first match wins: ``?lang=`` on the URL (one request, e.g. a link in an e-mail),
the language switcher's cookie, the browser's ``Accept-Language`` (by q-value), the site
default. Catalogues are the ``.po`` files under ``web/locale``, compiled in memory at first use:
a fresh ``pip install`` works without a compile step and a ``.mo`` can never be stale.
"""

from __future__ import annotations

import gettext as gettext_module
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request
from jinja2 import pass_context
from jinja2.runtime import Context

from retrieval.language import normalize_language_tag

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGE_COOKIE = "aftercare_lang"
LANGUAGE_QUERY = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
SOURCE_LANGUAGE = "en"
# Each language named in itself, so that a reader finds their own in the switcher.
NATIVE_NAMES = {
    "en": "English",
    "pl": "Polski",
    "id": "Bahasa Indonesia",
    "tl": "Tagalog",
    "th": "ไทย",
}
# Babel (CLDR) has no "tl" data of its own; Filipino is the standardised form of Tagalog.
_BABEL_LOCALES = {"tl": "fil"}
_MAX_ACCEPT_LANGUAGE_ITEMS = 20


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@lru_cache(maxsize=16)
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue of ``language`` (English, the source language, needs none)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not po_path.is_file():
        return gettext_module.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=_BABEL_LOCALES.get(language, language), domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def has_catalogue(language: str) -> bool:
    return language == SOURCE_LANGUAGE or (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()


def interface_languages(configured: list[str]) -> list[str]:
    """The configured languages the interface speaks (English is always there as a fallback)."""
    languages = [language for language in configured if has_catalogue(language)]
    return languages or [SOURCE_LANGUAGE]


def parse_accept_language(header: str) -> list[str]:
    """Language ranges of an ``Accept-Language`` header, most wanted first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:_MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            # Sorted by quality, then by the order the browser gave (a stable tie-break).
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def match_language(tag: str | None, available: list[str]) -> str | None:
    """``tag`` (any spelling: "pl-PL", "fil", "th_TH") as one of ``available``, or None."""
    if not tag:
        return None
    # The normal form is already a bare ISO 639-1 code: there is no region left to fall back from.
    normalized = normalize_language_tag(tag)
    return normalized if normalized in available else None


def choose_language(
    *, query: str | None, cookie: str | None, accept_language: str | None, available: list[str], default: str
) -> str:
    for explicit in (query, cookie):
        chosen = match_language(explicit, available)
        if chosen is not None:
            return chosen
    for tag in parse_accept_language(accept_language or ""):
        chosen = match_language(tag, available)
        if chosen is not None:
            return chosen
    return default if default in available else available[0]


def request_language(request: Request) -> str:
    """The interface language of this request (worked out once, then kept on the request)."""
    cached = getattr(request.state, "ui_language", None)
    if cached is not None:
        return cached
    settings = request.app.state.settings
    available = interface_languages(settings.languages)
    language = choose_language(
        query=request.query_params.get(LANGUAGE_QUERY),
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
        available=available,
        default=settings.default_language,
    )
    request.state.ui_language = language
    return language


def translator(request: Request) -> gettext_module.NullTranslations:
    """For messages built in Python: ``translator(request).gettext("...")``."""
    return translations(request_language(request))


def language_choices(request: Request) -> list[tuple[str, str]]:
    available = interface_languages(request.app.state.settings.languages)
    return [(code, NATIVE_NAMES.get(code, code)) for code in available]


def babel_locale(language: str) -> Locale:
    return Locale.parse(_BABEL_LOCALES.get(language, language))


# --- Jinja glue: every function reads the language from the template's own context, so one
# shared environment serves concurrent requests in different languages without global state.


def context_language(context: Context) -> str:
    language = context.get("ui_language")
    return language if isinstance(language, str) else SOURCE_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, number: int) -> str:
    return translations(context_language(context)).ngettext(singular, plural, number)


@pass_context
def _pgettext(context: Context, message_context: str, message: str) -> str:
    return translations(context_language(context)).pgettext(message_context, message)


@pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str, number: int) -> str:
    return translations(context_language(context)).npgettext(message_context, singular, plural, number)


@pass_context
def translate_label(context: Context, message: str) -> str:
    """Translate a label marked with ``N_`` in Python. Returns plain text, so it is escaped."""
    return str(translations(context_language(context)).gettext(message))


@pass_context
def datetime_filter(context: Context, value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    locale = babel_locale(context_language(context))
    return format_datetime(value, format=format, tzinfo=UTC, locale=locale)


@pass_context
def ago_filter(context: Context, value: datetime | None) -> str:
    """'3 hours ago' in the interface language."""
    if value is None:
        return ""
    delta = value - datetime.now(UTC)
    return format_timedelta(delta, add_direction=True, threshold=1.0, locale=babel_locale(context_language(context)))


@pass_context
def number_filter(context: Context, value: int | float) -> str:
    return format_decimal(value, locale=babel_locale(context_language(context)))


def install(env: Any) -> None:
    """Add the i18n extension and our context-aware gettext callables to a Jinja environment."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext, newstyle=True
    )
    env.globals["label"] = translate_label
    env.filters["datetime"] = datetime_filter
    env.filters["ago"] = ago_filter
    env.filters["number"] = number_filter
