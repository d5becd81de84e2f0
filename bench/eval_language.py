"""Language detection on sib200 (FLORES-200 sentences in en, id, pl, tl, th): short prefixes and fallbacks.

Report (default): on the TEST split, each system on the first 3, 5 and 8 words of every sentence,
on all prefixes of 3 to 12 words (the target: at least 97 % right in every language), and on full
sentences. Systems, all restricted to the five languages, default = en, no known customer language:

- ``combined``: ``detect_language`` as deployed (fastText + langdetect n-grams + Thai script).
- ``langdetect``: langdetect's own sampled probabilities over the five profiles, top language.
- ``fasttext``: fastText's lid.176.ftz, renormalised over the five languages, top language, on the
  raw text.

Thai is written without spaces, so its "words" are PyThaiNLP's (newmm) segmentation: the unit a
reader counts, and the one the lexical index uses. A character-length prefix would instead depend
on how dense each script is (Thai needs fewer characters per word than Tagalog).

Columns: ``acc`` = the answer is the sentence's language (a fallback counts by what it returns, so
with default = en an English fallback counts as right); ``fb`` = share answered by fallback rather
than by the text. ``ms/text`` = mean time per text over all of that system's texts.

``--tune`` reads train+dev only (never test): it fits the combination's weights and biases
(multinomial logistic regression on sentences and their 1-12 word prefixes), then shows what the
customer's known language does as a prior and how accuracy grows with letters.

    python bench/eval_language.py [--data PATH] [--tune]

``short_prefix_table()`` returns the report's rows and ``print_short_prefix_table()`` prints them;
bench/eval_retrieval.py calls the latter.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # runs as a plain script too (make bench)
    sys.path.insert(0, str(REPO_ROOT))

from retrieval.language import (  # noqa: E402
    DEFAULT_MIN_LETTERS,
    FASTTEXT_WEIGHT,
    KNOWN_LANGUAGE_BONUS,
    LANGUAGE_BIAS,
    NGRAM_WEIGHT,
    THAI_MIN_LETTERS,
    THAI_SCRIPT_SHARE,
    LanguageSource,
    clean_text,
    count_letters,
    count_thai_letters,
    detect_language,
    fasttext_probabilities,
    language_probabilities,
    model_evidence,
)

FOLDERS = {"en": "eng_Latn", "id": "ind_Latn", "pl": "pol_Latn", "tl": "tgl_Latn", "th": "tha_Thai"}
ALLOWED = tuple(FOLDERS)
DEFAULT = "en"
DEFAULT_DATA = REPO_ROOT.parent / "shared/data/sib200"
REPORT_PREFIXES = (3, 5, 8)
TARGET_RANGE = range(3, 13)  # the "texts of 3-12 words"
TARGET_ACCURACY = 97.0
FULL = 0  # prefix length meaning "the whole sentence"
TUNE_PREFIXES = (1, 2, 3, 4, 5, 6, 8, 10, 12, FULL)
TUNE_BONUSES = (0.0, 1.0, 2.0, 3.0, 4.0)
TUNE_LETTER_BUCKETS = ((3, 5), (5, 7), (7, 10), (10, 15), (15, 20), (20, 30), (30, sys.maxsize))


@dataclass(frozen=True)
class Sample:
    language: str
    text: str


@dataclass(frozen=True)
class Row:
    """One cell group of the table: a system on one language and one kind of text."""

    system: str
    language: str  # a language code, or "all"
    column: str  # "3 words", "5 words", "8 words", "3-12 words", "full"
    texts: int
    right: int
    fallbacks: int
    ms_per_text: float

    @property
    def accuracy(self) -> float:
        return 100 * self.right / self.texts if self.texts else 0.0

    @property
    def fallback_share(self) -> float:
        return 100 * self.fallbacks / self.texts if self.texts else 0.0


def sib200_dir(data: Path) -> Path:
    """The sib200 folder, given it or the data folder that holds it (as eval_retrieval.py passes)."""
    return data / "sib200" if (data / "sib200").is_dir() else data


def read_split(data: Path, language: str, split: str) -> list[Sample]:
    path = sib200_dir(data) / FOLDERS[language] / f"{split}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Sample(language, row["text"]) for row in rows]


@lru_cache(maxsize=8192)
def _thai_words(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    return tuple(w for w in word_tokenize(text, engine="newmm", keep_whitespace=False) if w.strip())


def first_words(sample: Sample, count: int) -> Sample:
    """The first ``count`` words (``FULL``: the whole sentence); Thai words by PyThaiNLP."""
    if count == FULL:
        return sample
    if sample.language == "th":
        return Sample("th", "".join(_thai_words(sample.text)[:count]))
    return Sample(sample.language, " ".join(sample.text.split()[:count]))


# --- the systems: text -> (answer, fell back) ------------------------------------------------------

System = Callable[[str], tuple[str, bool]]


def combined(text: str) -> tuple[str, bool]:
    guess = detect_language(text, allowed=ALLOWED, default=DEFAULT)
    return guess.language, guess.source is not LanguageSource.DETECTED


def langdetect_restricted(text: str) -> tuple[str, bool]:
    probabilities = language_probabilities(clean_text(text), frozenset(ALLOWED))
    if not probabilities:  # no n-gram known: langdetect has no answer
        return DEFAULT, True
    return max(probabilities.items(), key=lambda item: (item[1], item[0]))[0], False


def fasttext_restricted(text: str) -> tuple[str, bool]:
    probabilities = fasttext_probabilities(" ".join(text.split()), frozenset(ALLOWED))
    if not probabilities:
        return DEFAULT, True
    return max(probabilities.items(), key=lambda item: (item[1], item[0]))[0], False


SYSTEMS: dict[str, System] = {
    "combined": combined,
    "langdetect": langdetect_restricted,
    "fasttext": fasttext_restricted,
}


# --- the report ------------------------------------------------------------------------------------


def _columns(test: Sequence[Sample], prefixes: Sequence[int]) -> dict[str, list[Sample]]:
    columns = {f"{count} words": [first_words(s, count) for s in test] for count in prefixes}
    span = f"{TARGET_RANGE.start}-{TARGET_RANGE.stop - 1} words"
    columns[span] = [first_words(s, count) for count in TARGET_RANGE for s in test]
    columns["full"] = list(test)
    return columns


def short_prefix_table(
    data: Path = DEFAULT_DATA,
    prefixes: Sequence[int] = REPORT_PREFIXES,
    systems: Iterable[str] = tuple(SYSTEMS),
) -> list[Row]:
    """Accuracy and fallback share per system x language x prefix length, on sib200 TEST.

    ``data`` is the sib200 folder or the folder holding it (``../shared/data``).
    """
    test = [sample for language in ALLOWED for sample in read_split(data, language, "test")]
    columns = _columns(test, prefixes)
    rows: list[Row] = []
    for name in systems:
        system = SYSTEMS[name]
        counts: dict[tuple[str, str], list[int]] = {}
        started, texts = time.perf_counter(), 0
        for column, samples in columns.items():
            for sample in samples:
                answer, fell_back = system(sample.text)
                texts += 1
                for language in (sample.language, "all"):
                    cell = counts.setdefault((column, language), [0, 0, 0])
                    cell[0] += 1
                    cell[1] += answer == sample.language
                    cell[2] += fell_back
        ms = 1000 * (time.perf_counter() - started) / texts
        for (column, language), (total, right, fallbacks) in counts.items():
            rows.append(Row(name, language, column, total, right, fallbacks, ms))
    return rows


def print_short_prefix_table(data: Path = DEFAULT_DATA, rows: Sequence[Row] | None = None) -> list[Row]:
    """Print the language-ID table for short prefixes (computed unless ``rows`` are given).

    ``data`` is the sib200 folder or the folder holding it (``../shared/data``).
    """
    rows = list(rows) if rows is not None else short_prefix_table(data)
    columns = list(dict.fromkeys(row.column for row in rows))
    cells = {(row.system, row.language, row.column): row for row in rows}
    per_language = next(row.texts for row in rows if row.column == "full" and row.language != "all")
    print(f"Language ID on sib200 TEST prefixes ({per_language} sentences per language; Thai words by PyThaiNLP)")
    print("acc = right answer (fallbacks count by what they return), fb = share answered by fallback")
    header = f"{'system':<10} {'lang':<4} |" + "".join(f" {c:^13} |" for c in columns) + f" {'ms/text':>7}"
    print(header)
    print(f"{'':<10} {'':<4} |" + "".join(f" {'acc':>6} {'fb':>6} |" for _ in columns))
    print("-" * len(header))
    for system in dict.fromkeys(row.system for row in rows):
        for language in (*ALLOWED, "all"):
            line = f"{system:<10} {language:<4} |"
            for column in columns:
                row = cells[(system, language, column)]
                line += f" {row.accuracy:6.1f} {row.fallback_share:6.1f} |"
            if language == "all":
                line += f" {cells[(system, 'all', columns[0])].ms_per_text:7.3f}"
            print(line)
        print("-" * len(header))
    span = next(c for c in columns if "-" in c)
    for system in dict.fromkeys(row.system for row in rows):
        worst = min(cells[(system, language, span)].accuracy for language in ALLOWED)
        verdict = "meets" if worst >= TARGET_ACCURACY else "misses"
        print(f"{system}: worst language on {span} = {worst:.1f} % ({verdict} the {TARGET_ACCURACY:.0f} % target)")
    return rows


# --- tuning (train+dev only) -----------------------------------------------------------------------


def _is_thai_script(cleaned: str) -> bool:
    thai = count_thai_letters(cleaned)
    return thai >= THAI_MIN_LETTERS and thai >= THAI_SCRIPT_SHARE * count_letters(cleaned)


def tune(data: Path) -> None:
    """Fit the combination on train+dev; show the known-language prior and letters against accuracy."""
    import numpy as np
    from scipy.optimize import minimize

    sentences = [s for language in ALLOWED for split in ("train", "dev") for s in read_split(data, language, split)]
    languages = sorted(ALLOWED)
    features, truths, prefix_of, letters_of = [], [], [], []
    for sample in sentences:
        for count in TUNE_PREFIXES:
            cleaned = clean_text(first_words(sample, count).text)
            letters = count_letters(cleaned)
            if _is_thai_script(cleaned) or letters < DEFAULT_MIN_LETTERS:
                continue  # decided by the script rule or by the fallback, not by the models
            evidence = model_evidence(cleaned, frozenset(ALLOWED))
            features.append([evidence[language] for language in languages])
            truths.append(languages.index(sample.language))
            prefix_of.append(count)
            letters_of.append(letters)
    x = np.array(features)  # texts x languages x (fastText, n-grams)
    y = np.array(truths)
    prefix = np.array(prefix_of)
    letters = np.array(letters_of)
    n, n_languages, n_features = x.shape
    reference = languages.index("tl")  # biases are relative to one language; Tagalog's is 0
    print(f"fitting on sib200 train+dev: {len(sentences)} sentences, {n} texts (prefixes {TUNE_PREFIXES}, 0 = full)")

    def unpack(theta):
        weights = theta[:n_features]
        biases = np.insert(theta[n_features:], reference, 0.0)
        return weights, biases

    def loss(theta):
        weights, biases = unpack(theta)
        scores = x @ weights + biases
        scores -= scores.max(axis=1, keepdims=True)
        log_total = np.log(np.exp(scores).sum(axis=1))
        probabilities = np.exp(scores - log_total[:, None])
        probabilities[np.arange(n), y] -= 1.0
        gradient_weights = np.einsum("nl,nlk->k", probabilities, x) / n
        gradient_biases = np.delete(probabilities.sum(axis=0) / n, reference)
        return (log_total - scores[np.arange(n), y]).mean(), np.concatenate([gradient_weights, gradient_biases])

    start = np.concatenate([np.full(n_features, 0.3), np.zeros(n_languages - 1)])
    fitted = minimize(loss, start, jac=True, method="L-BFGS-B")
    weights, biases = unpack(fitted.x)
    print(
        f"fitted: FASTTEXT_WEIGHT={weights[0]:.2f} NGRAM_WEIGHT={weights[1]:.2f} "
        f"LANGUAGE_BIAS={ {language: round(float(b), 2) for language, b in zip(languages, biases, strict=True)} }"
    )
    print(f"in use: FASTTEXT_WEIGHT={FASTTEXT_WEIGHT} NGRAM_WEIGHT={NGRAM_WEIGHT} LANGUAGE_BIAS={LANGUAGE_BIAS}")

    in_use = x @ np.array([FASTTEXT_WEIGHT, NGRAM_WEIGHT]) + np.array(
        [LANGUAGE_BIAS.get(lang, 0.0) for lang in languages]
    )
    print()
    print("accuracy (%) of the constants in use, by language and prefix words (0 = full sentence):")
    print(f"{'lang':<5}" + "".join(f"{count:>7}" for count in TUNE_PREFIXES))
    for index, language in enumerate(languages):
        mine = y == index
        if not mine.any():
            continue
        cells = []
        for count in TUNE_PREFIXES:
            chosen = mine & (prefix == count)
            cells.append(f"{100 * (in_use[chosen].argmax(1) == y[chosen]).mean():7.1f}" if chosen.any() else "      -")
        print(f"{language:<5}" + "".join(cells))

    print()
    print("accuracy (%) by letters, and mean confidence (is the softmax calibrated?):")
    scores = in_use - in_use.max(axis=1, keepdims=True)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    for low, high in TUNE_LETTER_BUCKETS:
        chosen = (letters >= low) & (letters < high)
        label = f"{low}-{high - 1}" if high < sys.maxsize else f"{low}+"
        print(
            f"  {label:>6} letters: {chosen.sum():6d} texts, right {100 * (in_use[chosen].argmax(1) == y[chosen]).mean():5.1f} %,"
            f" mean confidence {100 * probabilities[chosen].max(1).mean():5.1f} %"
        )

    print()
    print(f"the customer's known language as a prior (KNOWN_LANGUAGE_BONUS in use: {KNOWN_LANGUAGE_BONUS}):")
    print(f"{'bonus':>5} | {'1-2 words, known right':>22} | {'3-12 words, known wrong (worst of them)':>38}")
    short = (prefix >= 1) & (prefix <= 2)
    target = (prefix >= TARGET_RANGE.start) & (prefix < TARGET_RANGE.stop)
    for bonus in TUNE_BONUSES:
        helped = in_use[short].copy()
        helped[np.arange(short.sum()), y[short]] += bonus
        right_known = 100 * (helped.argmax(1) == y[short]).mean()
        worst = 100.0
        for wrong in range(n_languages):  # every other language as the (wrong) known one
            chosen = target & (y != wrong)
            hurt = in_use[chosen].copy()
            hurt[:, wrong] += bonus
            worst = min(worst, 100 * (hurt.argmax(1) == y[chosen]).mean())
        print(f"{bonus:>5} | {right_known:21.1f}% | {worst:37.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--tune", action="store_true", help="fit the combination on train+dev instead")
    args = parser.parse_args()
    if args.tune:
        tune(args.data)
    else:
        print_short_prefix_table(data=args.data)


if __name__ == "__main__":
    main()
