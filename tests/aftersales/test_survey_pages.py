"""The public survey page: a link only shows the question; a click (POST with CSRF) answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from aftersales import surveys
from aftersales.models import SurveyInvitation, SurveyResponse
from tests.aftersales import factories as f
from tests.aftersales.conftest import csrf_from


def invitation_link(session, settings, *, language: str = "en") -> tuple[SurveyInvitation, str]:
    who = f.customer(session, language=language)
    f.buy(session, who, f.product(session, name="Nimbus <Pro>"), at=f.NOW - timedelta(days=14, hours=1))
    surveys.invite_nps(session, now=f.NOW)
    invitation = session.scalars(select(SurveyInvitation)).one()
    # Tests run in the present: keep the invitation open whatever today's date is.
    invitation.closes_at = surveys.utcnow() + timedelta(days=7)
    session.flush()
    return invitation, f"/surveys/{surveys.sign_invitation(settings.secret_key, invitation)}"


def responses(session) -> int:
    return session.scalar(select(func.count()).select_from(SurveyResponse))


def test_opening_the_link_with_a_score_does_not_answer(client, session, settings):
    _, link = invitation_link(session, settings)
    page = client.get(f"{link}?score=0")
    assert page.status_code == 200
    assert 'value="0" required checked' in page.text and "Send my answer" in page.text
    assert responses(session) == 0


def test_the_page_escapes_the_product_name(client, session, settings):
    _, link = invitation_link(session, settings)
    html = client.get(link).text
    assert "Nimbus &lt;Pro&gt;" in html and "Nimbus <Pro>" not in html


def test_a_click_answers_and_the_answer_can_be_changed(client, session, settings):
    invitation, link = invitation_link(session, settings)
    token = csrf_from(client.get(link).text)
    first = client.post(link, data={"csrf_token": token, "score": "9", "comment": "Love it"}, follow_redirects=False)
    assert first.status_code == 303
    client.post(link, data={"csrf_token": token, "score": "10", "comment": "Even better"})
    session.expire_all()
    assert [(r.score, r.comment) for r in session.scalars(select(SurveyResponse))] == [(10, "Even better")]
    page = client.get(link).text
    assert "Even better" in page and "Change my answer" in page


def test_posting_without_a_csrf_token_is_refused(client, session, settings):
    _, link = invitation_link(session, settings)
    client.get(link)
    assert client.post(link, data={"score": "0"}).status_code == 403
    assert responses(session) == 0


def test_a_missing_score_shows_the_form_again(client, session, settings):
    _, link = invitation_link(session, settings)
    token = csrf_from(client.get(link).text)
    response = client.post(link, data={"csrf_token": token, "comment": "kept"})
    assert response.status_code == 422 and "kept" in response.text


def test_a_closed_survey_takes_no_answer(client, session, settings):
    invitation, link = invitation_link(session, settings)
    token = csrf_from(client.get(link).text)
    invitation.closes_at = surveys.utcnow() - timedelta(minutes=1)
    session.flush()
    assert client.post(link, data={"csrf_token": token, "score": "5"}).status_code == 409
    assert responses(session) == 0


def test_a_tampered_link_is_not_found(client, session, settings):
    _, link = invitation_link(session, settings)
    assert client.get(link[:-3] + "abc").status_code == 404


def test_the_page_speaks_the_customers_language(client, session, settings):
    _, link = invitation_link(session, settings, language="pl")
    html = client.get(link).text
    assert "polecisz" in html and 'lang="pl"' in html


def test_the_page_is_kept_out_of_caches_and_referrers(client, session, settings):
    _, link = invitation_link(session, settings)
    headers = client.get(link).headers
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
