"""HTML mail to plain text: what a person would read, with nothing active left in it.

Scripts, styles and the document head are dropped with their content; block elements become
line breaks; links keep their address when it differs from their text. With ``drop_quotes``
the quoted part of a reply is left out too: ``<blockquote>``, Gmail's ``gmail_quote``, Yahoo's
``yahoo_quoted``, Thunderbird's ``moz-cite-prefix``, and everything after Outlook's
``divRplyFwdMsg``/``appendonsend`` markers (Outlook puts the quote after them, not inside).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP_CONTENT = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "svg", "math"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "dd",
        "dt",
        "address",
    }
)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"})
_QUOTE_CLASSES = frozenset(
    {"gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote"}
)
_QUOTE_STARTS_AFTER_IDS = frozenset({"divrplyfwdmsg", "appendonsend"})


class _TextExtractor(HTMLParser):
    def __init__(self, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.parts: list[str] = []
        self.skip_depth = 0
        self.quote_depth = 0
        self.stopped = False
        self.pre_depth = 0
        self.stack: list[str] = []
        self.link_href: list[str | None] = []
        self.link_text_start: list[int] = []

    def _is_quote(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if not self.drop_quotes:
            return False
        classes = set((attrs.get("class") or "").lower().split())
        return tag == "blockquote" or bool(classes & _QUOTE_CLASSES)

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {name.lower(): value for name, value in attrs_list}
        if self.drop_quotes and (attrs.get("id") or "").lower() in _QUOTE_STARTS_AFTER_IDS:
            self.stopped = True
        if tag in _VOID:
            if tag in _BLOCK:
                self._newline()
            return
        self.stack.append(tag)
        if self.skip_depth or tag in _SKIP_CONTENT:
            self.skip_depth += 1
            return
        if self.quote_depth or self._is_quote(tag, attrs):
            self.quote_depth += 1
            return
        if tag in _BLOCK:
            self._newline()
        if tag == "li":
            self.parts.append("- ")
        if tag == "pre":
            self.pre_depth += 1
        if tag == "a":
            self.link_href.append(attrs.get("href"))
            self.link_text_start.append(len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        # Close everything left open inside this element (HTML mail is rarely well formed).
        while self.stack:
            open_tag = self.stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if self.quote_depth:
            self.quote_depth -= 1
            return
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
        if tag == "a" and self.link_href:
            href = self.link_href.pop()
            start = self.link_text_start.pop()
            text = "".join(self.parts[start:]).strip()
            if href and href.startswith(("http://", "https://")) and href.rstrip("/") != text.rstrip("/"):
                self.parts.append(f" ({href})")
        if tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.quote_depth or self.stopped:
            return
        if self.pre_depth:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def _newline(self) -> None:
        if not self.stopped and not self.skip_depth and not self.quote_depth:
            self.parts.append("\n")


def html_to_text(html: str, *, drop_quotes: bool = False) -> str:
    extractor = _TextExtractor(drop_quotes)
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
