"""Words for the ticket search: one cutter for the stored text, the query and the highlight.

The words are cut here, in Python, for both databases, so that Thai is segmented as the
knowledge-base search segments it (PyThaiNLP, through ``retrieval.lexical``) and a query is cut
exactly as the text was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.lexical import tokenize_with_spans

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
# A ticket's bodies beyond this are not indexed (PostgreSQL refuses a tsvector over 1 MB).
MAX_FIELD_CHARS = 200_000
# PostgreSQL's built-in configurations by language code; any other language is indexed 'simple'.
PG_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
SIMPLE = "simple"

_THAI_RUN = "\u0e00-\u0e7f"
THAI = re.compile(f"([{_THAI_RUN}]+)")
# Letters and digits with their combining marks (Thai, Indic and Latin accents are marks: a
# plain \w would cut a word at each of them). Underscores and punctuation separate words.
_WORD = re.compile(rf"(?:[^\W_]|[\u0300-\u036f\u0900-\u0dff{_THAI_RUN}\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff])+")


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``text`` is; Thai runs are segmented into their words."""
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(text):
        if not THAI.search(match.group()):
            spans.append(match.span())
            continue
        offset = match.start()
        for piece in THAI.split(match.group()):
            if THAI.fullmatch(piece):
                spans.extend((offset + token.start, offset + token.end) for token in tokenize_with_spans(piece))
            elif piece:
                spans.append((offset, offset + len(piece)))
            offset += len(piece)
    return spans


def words(text: str) -> list[str]:
    if not THAI.search(text):
        return _WORD.findall(text)
    return [text[start:end] for start, end in word_spans(text)]


def field_text(texts: Iterable[str]) -> str:
    """Texts as one indexed field: their words separated by spaces."""
    return " ".join(" ".join(words(text)) for text in texts if text)[:MAX_FIELD_CHARS]


def pg_config(language: str) -> str:
    return PG_CONFIGS.get(language.split("-")[0].lower(), SIMPLE)


@dataclass(frozen=True)
class Term:
    """A word of the query, or a phrase (``c5@example.com`` is the phrase "c5 example com")."""

    words: tuple[str, ...]
    # The last word typed may be half a word (search as you type).
    prefix: bool = False


def parse(text: str) -> list[Term]:
    chunks = [words(chunk) for chunk in text[:MAX_QUERY_CHARS].split()]
    terms = [Term(tuple(chunk)) for chunk in chunks if chunk][:MAX_QUERY_WORDS]
    if terms and _prefixable(terms[-1]):
        terms[-1] = Term(terms[-1].words, prefix=True)
    return terms


def _prefixable(term: Term) -> bool:
    word = term.words[-1]
    return len(word) >= 3 and not word.isdigit() and not THAI.search(word)
