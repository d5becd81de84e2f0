"""After ``aftercare demo``, plainly worded questions in Polish, Indonesian, Tagalog and Thai find their answer.

The demo has 34 English articles (18 translations into pl/id/tl/th), forum threads in five languages
and tickets. The questions below are our own wording (not the articles' listed questions); about half
target an article with no translation in the question's language, so they must reach the English
text. A right answer is the article, or the forum thread about the same problem. Unrelated
questions must come back ``answered: false``. The demo is loaded and indexed once for the module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from entry.demo import load_demo
from helpdesk.models import Ticket
from kb.forum.models import ForumThread
from kb.search.keeper import IndexKeeper
from kb.search.service import search
from kb.search.suggestions import suggest_for_ticket

QUESTIONS = [
    ("pl", "Mój termostat ciągle traci połączenie z Wi-Fi", "nimbus-wifi-reconnect"),
    ("pl", "Robot odkurzający nie wraca do ładowarki", "aurora-not-returning-to-dock"),
    ("pl", "Jak ustawić harmonogram ogrzewania na weekend?", "nimbus-heating-schedule"),
    ("pl", "Zapomniałem hasła do aplikacji", "app-password-reset"),
    ("pl", "Jak przywrócić ustawienia fabryczne termostatu?", "nimbus-factory-reset"),
    ("pl", "Czy słuchawki są wodoodporne?", "pulse-water-resistance"),
    ("pl", "Gdzie znajdę numer seryjny urządzenia?", "serial-number"),
    ("pl", "Słuchawki nie ładują się w etui", "pulse-not-charging"),
    ("pl", "Odkurzacz zostawia brud i słabo ssie", "aurora-weak-suction"),
    ("id", "Robot vakum saya tidak mau menyala", "aurora-wont-turn-on"),
    ("id", "Satu earbud tidak ada suaranya", "pulse-one-side-silent"),
    ("id", "Bagaimana cara klaim garansi?", "warranty-and-returns"),
    ("id", "Bagaimana cara membersihkan sikat robot vakum?", "aurora-clean-brushes"),
    ("id", "Bagaimana cara mengosongkan wadah debu dan mengganti filter?", "aurora-empty-bin-and-filter"),
    ("id", "Termostat tidak terhubung ke Wi-Fi", "nimbus-wifi-reconnect"),
    ("id", "Berapa lama baterai earbud bertahan?", "pulse-battery-life"),
    ("id", "Bagaimana cara memperbarui firmware perangkat?", "firmware-update"),
    ("id", "Robot vakum tersangkut dan menampilkan kode error", "aurora-stuck-and-error-codes"),
    ("tl", "Paano i-reset ang thermostat sa factory settings?", "nimbus-factory-reset"),
    ("tl", "Gaano katagal ang baterya ng earbuds?", "pulse-battery-life"),
    ("tl", "Paano ikonekta ang earbuds sa telepono ko gamit ang Bluetooth?", "pulse-bluetooth-pairing"),
    ("tl", "Hindi nagcha-charge ang earbuds ko", "pulse-not-charging"),
    ("tl", "Nakalimutan ko ang password ng account ko", "app-password-reset"),
    ("tl", "Hindi bumabalik sa charging dock ang robot vacuum", "aurora-not-returning-to-dock"),
    ("tl", "Mali ang temperaturang ipinapakita ng thermostat", "nimbus-wrong-temperature"),
    ("tl", "Hindi ako marinig ng kausap ko sa tawag", "pulse-call-microphone"),
    ("tl", "Paano ko ibabahagi ang bahay sa pamilya ko sa app?", "app-share-home"),
    ("th", "เทอร์โมสแตทเชื่อมต่อ Wi-Fi ไม่ได้", "nimbus-wifi-reconnect"),
    ("th", "ลืมรหัสผ่านบัญชี", "app-password-reset"),
    ("th", "จับคู่หูฟังกับโทรศัพท์อย่างไร", "pulse-bluetooth-pairing"),
    ("th", "หูฟังกันน้ำได้ไหม", "pulse-water-resistance"),
    ("th", "หุ่นยนต์ดูดฝุ่นเปิดไม่ติด", "aurora-wont-turn-on"),
    ("th", "วิธีอัปเดตเฟิร์มแวร์", "firmware-update"),
    ("th", "หน้าจอเทอร์โมสแตทดับ ไม่แสดงผล", "nimbus-display-blank"),
    ("th", "รีเซ็ตหูฟังเป็นค่าจากโรงงาน", "pulse-reset-earbuds"),
    ("th", "หูฟังชาร์จไม่เข้า", "pulse-not-charging"),
]
# Earlier known misses, now answered: "earbuds won't charge" in Polish and Thai used to land on
# other earbud articles, "leaves dirt, weak suction" in Polish on the Polish article about the dock
# (its same-language pull, 0.05, far above the measured Polish offset of 0.013). Translations of
# those articles fixed them; the Polish suction question still wins by only 0.002.
# Demo forum threads (by title) about the same problem as an article.
THREAD_FOR_ARTICLE = {
    "nimbus-wifi-reconnect": "Nimbus thermostat shows offline after I changed my router",
    "aurora-not-returning-to-dock": "Aurora nie wraca do stacji dokującej",
    "pulse-one-side-silent": "Earbud Pulse kiri tidak ada suara",
    "nimbus-factory-reset": "Paano i-reset ang Nimbus thermostat?",
    "pulse-bluetooth-pairing": "หูฟัง Pulse เชื่อมต่อบลูทูธไม่ได้",
    "aurora-map-and-no-go-zones": "Can the Aurora vacuum keep maps of two floors?",
}
# Demo tickets (by subject) and the article an agent should see suggested first.
TICKET_ARTICLES = [
    ("Thermostat keeps losing Wi-Fi", "nimbus-wifi-reconnect"),
    ("Odkurzacz nie wraca do stacji ładującej", "aurora-not-returning-to-dock"),
    ("Earbud kiri tidak ada suara", "pulse-one-side-silent"),
    ("Paano i-reset ang thermostat?", "nimbus-factory-reset"),
    ("Vacuum making a loud grinding noise", "aurora-grinding-noise"),
    ("Jak ustawić harmonogram ogrzewania?", "nimbus-heating-schedule"),
    ("Robot vakum tidak mau menyala", "aurora-wont-turn-on"),
]
UNRELATED = [
    "What's the capital of France?",
    "How do I bake a chocolate cake?",
    "Jaka jest stolica Francji?",
    "Resep nasi goreng yang enak",
    "Sino ang unang presidente ng Pilipinas?",
    "วิธีทำต้มยำกุ้ง",
]


@pytest.fixture(scope="module")
def demo(engine, embedder) -> Iterator[tuple[sessionmaker[Session], IndexKeeper]]:
    # One transaction for the module (rolled back at its end), one index build for all its tests.
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    keeper = IndexKeeper(embedder)
    try:
        with factory() as session:
            load_demo(session, echo=lambda _message: None)
            session.flush()
            keeper.open(session)
            session.commit()  # the savepoint; the outer transaction stays open
        yield factory, keeper
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def demo_session(demo) -> Iterator[tuple[Session, IndexKeeper]]:
    factory, keeper = demo
    with factory() as session:
        yield session, keeper
        session.rollback()


def is_right(session: Session, hit, slug: str) -> bool:
    if hit.type == "article":
        return hit.slug == slug
    return session.get(ForumThread, hit.thread_id).title == THREAD_FOR_ARTICLE.get(slug)


@pytest.mark.parametrize(("language", "question", "slug"), QUESTIONS, ids=[f"{q[0]}-{q[2]}" for q in QUESTIONS])
def test_question_finds_the_right_answer_first(demo_session, language, question, slug):
    session, keeper = demo_session
    # (Not asserting the detected language: Tagalog full of English product words reads as English.)
    assert is_right(session, search(session, question, keeper=keeper).results[0], slug)


@pytest.mark.parametrize(("language", "question", "slug"), QUESTIONS, ids=[f"{q[0]}-{q[2]}" for q in QUESTIONS])
def test_articles_only_finds_the_right_article_first(demo_session, language, question, slug):
    session, keeper = demo_session
    assert search(session, question, types="article", keeper=keeper).results[0].slug == slug


@pytest.mark.parametrize(("subject", "slug"), TICKET_ARTICLES)
def test_demo_ticket_gets_the_right_suggestion_first(demo_session, subject, slug):
    session, keeper = demo_session
    ticket = session.scalar(select(Ticket).where(Ticket.subject == subject))
    assert suggest_for_ticket(session, ticket, keeper=keeper).results[0].slug == slug


# Measured: the Thai translation of the pairing article holds the subject word for word, but the
# ticket's body dilutes that match and translations compete on their dense score less the Thai
# pull (0.927 - 0.057 = 0.870), so the English one-side-silent section on re-pairing (0.874) wins.
@pytest.mark.xfail(reason="the Thai pairing ticket gets pulse-one-side-silent first (see above)", strict=True)
def test_thai_pairing_ticket_gets_the_pairing_article_first(demo_session):
    session, keeper = demo_session
    ticket = session.scalar(select(Ticket).where(Ticket.subject == "หูฟังเชื่อมต่อบลูทูธไม่ได้"))
    assert suggest_for_ticket(session, ticket, keeper=keeper).results[0].slug == "pulse-bluetooth-pairing"


@pytest.mark.parametrize("question", UNRELATED)
def test_unrelated_question_is_not_answered(demo_session, question):
    session, keeper = demo_session
    assert search(session, question, keeper=keeper).answered is False


def test_translation_is_shown_in_the_askers_language(demo_session):
    session, keeper = demo_session
    top = search(session, "Robot odkurzający nie wraca do ładowarki", types="article", keeper=keeper).results[0]
    assert (top.slug, top.locale, top.url) == (
        "aurora-not-returning-to-dock",
        "pl",
        "/articles/aurora-not-returning-to-dock?lang=pl",
    )


# Measured on 2026-12-07: 34 of the 36 are answered (the two Thai ones left are "the robot won't
# switch on" and "how to update the firmware"); the floor is that figure less a margin of two, so a
# real drop in recall fails here instead of hiding under "most".
ANSWERED_FLOOR = 32


def test_at_least_32_of_36_plain_questions_are_answered_and_every_answer_is_right(demo_session):
    session, keeper = demo_session
    outcomes = [(search(session, question, keeper=keeper), slug) for _, question, slug in QUESTIONS]
    answered = [is_right(session, outcome.results[0], slug) for outcome, slug in outcomes if outcome.answered]
    assert len(QUESTIONS) == 36
    assert len(answered) >= ANSWERED_FLOOR and all(answered), len(answered)
