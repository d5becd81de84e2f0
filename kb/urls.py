"""Where an article is read: the one place that builds its address.

``/articles/{slug}``, with ``?lang=`` for a language version and ``?attempt=`` for the contact
form's deflection funnel. Two forms of the slug, on purpose:

- ``article_path`` percent-encodes it: links in pages and e-mails, where any client must parse it.
- ``version_path`` keeps it as written (a Thai slug stays Thai) for the ``url`` of search results
  and offered articles, and for replies an agent pastes: readable and recognisable there, and the
  same address to a browser. It also leaves out ``?lang=`` for the article's own (source) language.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

ARTICLES = "/articles"


def article_path(slug: str, *, lang: str | None = None, attempt: str | None = None) -> str:
    """The site-relative address of an article (``lang`` picks a version, ``attempt`` a funnel step)."""
    params = {key: value for key, value in (("lang", lang), ("attempt", attempt)) if value}
    return f"{ARTICLES}/{quote(slug)}" + (f"?{urlencode(params)}" if params else "")


def article_url(base_url: str, slug: str, lang: str | None = None) -> str:
    """The absolute address of an article, for e-mails (``base_url`` is the site's, AFTERCARE_BASE_URL)."""
    return base_url.rstrip("/") + article_path(slug, lang=lang)


def version_path(slug: str, locale: str, source_locale: str) -> str:
    """One language version of an article, its slug as written; the source version needs no ``?lang=``."""
    return f"{ARTICLES}/{slug}" + (f"?lang={locale}" if locale != source_locale else "")
