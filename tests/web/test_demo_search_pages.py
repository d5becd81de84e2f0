"""On the demo data, the pages show what the search ranks, confident or not (issue 11, part 2).

The expectations come from the demo's content, not from the search: the demo translates its
charging article (``pulse-not-charging``) into Polish as "Problem z ładowaniem słuchawek Pulse lub
etui", one of whose listed questions is "Etui nie ładuje się po podłączeniu kabla"; its demo
tickets are about the articles named in ``tests.web.demo_support``. Confidence figures are the
search's to change (per-language calibration), so only order, presence and wording are asserted.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kb.models import Article
from tests.web.demo_support import (  # noqa: F401 - fixtures
    HTMX,
    INDONESIAN_POWER_TICKET,
    POLISH_DOCK_TICKET,
    THAI_PAIRING_TICKET,
    candidates,
    demo,
    demo_database,
    demo_embedder,
    demo_ticket,
    drafts,
    panel,
)
from tests.web.demo_support import demo_database_per_test as database  # noqa: F401 - overrides conftest's
from tests.web.pages_support import sign_in

POLISH_CHARGING_TITLE = "Problem z ładowaniem słuchawek Pulse lub etui"
POLISH_CHARGING_LINK = "/articles/pulse-not-charging?lang=pl"


def _result_links(html: str) -> list[str]:
    return re.findall(r'class="result-title" href="([^"]+)"', html)


# ---- the portal -----------------------------------------------------------------------------------


def test_polish_question_shows_the_polish_charging_article_first(client, demo):
    html = client.get("/search", params={"q": "słuchawki się nie ładują"}).text
    assert _result_links(html)[0] == POLISH_CHARGING_LINK and POLISH_CHARGING_TITLE in html


def test_polish_question_is_worded_by_confidence(client, demo):
    html = client.get("/search", params={"q": "słuchawki się nie ładują"}).text
    # Either a confident answer (a count) or an honest "might help" with the way to support.
    assert re.search(r"\d+ results", html) or ("These might help" in html and 'href="/contact"' in html)


def test_thai_question_shows_the_thai_charging_article(client, demo):
    html = client.get("/search", params={"q": "หูฟังชาร์จไม่เข้า"}).text
    assert "/articles/pulse-not-charging?lang=th" in _result_links(html)


@pytest.mark.parametrize(("typed", "word"), [("thermostat", "thermostat"), ("wifi", "wi-fi"), ("battery", "battery")])
def test_typing_a_title_word_shows_an_article_with_it_in_the_title(client, demo, typed, word):
    fragment = client.get("/search", params={"q": typed}, headers=HTMX).text
    titles = re.findall(r'class="result-title"[^>]*>([^<]+)</a>', fragment)
    assert titles and word in titles[0].casefold() and "<html" not in fragment


# ---- the contact form -----------------------------------------------------------------------------


def test_contact_form_suggests_the_polish_case_article(client, demo):
    response = client.get(
        "/contact/suggestions",
        headers=HTMX,
        params={
            "subject": "Etui nie ładuje się po podłączeniu kabla",
            "body": "Dzień dobry, od wczoraj etui słuchawek nie ładuje się, dioda się nie świeci. Co mam zrobić?",
        },
    )
    first = re.search(r'<a href="([^"]+)" class="suggestion-title"', response.text).group(1)
    assert first.startswith(POLISH_CHARGING_LINK) and POLISH_CHARGING_TITLE in response.text


# ---- the agent's panel ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "slug", "language"),
    [
        POLISH_DOCK_TICKET,
        pytest.param(
            *THAI_PAIRING_TICKET,
            marks=pytest.mark.xfail(
                reason="the Thai pairing ticket ranks pulse-one-side-silent first (tests/kb/search/test_demo_search.py)",
                strict=True,
            ),
        ),
        INDONESIAN_POWER_TICKET,
    ],
    ids=["pl", "th", "id"],
)
def test_ticket_panel_lists_three_candidates_with_the_right_article_first(
    client, session, demo, subject, slug, language
):
    sign_in(client, session)
    shown = candidates(panel(client, demo_ticket(session, subject).id).text)
    assert len(shown) == 3 and all(label for _, label in shown)
    assert shown[0][0] == f"/articles/{slug}?lang={language}"


def test_thai_ticket_panel_holds_the_pairing_article(client, session, demo):
    # Whatever ranks first (see the xfail above), the article that answers is among the three shown.
    subject, slug, language = THAI_PAIRING_TICKET
    sign_in(client, session)
    links = [link for link, _ in candidates(panel(client, demo_ticket(session, subject).id).text)]
    assert f"/articles/{slug}?lang={language}" in links


def test_ticket_draft_is_a_section_of_the_article(client, session, demo):
    subject, slug, language = POLISH_DOCK_TICKET
    sign_in(client, session)
    draft = drafts(panel(client, demo_ticket(session, subject).id).text)[0]
    article = session.scalar(select(Article).where(Article.slug == slug))
    body = next(content.body_markdown for content in article.contents if content.locale == language)
    heading = draft.split("\n\n")[0]
    # Starts with one of the Polish article's section headings; far shorter than the whole article.
    assert f"## {heading}\n" in body and len(draft) < len(body) / 2
    assert f"/articles/{slug}?lang={language}" in draft
