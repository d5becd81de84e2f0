"""E-mail templates: subject, text and HTML from one Jinja2 template, in the reader's language.

Templates live in ``helpdesk/email/templates/email``. ``render_email("name", language, context)``
uses ``name.<language>.j2`` when a language needs its own layout, else ``name.j2`` with the
words of ``helpdesk.email.strings`` for that language. The HTML part is rendered with autoescape on;
subject and text with it off (they are not HTML, and escaping would show ``&amp;`` to readers).
Text written by people (an agent's reply) goes into HTML only through ``text_to_html``, which
escapes it and passes the result through the nh3 sanitiser; article HTML only through
``safe_html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from helpdesk.email.addressing import one_line
from helpdesk.email.models import EmailKind
from helpdesk.email.strings import email_language, words

TEMPLATES_DIR = Path(__file__).parent / "templates" / "email"
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
# What survives in e-mail HTML we did not write ourselves: text formatting and links, nothing active.
EMAIL_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "img",
}
EMAIL_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan"},
    "th": {"colspan"},
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    language: str


def safe_html(fragment: str) -> Markup:
    """HTML from elsewhere (an article, a customer) reduced to harmless formatting and links."""
    return Markup(
        nh3.clean(fragment, tags=EMAIL_TAGS, attributes=EMAIL_ATTRIBUTES, url_schemes={"http", "https", "mailto"})
    )


def text_to_html(text: str) -> Markup:
    """Plain text as HTML paragraphs: escaped, line breaks kept, web addresses made links."""
    paragraphs = [part for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if part.strip()]
    rendered = []
    for paragraph in paragraphs:
        escaped = str(escape(paragraph))
        linked = _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)
        rendered.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return safe_html("\n".join(rendered))


@lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["text_to_html"] = text_to_html
    environment.filters["safe_html"] = safe_html
    return environment


def _template_name(name: str, language: str) -> str:
    specific = f"{name}.{language}.j2"
    return specific if (TEMPLATES_DIR / specific).is_file() else f"{name}.j2"


def _tidy_text(text: str) -> str:
    # Templates are written for people to read; collapse the blank lines their tags leave behind.
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render_email(name: str, language: str | None, context: dict[str, Any]) -> RenderedEmail:
    """Render template ``name`` in ``language`` (falling back to the default, then English)."""
    chosen = email_language(language)
    template = _template_name(name, chosen)
    values = {"language": chosen, "w": words(chosen), **context}
    plain = _environment(False).get_template(template)
    html = _environment(True).get_template(template)
    return RenderedEmail(
        subject=one_line(plain.render(part="subject", **values)),
        text=_tidy_text(plain.render(part="text", **values)),
        html=html.render(part="html", **values).strip() + "\n",
        language=chosen,
    )


def render_footer(kind: EmailKind, language: str | None, unsubscribe_url: str) -> tuple[str, str]:
    """The unsubscribe footer the outbox adds under marketing and survey mail: (text, html)."""
    chosen = email_language(language)
    values = {"kind": str(kind), "w": words(chosen), "unsubscribe_url": unsubscribe_url}
    template = _template_name("footer", chosen)
    text = _environment(False).get_template(template).render(part="text", **values)
    html = _environment(True).get_template(template).render(part="html", **values)
    return "\n" + text.strip("\n") + "\n", html


def greeting(language: str | None, name: str | None) -> str:
    chosen = words(language)
    name = (name or "").strip()
    return chosen["greeting"].format(name=name) if name else chosen["greeting_anonymous"]
