"""Articles offered on intake (stored once, in the ticket's language when translated), "This solved
it" in the service, and the self-resolution rate by language and by article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts.service import Principal
from aftercare.errors import Forbidden, InvalidTransition, NotFound
from helpdesk.models import TicketStatus
from helpdesk.schemas import TicketUpdate
from kb import service as kb_service
from kb.feedback import insights, self_resolution
from kb.feedback.models import IntakeSuggestion, SolvedVia
from kb.schemas import ArticleUpdate
from kb.search.models import SearchLog
from tests.factories import create_ticket, staff_principal
from tests.kb.factories import create_article
from tests.web.search_support import e5, keeper, publish_small_kb  # noqa: F401 - fixtures

THIS_MONTH = insights.default_range()
POLISH_SUBJECT = "Termostat nie łączy się z Wi-Fi"
POLISH_BODY = "Dzień dobry, od wczoraj termostat pokazuje offline w aplikacji i nie łączy się z routerem."


def _requester(ticket) -> Principal:
    return Principal(customer=ticket.requester, ticket_link_id=ticket.id)


def _searches(session) -> int:
    return session.scalar(select(func.count()).select_from(SearchLog))


# ---- the offer -------------------------------------------------------------------------------


def test_at_most_three_articles_are_offered(session, keeper):
    publish_small_kb(session)
    create_article(session, title="Pair the Pulse earbuds", status="published")
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    assert len(self_resolution.offer_articles(session, ticket)) == 3


def test_a_translated_article_is_offered_in_the_tickets_language(session, keeper):
    wifi = publish_small_kb(session)[0]
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    [offered] = [item for item in self_resolution.offer_articles(session, ticket) if item.article_id == wifi.id]
    assert (offered.locale, offered.other_language, offered.url) == ("pl", False, f"/articles/{wifi.slug}?lang=pl")


def test_an_untranslated_article_is_offered_in_its_own_language_and_says_so(session, keeper):
    charging = publish_small_kb(session)[2]  # English only
    ticket = create_ticket(
        session,
        subject="Słuchawki Pulse się nie ładują",
        body="Włożyłem obie słuchawki do etui i podłączyłem kabel, ale się nie ładują.",
    )
    [offered] = [item for item in self_resolution.offer_articles(session, ticket) if item.article_id == charging.id]
    assert (offered.locale, offered.other_language, offered.url) == ("en", True, f"/articles/{charging.slug}")


def test_the_offer_is_searched_once_and_then_reused(session, keeper):
    publish_small_kb(session)
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    first = self_resolution.offer_articles(session, ticket)
    searches = _searches(session)
    assert self_resolution.offer_articles(session, ticket) == first
    assert _searches(session) == searches


def test_nothing_is_searched_without_published_articles(session, keeper):
    ticket = create_ticket(session)
    before = _searches(session)
    assert self_resolution.offer_articles(session, ticket) == []
    assert _searches(session) == before


def test_an_article_unpublished_since_is_no_longer_offered(session, keeper):
    wifi = publish_small_kb(session)[0]
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    self_resolution.offer_articles(session, ticket)
    kb_service.update_article(session, wifi, ArticleUpdate(status="archived"))
    assert wifi.id not in {item.article_id for item in self_resolution.offered_articles(session, ticket)}


def test_a_failing_search_offers_nothing_and_keeps_the_ticket(session, keeper, monkeypatch):
    from kb.search import suggestions

    publish_small_kb(session)
    ticket = create_ticket(session)

    def broken(*args, **kwargs):
        raise RuntimeError("index is gone")

    monkeypatch.setattr(suggestions, "suggest_for_ticket", broken)
    assert self_resolution.offer_articles(session, ticket) == []
    session.refresh(ticket)
    assert ticket.status == TicketStatus.NEW


# ---- "This solved it" --------------------------------------------------------------------------


def _offered_ticket(session):
    wifi = publish_small_kb(session)[0]
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    self_resolution.offer_articles(session, ticket)
    return ticket, wifi


def test_solving_moves_the_ticket_to_solved_with_the_note(session, keeper):
    ticket, wifi = _offered_ticket(session)
    self_resolution.solve_with_article(session, ticket, wifi.id, _requester(ticket), via=SolvedVia.PAGE, note="Solved.")
    assert ticket.status == TicketStatus.SOLVED and ticket.messages[-1].body == "Solved."


def test_solving_a_closed_ticket_is_refused(session, keeper):
    ticket, wifi = _offered_ticket(session)
    agent = staff_principal(session)
    from helpdesk import service

    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), agent)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.CLOSED), agent)
    with pytest.raises(InvalidTransition):
        self_resolution.solve_with_article(session, ticket, wifi.id, _requester(ticket), via=SolvedVia.PAGE, note="x")


def test_only_the_requester_may_solve(session, keeper):
    ticket, wifi = _offered_ticket(session)
    with pytest.raises(Forbidden):
        self_resolution.solve_with_article(
            session, ticket, wifi.id, staff_principal(session), via=SolvedVia.PAGE, note="x"
        )


def test_an_article_not_offered_cannot_solve(session, keeper):
    ticket, _ = _offered_ticket(session)
    other = create_article(session, title="Warranty terms", status="published")
    with pytest.raises(NotFound):
        self_resolution.solve_with_article(session, ticket, other.id, _requester(ticket), via=SolvedVia.PAGE, note="x")


# ---- the self-resolution rate --------------------------------------------------------------------


def _offer(session, ticket, article, *, language: str, solved: bool = False, days_ago: int = 0, rank: int = 1):
    offered_at = datetime.now(UTC) - timedelta(days=days_ago)
    row = IntakeSuggestion(
        ticket_id=ticket.id,
        rank=rank,
        article_id=article.id,
        locale=language,
        language=language,
        answered=False,
        created_at=offered_at,
        solved_at=offered_at if solved else None,
        solved_via=SolvedVia.EMAIL if solved else None,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def offers(session):
    """Two Polish tickets offered the reset article (one solved by it) and a Thai ticket offered
    both articles (not solved): pl 1 of 2, th 0 of 1; reset 1 of 3 tickets, wifi 0 of 1."""
    reset = create_article(session, title="Reset the Nimbus thermostat")
    wifi = create_article(session, title="Reconnect the Nimbus thermostat to Wi-Fi")
    solved, unsolved, thai = create_ticket(session), create_ticket(session), create_ticket(session)
    _offer(session, solved, reset, language="pl", solved=True)
    _offer(session, unsolved, reset, language="pl")
    _offer(session, thai, reset, language="th")
    _offer(session, thai, wifi, language="th", rank=2)
    return reset, wifi


def test_self_resolution_rate_overall(session, offers):
    figures = insights.self_resolution(session, THIS_MONTH)
    assert (figures.total.offered, figures.total.solved) == (3, 1)


def test_self_resolution_rate_by_language(session, offers):
    figures = insights.self_resolution(session, THIS_MONTH)
    assert {row.language: (row.solved, row.offered) for row in figures.by_language} == {"pl": (1, 2), "th": (0, 1)}
    assert [row.rate for row in figures.by_language if row.language == "pl"] == [0.5]


def test_self_resolution_rate_by_article(session, offers):
    reset, wifi = offers
    figures = insights.self_resolution(session, THIS_MONTH)
    assert [(row.article_id, row.solved, row.offered) for row in figures.by_article] == [
        (reset.id, 1, 3),
        (wifi.id, 0, 1),
    ]
    assert figures.by_article[0].title == "Reset the Nimbus thermostat"


def test_tickets_offered_before_the_range_are_not_counted(session):
    article = create_article(session)
    _offer(session, create_ticket(session), article, language="pl", solved=True, days_ago=40)
    figures = insights.self_resolution(session, THIS_MONTH)
    assert (figures.total.offered, figures.total.solved, figures.by_language) == (0, 0, ())


def test_insights_page_shows_the_rate_by_language_beside_the_funnel(client, session, offers):
    from accounts.models import Role
    from tests.web.pages_support import sign_in

    sign_in(client, session, role=Role.ADMIN)
    html = client.get("/admin/insights").text
    section = html[html.index('id="self-resolution-title"') : html.index('id="suggestions-title"')]
    assert html.index('id="funnel-title"') < html.index('id="self-resolution-title"')
    assert '<figure class="chart"' in section
    # Polish: 1 of 2 offered tickets solved (the fixture's figures), named for an English reader.
    assert '<th scope="row">Polish</th><td>2</td><td>1</td><td>50%</td>' in section


def test_insights_section_alone_for_htmx(client, session, offers):
    from accounts.models import Role
    from tests.web.pages_support import sign_in

    sign_in(client, session, role=Role.ADMIN)
    response = client.get("/admin/insights/self_resolution", headers={"HX-Request": "true"})
    assert (
        response.status_code == 200 and "<html" not in response.text and "Reset the Nimbus thermostat" in response.text
    )


def test_an_article_in_a_third_language_is_not_offered(session, keeper):
    publish_small_kb(session)
    thai = create_article(
        session,
        title="เทอร์โมสตัท Nimbus เชื่อมต่อ Wi-Fi ไม่ได้",
        locale="th",
        status="published",
        body="เปิดแอปแล้วเลือกเครือข่าย Wi-Fi ใหม่",
        questions=["ทำไมเทอร์โมสตัทออฟไลน์"],
    )
    ticket = create_ticket(session, subject=POLISH_SUBJECT, body=POLISH_BODY)
    offered = {item.article_id for item in self_resolution.offer_articles(session, ticket)}
    # The premise: the search ranks it among the first three (the agents' stored suggestions).
    from kb.search.suggestions import current_suggestions

    assert thai.id in [row.article_id for row in current_suggestions(session, ticket.id)[:3]]
    assert thai.id not in offered and len(offered) == 3


# ---- the JSON report -----------------------------------------------------------------------------


def _admin_headers(session) -> dict[str, str]:
    from accounts.models import Role
    from tests.factories import create_staff, token_for

    return token_for(session, create_staff(session, role=Role.ADMIN))


def test_json_report_gives_the_rate_by_language(client, session, offers):
    report = client.get("/api/v1/reports/self-resolution", headers=_admin_headers(session)).json()
    assert report["total"] == {"offered": 3, "solved": 1, "rate": pytest.approx(1 / 3)}
    assert {row["language"]: (row["solved"], row["offered"]) for row in report["by_language"]} == {
        "pl": (1, 2),
        "th": (0, 1),
    }


def test_json_report_gives_the_rate_by_article(client, session, offers):
    reset, _ = offers
    report = client.get("/api/v1/reports/self-resolution", headers=_admin_headers(session)).json()
    assert report["by_article"][0] == {
        "article_id": reset.id,
        "title": "Reset the Nimbus thermostat",
        "slug": reset.slug,
        "offered": 3,
        "solved": 1,
        "rate": pytest.approx(1 / 3),
    }


def test_json_report_is_for_admins(client, session):
    from tests.factories import create_staff, token_for

    assert (
        client.get("/api/v1/reports/self-resolution", headers=token_for(session, create_staff(session))).status_code
        == 403
    )


def test_json_report_refuses_a_bad_range(client, session):
    response = client.get(
        "/api/v1/reports/self-resolution",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=_admin_headers(session),
    )
    assert response.status_code == 422 and "start date" in response.json()["detail"]
