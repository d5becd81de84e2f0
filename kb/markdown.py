"""Article Markdown to safe HTML: markdown-it-py renders, nh3 (Ammonia) sanitises with an allow-list.

Two independent layers, so a mistake in one is caught by the other: markdown-it-py never passes
raw HTML through (``html=False``) and refuses dangerous link schemes; nh3 then keeps only the tags,
attributes and URL schemes listed below, whatever the renderer produced. Titles are plain text
and are never rendered here: Jinja escapes them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# Table alignment arrives as classes (see _alignment_as_class): style attributes never survive.
ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {"th": ALIGN_CLASSES, "td": ALIGN_CLASSES}
# No javascript:, vbscript:, data: or anything else; relative URLs are kept (nh3's default).
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
# Their content is dropped with the tag (kept as text, a script's source would show on the page).
DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"})

_ALIGN_STYLE = re.compile(r"^text-align:\s*(left|center|right)$")


def _alignment_as_class(state: object) -> None:
    """Turn markdown-it's ``style="text-align:x"`` on table cells into a class the sanitiser allows."""
    tokens: list[Token] = state.tokens  # type: ignore[attr-defined]
    for token in tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style"):
            match = _ALIGN_STYLE.match(str(token.attrs.pop("style")))
            if match:
                token.attrs["class"] = f"align-{match.group(1)}"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])
    parser.core.ruler.push("alignment_as_class", _alignment_as_class)
    return parser


def sanitize_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; add rel to every link."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={tag: set(classes) for tag, classes in ALLOWED_CLASSES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Markdown to HTML that is safe to put in a page as is (``{{ html }}`` needs no ``|safe``)."""
    return Markup(sanitize_html(_parser().render(text)))
