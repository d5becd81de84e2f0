"""Language of incoming text (tickets, forum posts, e-mails), restricted to the site's languages.

``detect_language`` answers with one of the configured languages, always. The order of evidence:

1. Text is cleaned first: reply prefixes, code blocks, HTML tags, URLs, e-mail addresses, numbers,
   acronyms and code-ish tokens (``snake_case``, ``camelCase``, ``file.ext``, paths, flags) carry
   no language signal and would only add noise. Quoted e-mail lines (``> ...``) are dropped when
   the message has text of its own, because a reply usually quotes the agent's language.
2. Thai script is used by no other language we detect, so text whose letters are mostly Thai is
   Thai, however short (``DETECTED``, confidence = the Thai share of the letters).
3. Otherwise langdetect's character n-gram model runs with only the allowed languages' profiles,
   so its probabilities are already spread over the allowed set alone. The top language is
   accepted when its probability is at least ``min_confidence`` (``DETECTED``).
4. Too few letters or a top probability below the threshold: the customer's known language if
   it is allowed (``CUSTOMER``), else the site default (``DEFAULT``).

A fallback's confidence is the model's probability for the language returned, or 0.0 when the
model was not consulted (too few letters) or gave that language nothing; it is therefore always
below ``min_confidence``, and a ``DETECTED`` guess from the model is always at or above it.

Determinism and threads: langdetect draws random n-gram samples. Each detector built here gets its
own ``random.Random`` seeded with 0 from a factory that is built once per set of languages and
never changed afterwards, so a text gets the same answer whatever ran before it, in any thread,
and the module-wide ``langdetect.DetectorFactory`` state is left alone.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

# Tuned on sib200 train+dev sentences and their 1-3 word prefixes (bench/eval_language.py --tune).
# From 9 letters on, an accepted answer is right at least 9 times in 10 among en/id/pl/tl (91-100%);
# below, 75-86%. Langdetect averages 7 sampling trials, so 0.95 means "all 7 agree". Confidence
# separates right from wrong far less than length does: on short texts it buys 1-4 points of
# precision for 3-9 points of coverage, on full sentences nothing.
DEFAULT_MIN_CONFIDENCE = 0.95
DEFAULT_MIN_LETTERS = 9

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
    "in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro",
    "fil": "tl", "tgl": "tl", "eng": "en", "pol": "pl", "ind": "id", "tha": "th",
    "msa": "ms", "may": "ms", "zsm": "ms", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr",
    "spa": "es", "por": "pt", "ita": "it", "nld": "nl", "dut": "nl", "rus": "ru", "ukr": "uk",
    "ces": "cs", "cze": "cs", "slk": "sk", "slo": "sk", "swe": "sv", "nor": "no", "nob": "nb",
    "dan": "da", "fin": "fi", "tur": "tr", "ara": "ar", "heb": "he", "hin": "hi", "vie": "vi",
    "jpn": "ja", "kor": "ko", "zho": "zh", "chi": "zh", "cmn": "zh", "yue": "zh",
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


# --- the model -----------------------------------------------------------------------------------

_PROFILE_DIR = Path(PROFILES_DIRECTORY)
PROFILED_LANGUAGES = frozenset(p.name for p in _PROFILE_DIR.iterdir() if p.is_file())

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


def language_probabilities(text: str, languages: frozenset[str]) -> dict[str, float]:
    """Langdetect's probabilities over ``languages`` only (those with a profile); {} if no features.

    ``text`` should already be cleaned. Languages whose probability langdetect rounds away
    (at most 0.1) are missing from the result.
    """
    profiled = frozenset(languages & PROFILED_LANGUAGES)
    if not profiled:
        return {}
    if len(profiled) == 1:
        # Nothing to tell apart: the one language takes it all, if the text has any features.
        (only,) = profiled
        return {only: 1.0} if any(ch.isalpha() for ch in text) else {}
    detector = _factory_for(profiled).create()
    detector.n_trial = _TRIALS
    detector.set_max_text_length(_MAX_TEXT_CHARS)
    # The profiles' capitalised n-grams come from names and sentence starts: "Jika Anda ingin"
    # reads as Tagalog, "jika anda ingin" as Indonesian. Lowercasing cuts wrong answers on
    # 10-19 letter texts by a seventh on train+dev, at equal right answers.
    detector.append(text.lower())
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


def _fallback(
    languages: frozenset[str], default: str, known: str | None, probabilities: dict[str, float]
) -> LanguageGuess:
    known_code = normalize_language_tag(known) if known else None
    if known_code in languages:
        return LanguageGuess(known_code, probabilities.get(known_code, 0.0), LanguageSource.CUSTOMER)
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
    """The language of ``text`` among ``allowed``, falling back to ``known``, then ``default``.

    ``allowed``, ``default`` and ``known`` may be any tags ``normalize_language_tag`` accepts.
    ``known`` is ignored when it is not allowed. Allowed languages without a langdetect profile
    can still be returned as fallbacks. Raises ValueError when ``allowed`` holds a non-tag or
    ``default`` is not allowed: that is a configuration error, not a property of the text.
    """
    languages = _allowed_set(allowed)
    default_code = normalize_language_tag(default)
    if default_code not in languages:
        raise ValueError(f"default language {default!r} is not among the allowed {sorted(languages)}")

    cleaned = clean_text(text or "")
    thai = count_thai_letters(cleaned)
    letters = count_letters(cleaned)

    if "th" in languages and thai >= THAI_MIN_LETTERS and thai >= THAI_SCRIPT_SHARE * letters:
        return LanguageGuess("th", thai / letters, LanguageSource.DETECTED)
    if letters < min_letters:
        return _fallback(languages, default_code, known, {})

    probabilities = language_probabilities(cleaned, languages)
    if probabilities:
        language, confidence = max(probabilities.items(), key=lambda item: (item[1], item[0]))
        if confidence >= min_confidence:
            return LanguageGuess(language, min(confidence, 1.0), LanguageSource.DETECTED)
    return _fallback(languages, default_code, known, probabilities)
