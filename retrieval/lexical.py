"""Lexical search: Unicode-aware tokenisation (Thai segmented, CJK bigrams) and an incremental BM25 index.

A query word also matches other forms of it (the same first letters, see STEM_CHARS) and, for the
last word of a query typed so far, the words it begins (see MIN_PREFIX_CHARS); hyphenated words
are indexed as their parts and joined.

Scores come with a *strength* in about [0, 1]: the BM25 score divided by what a unit containing every
query term once would get. A query in another language than the corpus matches few or no terms, so its
strength stays near zero and fusion can tell "lexical has no evidence" from "lexical disagrees".
"""

from __future__ import annotations

import bisect
import json
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")
# A real sleep, not sleep(0): a thread that merely releases the GIL usually takes it straight back.
YIELD_SECONDS = 0.0001

THAI_RUN = "\u0e00-\u0e7f"
CJK_RUN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
# Hyphen-minus, hyphen, non-breaking hyphen. A hyphenated word ("Wi-Fi", "e-mail", Tagalog
# "i-reset") is indexed as its parts and as the parts joined, so "wifi", "wi-fi" and "fi" all match.
HYPHENS = "\\-\u2010\u2011"
_TOKEN_RE = re.compile(
    rf"(?P<thai>[{THAI_RUN}]+)|(?P<cjk>[{CJK_RUN}]+)|(?P<word>(?:[^\W_{THAI_RUN}{CJK_RUN}]|[\u0300-\u036f])+"
    r"(?:['’](?:[^\W_]|[\u0300-\u036f])+)*"
    rf"(?:[{HYPHENS}](?:[^\W_{THAI_RUN}{CJK_RUN}]|[\u0300-\u036f])+(?:['’](?:[^\W_]|[\u0300-\u036f])+)*)*)"
)
_HYPHEN_RE = re.compile(f"[{HYPHENS}]")
# Letters that do not decompose under NFKD but are typed without their mark on plain keyboards.
_FOLD = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "ð": "d", "þ": "th"})
# A light, language-neutral suffix stripper for Latin-script words (refunds/refunded/refunding -> refund).
# Applied to query and index alike, so over-stripping only merges rare near-duplicates.
_SUFFIXES = ("ing", "ed", "es", "s")

# Search-as-you-type sends half-typed words ("earb", "thermo"): the query's last term also matches
# the index terms it begins. Shorter prefixes are skipped ("ea" begins too many words to mean any).
MIN_PREFIX_CHARS = 3
# At most this many completions count, the most frequent first, so that a short prefix of a large
# index stays cheap (each one is one posting list to score).
MAX_COMPLETIONS = 32
# A last term that is itself a word of the index may still be a prefix ("card" of "cardholder"),
# but the word as typed is the likelier meaning: completions then count at this share of a match.
# A last term that the index does not hold counts its best completion as a full match.
KNOWN_WORD_COMPLETION_WEIGHT = 0.5
# Inflected languages (Polish above all) write one word in many forms: "ładowanie", "ładowania",
# "ładowaniem". A query term also matches the index terms that share its first STEM_CHARS letters,
# a light stemmer that needs no per-language rules; a form other than the one typed counts at
# STEM_WEIGHT of a match, so the form typed still wins when the text has it. `python
# bench/eval_polish.py` measures it (Polish hybrid recall@1 by query style; rerun with other values
# to compare): stemming lifts inflected and terse queries by far and leaves held-out neighbour
# sentences where they were; 5 letters beat 6 and 7, and a weight of 1.0 costs on neighbour and
# verbatim queries. On the `python bench/eval_retrieval.py --max-queries 500` sets it helps a
# little (banking77, bitext, sib200 id->en) or changes nothing (pl/tl/th->en).
STEM_CHARS = 5
STEM_WEIGHT = 0.7
# The most frequent forms of one stem that count (each is one posting list to score).
MAX_FORMS = 16
# New terms wait in a set until this many, then join the sorted vocabulary (one sort per batch,
# not per added unit); prefix look-ups scan the set, so it is kept small.
VOCABULARY_MERGE_EVERY = 2048


@dataclass(frozen=True)
class Token:
    term: str
    start: int
    end: int


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_FOLD)
    folded = folded.replace("'", "").replace("’", "")
    for suffix in _SUFFIXES:
        if len(folded) > len(suffix) + 3 and folded.endswith(suffix) and not folded.endswith("ss"):
            return folded[: -len(suffix)]
    return folded


def _thai_words(run: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize

    return word_tokenize(run, engine="newmm", keep_whitespace=True)


def warm_up_tokenizer() -> None:
    """Load the Thai segmenter's dictionary now: loading it is slow enough that it would otherwise
    show on the first Thai search of a process whose index holds no Thai text."""
    _thai_words("ทดสอบ")


def tokenize_with_spans(text: str) -> list[Token]:
    """Tokens with their character spans in ``text`` (for highlighting)."""
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        start = match.start()
        if match.lastgroup == "thai":
            offset = start
            for word in _thai_words(match.group()):
                if word.strip():
                    tokens.append(Token(word, offset, offset + len(word)))
                offset += len(word)
        elif match.lastgroup == "cjk":
            run = match.group()
            if len(run) == 1:
                tokens.append(Token(run, start, start + 1))
            for i in range(len(run) - 1):
                tokens.append(Token(run[i : i + 2], start + i, start + i + 2))
        else:
            word = match.group()
            parts = [part for part in _HYPHEN_RE.split(word) if part]
            if len(parts) > 1:
                offset = start
                for part in parts:
                    offset = text.index(part, offset)
                    term = normalize_word(part)
                    if term:
                        tokens.append(Token(term, offset, offset + len(part)))
                    offset += len(part)
                word = "".join(parts)
            term = normalize_word(word)
            if term:
                tokens.append(Token(term, start, match.end()))
    return tokens


def tokenize(text: str) -> list[str]:
    return [token.term for token in tokenize_with_spans(text)]


def stem_of(term: str) -> str | None:
    """The first STEM_CHARS letters of an alphabetic term at least that long, else None (short
    words, numbers and Thai/CJK segments are matched only as they are)."""
    if len(term) < STEM_CHARS or not term.isalpha() or re.search(f"[{THAI_RUN}{CJK_RUN}]", term):
        return None
    return term[:STEM_CHARS]


def _completable(term: str) -> bool:
    """Long enough to complete, and a word of a spaced script: Thai and CJK terms are segments or
    bigrams already, whose prefixes mean nothing."""
    return len(term) >= MIN_PREFIX_CHARS and not re.search(f"[{THAI_RUN}{CJK_RUN}]", term)


def find_term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose normalised tokens are in ``terms`` (e.g. a hit's matched
    terms), in order and never overlapping: "Wi-Fi" matched both whole and by its parts is one span."""
    wanted = set(terms)
    spans: list[tuple[int, int]] = []
    for start, end in sorted((token.start, token.end) for token in tokenize_with_spans(text) if token.term in wanted):
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def grown(array: np.ndarray, needed: int) -> np.ndarray:
    """``array``, or a copy at least twice as long (zero-filled) when it is shorter than ``needed``."""
    if needed <= len(array):
        return array
    larger = np.zeros(max(64, needed, 2 * len(array)), dtype=array.dtype)
    larger[: len(array)] = array
    return larger


class LexicalScores:
    """BM25 scores of one query against every unit, plus helpers to read them."""

    def __init__(
        self, index: LexicalIndex, terms: list[str], scores: np.ndarray, bound: float, completions: Sequence[str] = ()
    ) -> None:
        self._index = index
        self.terms = terms
        self.scores = scores
        self.bound = bound
        # Index terms that the query's last term begins and that were scored for it (see score_query).
        self.completions = list(completions)

    def top(self, limit: int) -> list[tuple[int, float]]:
        keys, scores = self.top_arrays(limit)
        return list(zip(keys.tolist(), scores.tolist(), strict=True))

    def top_arrays(self, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``limit`` best (keys, scores), best first; only keys with a positive score."""
        if not self.terms or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        candidates = np.flatnonzero(self.scores > 0)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-self.scores[candidates], limit - 1)[:limit]]
        order = candidates[np.argsort(-self.scores[candidates], kind="stable")]
        return self._index._slot_keys[order], self.scores[order]

    def positive_strengths(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, strengths) of every key with a positive score, in no particular order."""
        if not self.terms or self.bound <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        slots = np.flatnonzero(self.scores > 0)
        return self._index._slot_keys[slots], self.scores[slots].astype(np.float64) / self.bound

    def score(self, key: int) -> float:
        slot = self._index._slots.get(key)
        return float(self.scores[slot]) if slot is not None and slot < len(self.scores) else 0.0

    def strength(self, key: int) -> float:
        """Score relative to a unit holding each query term once: ~0 no evidence, ~1 all terms matched."""
        return self.score(key) / self.bound if self.bound > 0 else 0.0

    def matched_terms(self, key: int) -> list[str]:
        slot = self._index._slots.get(key)
        counts = self._index._forward[slot] if slot is not None else None
        if counts is None:
            return []
        return [term for term in (*self.terms, *self.completions) if term in counts]


class LexicalIndex:
    """Okapi BM25 over integer keys; add, replace and remove are incremental (no rebuild)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._slots: dict[int, int] = {}
        self._slot_keys = np.zeros(0, dtype=np.int64)  # slot -> key (grown with _lengths)
        self._forward: list[Counter[str] | None] = []
        self._free: list[int] = []
        self._lengths = np.zeros(0, dtype=np.float32)
        self._total_length = 0
        self._postings: dict[str, dict[int, int]] = {}
        # Per-term numpy views of the postings, rebuilt lazily when a term's postings change.
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # Every term, sorted, for prefix look-ups: terms added since the last sort wait in
        # _new_terms; removed ones linger until the next sort and are skipped when looked up.
        self._vocabulary: list[str] = []
        self._new_terms: set[str] = set()
        # stem -> the index terms that begin with it (see STEM_CHARS).
        self._forms: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def keys(self) -> list[int]:
        return list(self._slots)

    def terms_of(self, key: int) -> list[str]:
        """The key's terms, repeated by their counts."""
        counts = self._forward[self._slots[key]] or Counter()
        return [term for term, tf in counts.items() for _ in range(tf)]

    def add(self, key: int, text: str) -> None:
        self.add_terms(key, tokenize(text))

    def add_terms(self, key: int, terms: Sequence[str]) -> None:
        if key in self._slots:
            self.remove([key])
        counts = Counter(terms)
        if self._free:
            slot = self._free.pop()
            self._forward[slot] = counts
        else:
            slot = len(self._forward)
            self._forward.append(counts)
            self._lengths = grown(self._lengths, slot + 1)
            self._slot_keys = grown(self._slot_keys, slot + 1)
        self._slots[key] = slot
        self._slot_keys[slot] = key
        length = sum(counts.values())
        self._lengths[slot] = length
        self._total_length += length
        for term, tf in counts.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = {}
                self._new_terms.add(term)
                stem = stem_of(term)
                if stem is not None:
                    self._forms.setdefault(stem, set()).add(term)
            postings[slot] = tf
            self._arrays.pop(term, None)

    def remove(self, keys: Iterable[int]) -> None:
        for key in keys:
            slot = self._slots.pop(key, None)
            if slot is None:
                continue
            counts = self._forward[slot] or Counter()
            for term in counts:
                postings = self._postings[term]
                del postings[slot]
                if not postings:
                    del self._postings[term]
                    stem = stem_of(term)
                    forms = self._forms.get(stem) if stem is not None else None
                    if stem is not None and forms is not None:
                        forms.discard(term)
                        if not forms:
                            del self._forms[stem]
                self._arrays.pop(term, None)
            self._total_length -= int(self._lengths[slot])
            self._lengths[slot] = 0
            self._forward[slot] = None
            self._free.append(slot)

    def idf(self, term: str) -> float:
        n = len(self._slots)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _term_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        cached = self._arrays.get(term)
        if cached is None:
            postings = self._postings[term]
            cached = (
                np.fromiter(postings.keys(), dtype=np.int64, count=len(postings)),
                np.fromiter(postings.values(), dtype=np.float32, count=len(postings)),
            )
            self._arrays[term] = cached
        return cached

    def completions(self, prefix: str, limit: int = MAX_COMPLETIONS) -> list[str]:
        """Index terms that begin with ``prefix`` (itself excluded), the most frequent first."""
        if len(self._new_terms) > VOCABULARY_MERGE_EVERY:
            self._vocabulary = sorted(self._postings)
            self._new_terms.clear()
        found = set()
        position = bisect.bisect_left(self._vocabulary, prefix)
        while position < len(self._vocabulary) and self._vocabulary[position].startswith(prefix):
            found.add(self._vocabulary[position])
            position += 1
        found.update(term for term in self._new_terms if term.startswith(prefix))
        found = {term for term in found if term != prefix and term in self._postings}
        return sorted(found, key=lambda term: (-len(self._postings[term]), term))[:limit]

    def score_query(self, query: str, *, complete_last: bool = True) -> LexicalScores:
        """BM25 of ``query`` against every key. With ``complete_last`` the query's last term also
        matches the terms it begins (see MIN_PREFIX_CHARS), as a half-typed word would."""
        tokens = tokenize(query)
        terms = list(dict.fromkeys(tokens))
        scores = np.zeros(len(self._forward), dtype=np.float32)
        n = len(self._slots)
        if not terms or n == 0:
            return LexicalScores(self, terms, scores, 0.0)
        average = self._total_length / n if self._total_length else 1.0
        norm = self.k1 * (1.0 - self.b + self.b * self._lengths[: len(scores)] / average)

        def contribution(term: str) -> tuple[np.ndarray, np.ndarray]:
            slots, tfs = self._term_arrays(term)
            return slots, self.idf(term) * tfs * (self.k1 + 1.0) / (tfs + norm[slots])

        last = tokens[-1]
        used: list[str] = []
        bound = 0.0
        for term in terms:
            known = term in self._postings
            readings = self._readings(term, complete=complete_last and term == last)
            if not readings:
                bound += self.idf(term)
                if known:
                    slots, values = contribution(term)
                    scores[slots] += values
                continue
            # The term scores as its best reading per key: the word as typed, another form of it,
            # or (the last term) a word it begins.
            best = np.zeros_like(scores)
            if known:
                slots, values = contribution(term)
                best[slots] = values
            for reading, weight in readings.items():
                slots, values = contribution(reading)
                np.maximum.at(best, slots, weight * values)
            scores += best
            used.extend(readings)
            # An unknown word's own idf would be the largest of all (no key holds it): measure the
            # match against the readings that could be meant instead.
            bound += self.idf(term) if known else max(self.idf(reading) for reading in readings)
        return LexicalScores(self, terms, scores, bound, list(dict.fromkeys(used)))

    def _readings(self, term: str, *, complete: bool) -> dict[str, float]:
        """Index terms other than ``term`` that may be meant by it, with their weights: other forms
        of the word (the same stem) and, if ``complete``, words it begins."""
        readings: dict[str, float] = {}
        stem = stem_of(term)
        if stem is not None and stem in self._forms:
            forms = sorted(self._forms[stem] - {term}, key=lambda form: (-len(self._postings[form]), form))
            readings.update((form, STEM_WEIGHT) for form in forms[:MAX_FORMS])
        if complete and _completable(term):
            weight = KNOWN_WORD_COMPLETION_WEIGHT if term in self._postings else 1.0
            for completion in self.completions(term):
                readings[completion] = max(weight, readings.get(completion, 0.0))
        return readings

    def search(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        return self.score_query(query).top(limit)

    # Persistence: the forward index is enough to rebuild postings without re-tokenising.
    def save(self, path: Path) -> None:
        self.snapshot().write(path)

    def snapshot(self) -> LexicalSnapshot:
        """The index's contents now, cheap to take (writing it may then run without a lock): each
        key's term counts are replaced on change, never edited in place, so sharing them is safe."""
        return LexicalSnapshot(self.k1, self.b, dict(self._slots), list(self._forward))

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        with open(path, encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            index = cls(k1=header["k1"], b=header["b"])
            for line in handle:
                key, counts = json.loads(line)
                index.add_terms(int(key), [term for term, tf in counts.items() for _ in range(tf)])
        return index


@dataclass(frozen=True)
class LexicalSnapshot:
    k1: float
    b: float
    slots: dict[int, int]
    forward: list[Counter[str] | None]

    def write(self, path: Path) -> None:
        """JSON lines: the parameters, then one ``[key, {term: count}]`` per key, yielding the GIL
        as it goes (see ``yield_gil``)."""
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"k1": self.k1, "b": self.b}) + "\n")
            for key, slot in yield_gil(self.slots.items()):
                handle.write(
                    json.dumps([key, self.forward[slot] or {}], ensure_ascii=False, separators=(",", ":")) + "\n"
                )


def yield_gil(items: Iterable[T], every: int = 32) -> Iterator[T]:
    """``items``, letting other threads run every ``every`` items.

    A background save of a large index is pure Python for a long while. A search in another thread
    gives up the GIL hundreds of times (every numpy or FAISS call) and then waits for it to come
    back. The waits add up to a search many times slower than usual; with the save thread giving
    way like this, a search during a save stays close to one without (``python
    bench/bench_search.py``, "stall ms": the slowest search while the index is saved)."""
    for position, item in enumerate(items):
        if position % every == 0:
            time.sleep(YIELD_SECONDS)
        yield item
