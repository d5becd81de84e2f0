"""Taking one person out of text that stays: their names, addresses and the words they wrote.

Text the person wrote is replaced whole (``ERASED``). Text that stays because others wrote it (an
agent's reply on their ticket, a forum answer to their question, a notification about their ticket)
goes through a ``Scrubber``: first every run of their own words that others quoted (any
``QUOTE_WORDS`` words in a row that they wrote, compared case-insensitively and whatever the spacing
or punctuation between them), then the forum's anonymiser (``kb.forum.promotion.anonymise``: names
whole and part by part, e-mail addresses, phone numbers, signed-link tokens). Shorter runs are left
alone: "thank you" in an agent's reply is not the person's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kb.forum.promotion import anonymise

# What the person's own text becomes: a marker for the agents, in the style of the anonymiser's.
ERASED = "[erased]"
# Five words in a row: long enough that a run shared by chance is rare, short enough to catch a quote.
QUOTE_WORDS = 5
# An address's local part shorter than this ("jo", "me") would blank ordinary words.
MIN_LOCAL_PART_CHARS = 3
_WORD = re.compile(r"\w+")


def word_runs(texts: Iterable[str | None], size: int = QUOTE_WORDS) -> set[tuple[str, ...]]:
    """Every ``size`` consecutive words of ``texts``, case-folded."""
    runs: set[tuple[str, ...]] = set()
    for text in texts:
        if not text:
            continue
        words = [match.group().casefold() for match in _WORD.finditer(text)]
        runs.update(tuple(words[i : i + size]) for i in range(len(words) - size + 1))
    return runs


def remove_runs(text: str, runs: set[tuple[str, ...]], size: int = QUOTE_WORDS) -> str:
    """``text`` with every stretch covered by one of ``runs`` replaced by ``ERASED``."""
    if not runs:
        return text
    matches = list(_WORD.finditer(text))
    words = [match.group().casefold() for match in matches]
    covered = [False] * len(words)
    for i in range(len(words) - size + 1):
        if tuple(words[i : i + size]) in runs:
            covered[i : i + size] = [True] * size
    pieces: list[str] = []
    position = 0
    i = 0
    while i < len(words):
        if not covered[i]:
            i += 1
            continue
        start = i
        while i < len(words) and covered[i]:
            i += 1
        pieces += [text[position : matches[start].start()], ERASED]
        position = matches[i - 1].end()
    pieces.append(text[position:])
    return "".join(pieces)


class Scrubber:
    """Removes one person from text others wrote (see the module doc)."""

    def __init__(self, *, names: Iterable[str], addresses: Iterable[str], own_texts: Iterable[str | None]) -> None:
        self.names = sorted({" ".join(name.split()) for name in names if name and name.strip()})
        self.addresses = sorted({address.strip().lower() for address in addresses if address and address.strip()})
        # "emma.jones" is often the name itself, also written "emma jones".
        self.whole_words: list[str] = []
        for address in self.addresses:
            local = address.split("@", 1)[0]
            if len(local) >= MIN_LOCAL_PART_CHARS:
                self.whole_words += [local, re.sub(r"[._-]+", " ", local)]
        # The anonymiser finds addresses by their shape; these also catch one written oddly.
        self._address_patterns = [re.compile(re.escape(address), re.IGNORECASE) for address in self.addresses]
        self._own_runs = word_runs(own_texts)

    def text(self, value: str) -> str:
        if not value:
            return value
        # Their quoted words first: once their name in them is replaced, the runs no longer match.
        cleaned = remove_runs(value, self._own_runs)
        cleaned = anonymise(cleaned, self.names, whole_words=self.whole_words)
        for pattern in self._address_patterns:
            cleaned = pattern.sub("[email]", cleaned)
        return cleaned

    def optional(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def json(self, value: Any) -> Any:
        """Every string in a JSON value (headers, audit details) scrubbed, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(key)): self.json(item) for key, item in value.items()}
        return value
