"""Loaders for the shared evaluation data sets (read in place from ``--data``, never copied).

Intent data sets become "intent as article" corpora: one article per intent, titled from the intent
name, answering up to ten training utterances; held-out utterances are the queries. sib200 becomes a
cross-lingual corpus: English sentences are the articles, other languages' versions are the queries.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.engine import IndexedDocument

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
QUESTIONS_PER_ARTICLE = 10

Labelled = list[tuple[str, str]]  # (query text, expected article id)


@dataclass
class RetrievalSet:
    """A corpus plus labelled query splits; ``dev`` is for tuning, ``test`` for reporting only."""

    name: str
    documents: list[IndexedDocument]
    test: Labelled
    dev: Labelled
    # Queries that no article answers (clinc150 out-of-scope), by split.
    unanswerable: dict[str, list[str]] = field(default_factory=dict)
    # Extra per-split query sets (sib200: one per query language).
    by_language: dict[str, dict[str, Labelled]] = field(default_factory=dict)


def intent_title(intent: str) -> str:
    words = intent.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def intent_doc_id(intent: str) -> str:
    return f"intent:{intent}:en"


def _intent_articles(pools: dict[str, list[str]], seed: int) -> tuple[list[IndexedDocument], dict[str, list[str]]]:
    """One article per intent from a seeded sample of its utterances; returns the unused rest too."""
    rng = random.Random(seed)
    documents, rest = [], {}
    for intent in sorted(pools):
        utterances = list(dict.fromkeys(pools[intent]))
        rng.shuffle(utterances)
        questions, rest[intent] = utterances[:QUESTIONS_PER_ARTICLE], utterances[QUESTIONS_PER_ARTICLE:]
        documents.append(
            IndexedDocument(doc_id=intent_doc_id(intent), locale="en", title=intent_title(intent), questions=questions)
        )
    return documents, rest


def _labelled(rows: list[tuple[str, str]]) -> Labelled:
    return [(text, intent_doc_id(intent)) for text, intent in rows]


def _flatten(pools: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(text, intent) for intent in sorted(pools) for text in pools[intent]]


def subsample(rows: list, limit: int | None, seed: int = 13) -> list:
    if limit is None or len(rows) <= limit:
        return list(rows)
    return random.Random(seed).sample(rows, limit)


def load_banking77(data: Path, seed: int = 0) -> RetrievalSet:
    def read(name: str) -> list[tuple[str, str]]:
        with open(data / "banking77" / name, encoding="utf-8") as handle:
            return [(row["text"], row["category"]) for row in csv.DictReader(handle)]

    pools: dict[str, list[str]] = defaultdict(list)
    for text, intent in read("train.csv"):
        pools[intent].append(text)
    documents, rest = _intent_articles(pools, seed)
    return RetrievalSet("banking77", documents, test=_labelled(read("test.csv")), dev=_labelled(_flatten(rest)))


def load_bitext(data: Path, seed: int = 0) -> RetrievalSet:
    """The balanced 8k sample (27 intents); it has no split, so each intent's rest is halved into dev and test."""
    pools: dict[str, list[str]] = defaultdict(list)
    with open(data / "bitext_customer_support" / "bitext_8k_customer_service.csv", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            pools[row["intent"]].append(row["utterance"])
    documents, rest = _intent_articles(pools, seed)
    dev, test = {}, {}
    for intent, texts in rest.items():
        dev[intent], test[intent] = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    return RetrievalSet("bitext", documents, test=_labelled(_flatten(test)), dev=_labelled(_flatten(dev)))


def load_massive(data: Path, seed: int = 0) -> RetrievalSet:
    splits: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with open(data / "massive_en_us" / "en-US.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            splits[row["partition"]].append((row["utt"], row["intent"]))
    pools: dict[str, list[str]] = defaultdict(list)
    for text, intent in splits["train"]:
        pools[intent].append(text)
    documents, _ = _intent_articles(pools, seed)
    known = {intent_doc_id(intent) for intent in pools}
    # A few test intents never occur in train; they have no article, so they cannot be hits.
    test = [row for row in _labelled(splits["test"]) if row[1] in known]
    dev = [row for row in _labelled(splits["dev"]) if row[1] in known]
    return RetrievalSet("massive", documents, test=test, dev=dev)


def load_clinc150(data: Path, seed: int = 0) -> RetrievalSet:
    with open(data / "clinc150" / "data_full.json", encoding="utf-8") as handle:
        raw = json.load(handle)
    pools: dict[str, list[str]] = defaultdict(list)
    for text, intent in raw["train"]:
        pools[intent].append(text)
    documents, _ = _intent_articles(pools, seed)
    return RetrievalSet(
        "clinc150",
        documents,
        test=_labelled([tuple(row) for row in raw["test"]]),
        dev=_labelled([tuple(row) for row in raw["val"]]),
        unanswerable={
            "dev": [text for text, _ in raw["oos_val"]],
            "test": [text for text, _ in raw["oos_test"]],
        },
    )


SIB_LANGUAGES = {"en": "eng_Latn", "id": "ind_Latn", "pl": "pol_Latn", "tl": "tgl_Latn", "th": "tha_Thai"}


def _read_sib(data: Path, folder: str, split: str) -> list[tuple[str, str]]:
    with open(data / "sib200" / folder / f"{split}.tsv", encoding="utf-8") as handle:
        return [(row["index_id"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")]


def load_sib200(data: Path, *, corpus: str = "all") -> RetrievalSet:
    """English sentences as articles (``corpus`` "all" = train+dev+test, "test" = test only).

    ``by_language[lang]["dev"|"test"]`` hold the other languages' sentences as queries.
    """
    english_splits = ["train", "dev", "test"] if corpus == "all" else ["test"]
    documents = [
        IndexedDocument(doc_id=f"sib:{index_id}:en", locale="en", title=text)
        for split in english_splits
        for index_id, text in _read_sib(data, SIB_LANGUAGES["en"], split)
    ]
    by_language = {
        language: {
            split: [(text, f"sib:{index_id}:en") for index_id, text in _read_sib(data, folder, split)]
            for split in ("dev", "test")
        }
        for language, folder in SIB_LANGUAGES.items()
        if language != "en"
    }
    test = [row for language in by_language for row in by_language[language]["test"]]
    dev = [row for language in by_language for row in by_language[language]["dev"]] if corpus == "all" else []
    return RetrievalSet(f"sib200-{corpus}", documents, test=test, dev=dev, by_language=by_language)


INTENT_LOADERS = {
    "banking77": load_banking77,
    "bitext": load_bitext,
    "massive": load_massive,
    "clinc150": load_clinc150,
}


def sib_sentences(data: Path, language: str, splits: tuple[str, ...]) -> list[tuple[str, str]]:
    """(index_id, text) of sib200's sentences in ``language`` ("en", "pl"...) from ``splits``."""
    return [row for split in splits for row in _read_sib(data, SIB_LANGUAGES[language], split)]


@dataclass
class PassageArticle:
    document: IndexedDocument
    neighbour: str  # a sentence of the article's run left out of its body: a question on its subject
    split: str  # "tune" or "test" (alternate articles), so tuning never sees the reported queries


def sib_passage_articles(data: Path, language: str, per_article: int = 4, title_words: int = 6) -> list[PassageArticle]:
    """Help-centre-like articles from sib200 ``language``: each topic's sentences in ``index_id``
    order (FLORES keeps one source text's sentences together), ``per_article + 1`` at a time; the
    middle one is held out as the query, the rest are the body, the first sentence's opening words
    the title. The query shares the article's subject but few of its words, as a real question does.
    The same grouping in every language (rows line up by index_id), so a query in one language has
    its gold article in every other. (After the "neighbour" style of bench/eval_polish.py.)"""
    rows: list[tuple[int, str, str]] = []
    for split in ("train", "dev", "test"):
        with open(data / "sib200" / SIB_LANGUAGES[language] / f"{split}.tsv", encoding="utf-8") as handle:
            rows += [
                (int(row["index_id"]), row["category"], row["text"]) for row in csv.DictReader(handle, delimiter="\t")
            ]
    by_topic: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index_id, topic, text in sorted(rows):
        by_topic[topic].append((index_id, text))
    articles: list[PassageArticle] = []
    for topic in sorted(by_topic):
        topic_rows = by_topic[topic]
        for start in range(0, len(topic_rows) - per_article, per_article + 1):
            group = topic_rows[start : start + per_article + 1]
            neighbour = group.pop(len(group) // 2)[1]
            sentences = [text for _, text in group]
            title = " ".join(sentences[0].rstrip(".").split()[:title_words])
            body = "\n\n".join(" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2))
            document = IndexedDocument(
                doc_id=f"sibart:{group[0][0]}:{language}",
                locale=language,
                title=title,
                body_markdown=body,
                extra={"is_source": True},
            )
            articles.append(PassageArticle(document, neighbour, "tune" if len(articles) % 2 == 0 else "test"))
    return articles
