"""Highlights for the ticket search, built from the stored text, never from the database's
``snippet()``: the pieces are plain text, escaped when written as HTML (:func:`to_html`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

from helpdesk.ticket_search.tokens import THAI, Term, word_spans
from retrieval.lexical import normalize_word

SNIPPET_CHARS = 180

Fragment = tuple[str, bool]


class Highlighter:
    """Finds the query's words in text as the index matched them: the same words, folded the way
    ``retrieval.lexical.normalize_word`` folds them (case, accents, plural and -ed/-ing endings),
    and the half-typed last word as a beginning."""

    def __init__(self, terms: list[Term]) -> None:
        self.exact = {normalize_word(word) for term in terms for word in term.words}
        self.prefixes = [
            p for term in terms if term.prefix for p in (normalize_word(term.words[-1]), term.words[-1].casefold())
        ]
        self._seen: dict[str, bool] = {}
        # A quick first pass: where a word could begin that matches (its first letters).
        stems = {
            re.escape(
                word.casefold() if THAI.search(word) or word.isdigit() else word.casefold()[: max(3, len(word) - 3)]
            )
            for term in terms
            for word in term.words
        }
        self.candidates = re.compile("|".join(sorted(stems, key=len, reverse=True)), re.IGNORECASE)

    def matches(self, word: str) -> bool:
        # Remembered: a page's snippets repeat the same words, and normalize_word is the costly part.
        known = self._seen.get(word)
        if known is None:
            normal = normalize_word(word)
            folded = word.casefold()
            known = normal in self.exact or any(normal.startswith(p) or folded.startswith(p) for p in self.prefixes)
            self._seen[word] = known
        return known

    def first(self, text: str) -> int | None:
        """Where the first matching word of ``text`` begins, if any."""
        for candidate in self.candidates.finditer(text):
            around = max(0, candidate.start() - 40)
            for start, end in word_spans(text[around : candidate.end() + 40]):
                if around + start <= candidate.start() < around + end:
                    if self.matches(text[around + start : around + end]):
                        return around + start
                    break
        return None

    def fragments(self, text: str, start: int = 0, end: int | None = None) -> list[Fragment]:
        end = len(text) if end is None else end
        pieces: list[Fragment] = []
        position = start
        for word_start, word_end in word_spans(text[start:end]):
            word_start, word_end = word_start + start, word_end + start
            if self.matches(text[word_start:word_end]):
                if word_start > position:
                    pieces.append((text[position:word_start], False))
                pieces.append((text[word_start:word_end], True))
                position = word_end
        if position < end:
            pieces.append((text[position:end], False))
        return pieces

    def snippet(self, texts: Sequence[str], *, width: int = SNIPPET_CHARS) -> list[Fragment]:
        """A window of the first text with a match, around its first match (or the first text's start)."""
        for text in texts:
            first = self.first(text)
            if first is None:
                continue
            start = max(0, first - width // 3)
            if start > 0:
                # Start at a word, not inside one.
                space = text.find(" ", start, first)
                start = space + 1 if space != -1 else first
            end = min(len(text), start + width)
            if end < len(text):
                space = text.rfind(" ", start + width // 2, end)
                end = space if space != -1 else end
            pieces = self.fragments(text, start, end)
            return [*([("…", False)] if start > 0 else []), *pieces, *([("…", False)] if end < len(text) else [])]
        if texts:
            return [(texts[0][:width] + ("…" if len(texts[0]) > width else ""), False)]
        return []


def to_html(fragments: Sequence[Fragment]) -> Markup:
    """The pieces as HTML: every piece escaped, the matches in <mark>."""
    return Markup("").join(Markup("<mark>{}</mark>").format(text) if hit else escape(text) for text, hit in fragments)
