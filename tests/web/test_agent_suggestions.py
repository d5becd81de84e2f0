"""The ticket page's suggested replies, insertion tracking, and drafting an article from a ticket."""

from __future__ import annotations

import re

from sqlalchemy import select

from accounts.models import Role
from kb import service as kb_service
from kb.models import ArticleStatus
from kb.search.models import SuggestionEvent
from tests.factories import create_ticket, token_for
from tests.kb.factories import create_article
from tests.web.demo_support import candidates as _candidates
from tests.web.demo_support import drafts as _drafts
from tests.web.demo_support import panel as _panel
from tests.web.pages_support import csrf_from, sign_in
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures
from web.pages.agent_suggestions import plain_text

HTMX = {"HX-Request": "true"}


def _events(session) -> list[str]:
    session.expire_all()
    return [str(event.event) for event in session.scalars(select(SuggestionEvent).order_by(SuggestionEvent.id))]


def test_plain_text_drops_markdown_syntax():
    text = plain_text("## Steps\n\n1. Tap **Settings** and `Wi-Fi`.\n2. See [the guide](https://x.example/g).")
    assert text == "Steps\n\n1. Tap Settings and Wi-Fi.\n2. See the guide (https://x.example/g)."


def test_ticket_page_loads_the_panel_with_htmx(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert f'hx-get="/agent/tickets/{ticket.id}/suggestions" hx-trigger="load"' in html


def test_panel_shows_the_matching_article_with_confidence_and_language(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(
        session, subject="My earbuds are not charging", body="I put them in the case overnight but they are still dead."
    )
    html = _panel(client, ticket.id).text
    assert "Charge the Pulse earbuds" in html and re.search(r"Confidence \d+%", html)
    assert "English" in html and "data-insert-text=" in html and "<html" not in html


def test_panel_records_each_shown_candidate_once(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    shown = len(re.findall(r'data-suggestion="', _panel(client, ticket.id).text))
    assert shown == 3 and _events(session) == ["shown"] * shown  # all three articles of the small KB


def test_panel_shows_the_closest_articles_when_nothing_is_confident(client, session, keeper):
    # Nothing in the small KB is about invoices, so the search cannot be confident; the agent still
    # gets the three candidates to judge, under a plain "No confident suggestion".
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="Invoice address for my company", body="Please change the VAT number.")
    html = _panel(client, ticket.id).text
    assert "No confident suggestion." in html and len(_candidates(html)) == 3
    assert 'data-confident="true"' not in html and len(_drafts(html)) == 3


def test_confident_suggestion_is_marked(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(
        session, subject="My earbuds are not charging", body="I put them in the case overnight but they are still dead."
    )
    html = _panel(client, ticket.id).text
    first = re.search(r'<li data-suggestion="\d+" data-confident="(\w+)".*?</li>', html, flags=re.S)
    assert first.group(1) == "true" and "Charge the Pulse earbuds" in first.group(0) and "No confident" not in html


def test_draft_is_in_the_tickets_language_when_translated(client, session, keeper):
    wifi, _b, _c = publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(
        session,
        subject="Termostat ciągle traci połączenie z Wi-Fi",
        body="Dzień dobry, termostat Nimbus rozłącza się z siecią Wi-Fi kilka razy dziennie.",
    )
    draft = _drafts(_panel(client, ticket.id).text)[0]
    # The Polish translation's steps (tests.kb.factories.add_translation), cited in Polish.
    assert "1. Otwórz aplikację." in draft and "Ponowne łączenie termostatu Nimbus z Wi-Fi" in draft
    assert f"/articles/{wifi.slug}?lang=pl" in draft and "Z artykułu" in draft


def test_draft_falls_back_to_the_source_without_a_translation(client, session, keeper):
    _w, _b, charging = publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(
        session, subject="Earbuds Pulse tidak mengisi daya", body="Earbuds Pulse tidak mengisi daya."
    )
    draft = _drafts(_panel(client, ticket.id).text)[0]
    assert "Put both earbuds in the case" in draft and f"/articles/{charging.slug}" in draft


SECTIONED_BODY = (
    "The Pulse case charges the earbuds three times over.\n\n"
    "## The case does not charge\n\n"
    "Use the USB-C cable that came in the box and a 5 V wall adapter. The light on the case blinks "
    "amber while it charges and turns green when it is full.\n\n"
    "## Water and sweat\n\n"
    "The earbuds are splash resistant, but the case is not: dry the earbuds before you put them back.\n\n"
    "## Cleaning\n\n"
    "Wipe the ear tips with a dry cloth once a week and never rinse the case under a tap."
)


def test_insert_carries_the_matching_section_not_the_whole_article(client, session, keeper):
    article = create_article(
        session,
        title="Pulse charging case guide",
        status="published",
        body=SECTIONED_BODY,
        questions=["Why does my Pulse case not charge?"],
    )
    sign_in(client, session)
    ticket = create_ticket(
        session, subject="Case does not charge", body="The light on the case never turns green with my USB-C cable."
    )
    draft = _drafts(_panel(client, ticket.id).text)[0]
    assert "The light on the case blinks amber" in draft and f"/articles/{article.slug}" in draft
    # The other sections stay in the article, one click away.
    assert "splash resistant" not in draft and "Wipe the ear tips" not in draft


def test_panel_links_each_article_to_open_it(client, session, keeper):
    _w, _b, charging = publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    html = _panel(client, ticket.id).text
    assert f'href="/articles/{charging.slug}" target="_blank" rel="noopener">Open article' in html


def test_panel_without_htmx_redirects_to_the_ticket(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    response = client.get(f"/agent/tickets/{ticket.id}/suggestions", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("#suggestions")


def test_panel_needs_staff(client, session):
    sign_in(client, session, role=Role.CUSTOMER)
    ticket = create_ticket(session)
    assert _panel(client, ticket.id).status_code == 403


def test_panel_for_a_missing_ticket_is_404(client, session):
    sign_in(client, session)
    assert _panel(client, 999999).status_code == 404


def _shown_suggestion(client, session, ticket_id) -> int:
    html = _panel(client, ticket_id).text
    return int(re.search(r'data-suggestion="(\d+)"', html).group(1))


def test_insert_then_send_records_sent_with(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    page = client.get(f"/agent/tickets/{ticket.id}").text
    token = csrf_from(page)
    inserted = client.post(
        f"/agent/tickets/{ticket.id}/suggestions/{suggestion_id}/inserted", headers={"X-CSRF-Token": token, **HTMX}
    )
    assert inserted.status_code == 204
    body = "Hello,\n\n" + _drafts(_panel(client, ticket.id).text)[0]
    client.post(
        f"/agent/tickets/{ticket.id}/messages", data={"csrf_token": token, "body": body, "kind": "public_reply"}
    )
    assert _events(session)[-1] == "sent_with" and "inserted" in _events(session)


def test_a_reply_sent_through_the_api_settles_an_insertion_like_the_page(client, session, keeper):
    publish_small_kb(session)
    agent = sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(f"/agent/tickets/{ticket.id}/suggestions/{suggestion_id}/inserted", headers={"X-CSRF-Token": token})
    body = "Hello,\n\n" + _drafts(_panel(client, ticket.id).text)[0]
    sent = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": body, "kind": "public_reply"},
        headers=token_for(session, agent),
    )
    assert sent.status_code == 201, sent.text
    assert _events(session)[-1] == "sent_with"


def test_insert_then_send_without_it_records_removed(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(f"/agent/tickets/{ticket.id}/suggestions/{suggestion_id}/inserted", headers={"X-CSRF-Token": token})
    client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": "Please send it to us.", "kind": "public_reply"},
    )
    assert _events(session)[-1] == "removed"


def test_internal_note_does_not_settle_an_insertion(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(f"/agent/tickets/{ticket.id}/suggestions/{suggestion_id}/inserted", headers={"X-CSRF-Token": token})
    client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": "Note to self", "kind": "internal_note"},
    )
    assert _events(session)[-1] == "inserted"


def test_insert_needs_csrf(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    assert client.post(f"/agent/tickets/{ticket.id}/suggestions/{suggestion_id}/inserted").status_code == 403


def test_insert_of_another_tickets_suggestion_is_404(client, session, keeper):
    publish_small_kb(session)
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    other = create_ticket(session)
    suggestion_id = _shown_suggestion(client, session, ticket.id)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{other.id}/suggestions/{suggestion_id}/inserted", headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 404


def test_draft_article_from_a_ticket_prefills_question_and_answer(client, session):
    agent = sign_in(client, session)
    ticket = create_ticket(
        session,
        subject="Robot stops in the middle of the room",
        body="My Aurora stops and beeps twice in the living room.",
    )
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "kind": "public_reply", "body": "Please clean the wheel sensors with a dry cloth."},
    )
    response = client.post(
        f"/agent/tickets/{ticket.id}/draft-article", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    article_id = int(re.search(r"/admin/articles/(\d+)\?done=drafted", response.headers["location"]).group(1))
    session.expire_all()
    article = kb_service.get_article(session, article_id)
    assert article.status == ArticleStatus.DRAFT and article.source.title == "Robot stops in the middle of the room"
    assert article.source.body_markdown == "Please clean the wheel sensors with a dry cloth."
    assert article.source.questions[1].startswith("My Aurora stops") and article.author_id == agent.id


def test_draft_article_opens_read_only_for_an_agent(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    html = client.post(f"/agent/tickets/{ticket.id}/draft-article", data={"csrf_token": token}).text
    assert "Draft created from the ticket" in html and "Read only" in html


def test_draft_article_needs_csrf(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    client.get(f"/agent/tickets/{ticket.id}")
    assert client.post(f"/agent/tickets/{ticket.id}/draft-article").status_code == 403


def test_draft_article_needs_staff(client, session):
    sign_in(client, session, role=Role.CUSTOMER)
    ticket = create_ticket(session)
    token = csrf_from(client.get("/contact").text)
    assert client.post(f"/agent/tickets/{ticket.id}/draft-article", data={"csrf_token": token}).status_code == 403


def test_suggestion_titles_are_escaped(client, session, keeper):
    create_article(
        session,
        title="Charge the Pulse earbuds <script>alert(1)</script>",
        status="published",
        body="Put both earbuds in the case.",
        questions=["Why are my earbuds not charging?"],
    )
    sign_in(client, session)
    ticket = create_ticket(session, subject="My earbuds are not charging", body="Still dead after a night.")
    html = _panel(client, ticket.id).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
