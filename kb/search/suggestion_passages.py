"""The passage of an article that "Insert" puts into an agent's reply: the matched section, not
the whole article.

``matched_passage`` finds the section of the article that holds the search's snippet (or, when the
title or a listed question matched, the section that shares most of the ticket's rarer words) and
cuts it to a reply's length. Pure text work on Markdown: no database, no search.
"""

from __future__ import annotations

import math
import re

from retrieval.chunking import markdown_to_text
from retrieval.lexical import tokenize

# A passage for a reply: one section of an article (the demo's run 200-500 characters), cut at a
# paragraph or line if longer; a third of a typical 1,600-character article at most.
MAX_PASSAGE_CHARS = 700
# Characters of a snippet's start that locate it in a section (after punctuation and markup are
# dropped); long enough not to occur by chance, short enough to survive the excerpt's cut.
SNIPPET_PROBE_CHARS = 40

_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s+")
_FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")
_LIST_MARKER = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def article_sections(markdown: str) -> list[str]:
    """The article's Markdown split before each heading (outside code blocks); the text before the
    first heading is a section of its own. Empty sections are dropped."""
    sections: list[list[str]] = [[]]
    fence: str | None = None
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE_LINE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and _HEADING_LINE.match(line):
            sections.append([])
        sections[-1].append(line)
    return [text for text in ("\n".join(lines).strip() for lines in sections) if text]


def _comparable(markdown: str) -> str:
    """Letters and digits only, case-folded, without list markers, headings' hashes or inline markup:
    the form in which an indexed snippet (plain text, "•" for list items) and its source agree."""
    lines = (_LIST_MARKER.sub("", _HEADING_LINE.sub("", line)) for line in markdown.split("\n"))
    return _NOT_WORD.sub("", markdown_to_text("\n".join(lines)).casefold())


def _section_with_snippet(sections: list[str], snippet: str) -> int | None:
    probe = _comparable(snippet)[:SNIPPET_PROBE_CHARS]
    if len(probe) < SNIPPET_PROBE_CHARS // 2:
        return None
    return next((index for index, section in enumerate(sections) if probe in _comparable(section)), None)


def _section_sharing_words(sections: list[str], query: str) -> int | None:
    """The section sharing the most of the query's words, each weighted by how few sections hold it
    (a word every section has, like the product's name, tells nothing)."""
    wanted = set(tokenize(query))
    if not wanted:
        return None
    terms = [set(tokenize(markdown_to_text(section))) & wanted for section in sections]
    counts: dict[str, int] = {}
    for found in terms:
        for term in found:
            counts[term] = counts.get(term, 0) + 1
    scores = [sum(math.log(1 + len(sections) / counts[term]) for term in found) for found in terms]
    best = max(range(len(sections)), key=lambda index: (scores[index], -index), default=None)
    return best if best is not None and scores[best] > 0 else None


def _reflow(markdown: str) -> str:
    """Lines wrapped inside a paragraph joined; list items, headings and blank lines kept."""
    out: list[str] = []
    for line in markdown.split("\n"):
        joins = (
            out
            and out[-1].strip()
            and line.strip()
            and not _LIST_MARKER.match(line)
            and not _HEADING_LINE.match(line)
            and not _HEADING_LINE.match(out[-1])
        )
        if joins:
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line.rstrip())
    return "\n".join(out)


def _cut_passage(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    for separator in ("\n\n", "\n", ". ", " "):
        cut = text.rfind(separator, 0, limit)
        if cut > limit // 2:
            return text[: cut + (1 if separator == ". " else 0)].rstrip() + "\n…"
    return text[:limit].rstrip() + "…"


def matched_passage(
    body_markdown: str,
    snippet: str,
    query: str,
    *,
    found_markdown: str | None = None,
    max_chars: int = MAX_PASSAGE_CHARS,
) -> str:
    """The section of ``body_markdown`` (Markdown, paragraphs unwrapped) that answers: the one
    holding ``snippet``, else the one sharing most of ``query``'s words, else the first.

    When the reply is in another translation than the one search matched (``found_markdown``),
    the section is located there and taken at the same position here, if both have as many
    sections; a translation keeps its source's structure, its words are another language's.
    """
    sections = article_sections(body_markdown)
    if not sections:
        return ""
    index: int | None = None
    if found_markdown is not None and found_markdown != body_markdown:
        found_sections = article_sections(found_markdown)
        if len(found_sections) == len(sections):
            index = _section_with_snippet(found_sections, snippet)
            if index is None:
                index = _section_sharing_words(found_sections, query)
    if index is None:
        index = _section_with_snippet(sections, snippet)
    if index is None:
        index = _section_sharing_words(sections, query)
    return _cut_passage(_reflow(sections[index or 0]), max_chars)
