"""Language detection on sib200 (FLORES-200 sentences in en, id, pl, tl, th): accuracy and fallbacks.

For each language, on the TEST split: ``detect_language`` on (a) full sentences and (b) their
first three words (Thai words by pythainlp, since Thai is written without spaces), with the
production settings (allowed = the five languages, default = en, no known customer language).
Plain unrestricted langdetect (all 55 profiles, seed 0) is the baseline.

Columns: ``acc`` = the answer is the sentence's language (a fallback counts by what it returns,
so with default = en an English fallback counts as right); ``fallback`` = share answered by
fallback instead of detection; ``wrong`` = share detected, but as another language.

``--tune`` reads train+dev only (never test): how often the model's top language is right, by
letter count and confidence, over sentences and their 1-3 word prefixes; the defaults come from it.

    python bench/eval_language.py [--data PATH] [--tune]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # runs as a plain script too (make bench)
    sys.path.insert(0, str(REPO_ROOT))

import langdetect  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402
from pythainlp.tokenize import word_tokenize  # noqa: E402

from retrieval.language import (  # noqa: E402
    DEFAULT_MIN_CONFIDENCE,
    DEFAULT_MIN_LETTERS,
    LanguageSource,
    clean_text,
    count_letters,
    detect_language,
)

FOLDERS = {"en": "eng_Latn", "id": "ind_Latn", "pl": "pol_Latn", "tl": "tgl_Latn", "th": "tha_Thai"}
ALLOWED = tuple(FOLDERS)
DEFAULT = "en"
PREFIX_WORDS = 3
# langdetect averages 7 sampling trials, so its probabilities sit near k/7: one grid point per step.
TUNE_CONFIDENCES = (0.5, 0.65, 0.8, 0.95)
TUNE_LETTERS = (0, 6, 8, 9, 10, 11, 12)
# min_letters is where the model's answer becomes right at least this often (4 Latin languages).
TARGET_PRECISION = 90.0
TUNE_LETTER_BUCKETS = [
    (0, 3), (3, 5), (5, 7), (7, 9), (9, 10), (10, 11), (11, 12), (12, 13), (13, 16), (16, 20), (20, 30),
    (30, sys.maxsize),
]
# Tuning also sees one- and two-word prefixes: subject lines and replies such as "Refund please".
TUNE_PREFIX_WORDS = (1, 2, 3)


@dataclass(frozen=True)
class Sample:
    language: str
    text: str


@dataclass
class Tally:
    total: int = 0
    right: int = 0  # final answer is the true language (detected or fallback)
    fallback: int = 0
    wrong: int = 0  # detected, as another language

    def add(self, truth: str, answer: str, fell_back: bool) -> None:
        self.total += 1
        self.right += answer == truth
        self.fallback += fell_back
        self.wrong += not fell_back and answer != truth

    def share(self, count: int) -> str:
        return f"{100 * count / self.total:5.1f}%" if self.total else "    -"


def read_split(data: Path, language: str, split: str) -> list[Sample]:
    path = data / FOLDERS[language] / f"{split}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Sample(language, row["text"]) for row in rows]


def first_words(sample: Sample, count: int = PREFIX_WORDS) -> Sample:
    if sample.language == "th":
        words = [w for w in word_tokenize(sample.text, engine="newmm", keep_whitespace=False) if w.strip()]
        return Sample("th", "".join(words[:count]))
    return Sample(sample.language, " ".join(sample.text.split()[:count]))


def ours(min_confidence: float, min_letters: int) -> Callable[[str], tuple[str, bool]]:
    def run(text: str) -> tuple[str, bool]:
        guess = detect_language(
            text, allowed=ALLOWED, default=DEFAULT, min_confidence=min_confidence, min_letters=min_letters
        )
        return guess.language, guess.source is not LanguageSource.DETECTED

    return run


def plain_langdetect(text: str) -> tuple[str, bool]:
    try:
        return langdetect.detect(text), False
    except LangDetectException:  # no features at all: langdetect has no answer
        return "unknown", False


def evaluate(system: Callable[[str], tuple[str, bool]], samples: Iterable[Sample]) -> dict[str, Tally]:
    tallies = {language: Tally() for language in ALLOWED}
    for sample in samples:
        answer, fell_back = system(sample.text)
        tallies[sample.language].add(sample.language, answer, fell_back)
    return tallies


def overall(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for tally in tallies.values():
        total.total += tally.total
        total.right += tally.right
        total.fallback += tally.fallback
        total.wrong += tally.wrong
    return total


def report(data: Path) -> None:
    test = [sample for language in ALLOWED for sample in read_split(data, language, "test")]
    prefixes = [first_words(sample) for sample in test]
    langdetect.DetectorFactory.seed = 0  # the baseline as usually deployed: seeded, all profiles
    systems = {
        "aftercare": ours(DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_LETTERS),
        "langdetect": plain_langdetect,
    }
    per_language = len(test) // len(ALLOWED)
    print(f"sib200 TEST split, {per_language} sentences per language, {data}")
    print(
        f"aftercare = detect_language(allowed={','.join(ALLOWED)}, default={DEFAULT}, known=None, "
        f"min_confidence={DEFAULT_MIN_CONFIDENCE}, min_letters={DEFAULT_MIN_LETTERS})"
    )
    print("langdetect = langdetect.detect, all 55 profiles, seed 0 (never falls back)")
    print()
    header = f"{'system':<11} {'lang':<4} | {'full sentences':^22} | {'first 3 words':^22} | {'ms/text':>7}"
    sub = f"{'':<11} {'':<4} | {'acc':>6} {'fallback':>8} {'wrong':>6} | {'acc':>6} {'fallback':>8} {'wrong':>6} |"
    print(header)
    print(sub)
    print("-" * len(header))
    for name, system in systems.items():
        started = time.perf_counter()
        full = evaluate(system, test)
        short = evaluate(system, prefixes)
        per_text_ms = 1000 * (time.perf_counter() - started) / (len(test) + len(prefixes))
        rows = [*full.items(), ("all", overall(full))]
        short_rows = dict([*short.items(), ("all", overall(short))])
        for language, tally in rows:
            prefix = short_rows[language]
            fallback_full = tally.share(tally.fallback) if name == "aftercare" else "     -"
            fallback_short = prefix.share(prefix.fallback) if name == "aftercare" else "     -"
            timing = f"{per_text_ms:7.2f}" if language == "all" else ""
            print(
                f"{name:<11} {language:<4} | {tally.share(tally.right):>6} {fallback_full:>8} "
                f"{tally.share(tally.wrong):>6} | {prefix.share(prefix.right):>6} {fallback_short:>8} "
                f"{prefix.share(prefix.wrong):>6} | {timing:>7}"
            )
        print("-" * len(header))
    print(f"acc counts a fallback by what it returns (here always {DEFAULT}); had the customer's language been")
    print("known, the fallbacks would have gone to it and acc would be 100% - wrong.")


@dataclass(frozen=True)
class Observation:
    """What ``detect_language`` sees in one text, independent of the thresholds."""

    truth: str
    by_script: bool  # decided by the Thai script rule, before any threshold
    letters: int
    language: str | None  # the model's top language, None when it found no features
    confidence: float


def observe(sample: Sample) -> Observation:
    scripted = detect_language(
        sample.text, allowed=ALLOWED, default=DEFAULT, min_confidence=2.0, min_letters=sys.maxsize
    )
    raw = detect_language(sample.text, allowed=ALLOWED, default=DEFAULT, min_confidence=0.0, min_letters=0)
    has_model_answer = raw.source is LanguageSource.DETECTED
    return Observation(
        truth=sample.language,
        by_script=scripted.source is LanguageSource.DETECTED,
        letters=count_letters(clean_text(sample.text)),
        language=raw.language if has_model_answer else None,
        confidence=raw.confidence if has_model_answer else 0.0,
    )


def bucket_precision(bucket: list[Observation], min_confidence: float) -> tuple[int, float]:
    accepted = [o for o in bucket if o.language is not None and o.confidence >= min_confidence]
    right = sum(o.language == o.truth for o in accepted)
    return len(accepted), 100 * right / len(accepted) if accepted else 0.0


def suggested_min_letters(modelled: list[Observation], min_confidence: float) -> int:
    """The lowest bucket start from which every bucket reaches TARGET_PRECISION."""
    suggestion = TUNE_LETTER_BUCKETS[-1][0]
    for low, high in reversed(TUNE_LETTER_BUCKETS):
        bucket = [o for o in modelled if low <= o.letters < high]
        if bucket and bucket_precision(bucket, min_confidence)[1] < TARGET_PRECISION:
            break
        suggestion = low
    return suggestion


def tune(data: Path) -> None:
    """Precision of the model's answer by letter count and confidence, on train+dev only."""
    sentences = [s for language in ALLOWED for split in ("train", "dev") for s in read_split(data, language, split)]
    samples = sentences + [first_words(s, count) for count in TUNE_PREFIX_WORDS for s in sentences]
    print(
        f"tuning on sib200 train+dev: {len(sentences)} sentences and their first "
        f"{', '.join(map(str, TUNE_PREFIX_WORDS))} words ({len(samples)} texts)"
    )
    observations = [observe(sample) for sample in samples]
    by_script = sum(o.by_script for o in observations)
    print(f"{by_script} texts decided by the Thai script rule (no threshold involved); the rest:")
    modelled = [o for o in observations if not o.by_script]
    columns = "".join(f" conf>={c:<4}: {'cover':>5} {'prec':>5} |" for c in TUNE_CONFIDENCES)
    header = f"{'letters':>9} {'texts':>6} |{columns}"
    print(header)
    print("-" * len(header))
    for low, high in TUNE_LETTER_BUCKETS:
        bucket = [o for o in modelled if low <= o.letters < high]
        if not bucket:
            continue
        label = f"{low}-{high - 1}" if high < sys.maxsize else f"{low}+"
        cells = []
        for min_confidence in TUNE_CONFIDENCES:
            accepted, precision = bucket_precision(bucket, min_confidence)
            cover = 100 * accepted / len(bucket)
            cells.append(f" {'':<11} {cover:5.1f} {precision:5.1f} |")
        print(f"{label:>9} {len(bucket):>6} |" + "".join(cells))
    for min_confidence in TUNE_CONFIDENCES:
        print(
            f"conf>={min_confidence}: buckets reach {TARGET_PRECISION:.0f}% precision from "
            f"{suggested_min_letters(modelled, min_confidence)} letters on"
        )
    print()
    print(f"{'min_conf':>8} {'min_letters':>11} {'detected':>8} {'precision':>9}   (all tuning texts)")
    for min_confidence in TUNE_CONFIDENCES:
        for min_letters in TUNE_LETTERS:
            accepted = [
                o
                for o in observations
                if o.by_script
                or (o.language is not None and o.letters >= min_letters and o.confidence >= min_confidence)
            ]
            right = sum(o.by_script and o.truth == "th" or o.language == o.truth for o in accepted)
            print(
                f"{min_confidence:>8} {min_letters:>11} {100 * len(accepted) / len(observations):7.1f}% "
                f"{100 * right / len(accepted):8.1f}%"
            )
    print(f"current defaults: min_confidence={DEFAULT_MIN_CONFIDENCE}, min_letters={DEFAULT_MIN_LETTERS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared/data/sib200")
    parser.add_argument("--tune", action="store_true", help="sweep the thresholds on train+dev instead")
    args = parser.parse_args()
    if args.tune:
        tune(args.data)
    else:
        report(args.data)


if __name__ == "__main__":
    main()
