"""Ticket links on pages and in the API: expired and revoked links, a new link by e-mail, revoking.

Against the real database and the real outbox (the e-mail is the queued outbox row; its delivery
is the workers' tests' business).
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import quote

from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from accounts import service as accounts
from accounts.models import Role
from accounts.service import start_login_session
from aftercare.config import get_settings
from helpdesk import ticket_links
from helpdesk.email.models import OutboxMessage
from helpdesk.ticket_links import sign_ticket_link
from tests.factories import create_customer_user, create_ticket
from tests.web.pages_support import csrf_from, sign_in

DAY = 24 * 3600


def _link_signed_days_ago(settings, ticket, days: float) -> str:
    """A link as ``sign_ticket_link`` makes it, but signed ``days`` ago (the clock cannot wait a month)."""

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * DAY)

    serializer = URLSafeTimedSerializer(
        settings.secret_key, salt=ticket_links._TIMED_TICKET_LINK_SALT, signer=PastSigner
    )
    return serializer.dumps([ticket.id, ticket.requester_id, ticket.link_generation])


def _page(ticket, link: str) -> str:
    return f"/tickets/{ticket.id}?access_token={link}"


def _link_mails(session, ticket) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.ticket_id == ticket.id, OutboxMessage.dedupe_key.like("ticket-link:%")
            )
        )
    )


def _link_in(mail: OutboxMessage) -> str:
    return re.search(r"https?://\S+/tickets/\d+\?access_token=\S+", mail.text_body).group(0)


def _sign_in_customer(client, session, user) -> None:
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, user, lifetime=timedelta(hours=1))
    )


def test_link_within_its_lifetime_opens_the_ticket(client, session, settings):
    ticket = create_ticket(session)
    response = client.get(_page(ticket, _link_signed_days_ago(settings, ticket, 29)))
    assert response.status_code == 200 and ticket.subject in response.text


def test_expired_link_shows_a_page_that_says_so_and_offers_a_new_link(client, session, settings):
    ticket = create_ticket(session)
    response = client.get(_page(ticket, _link_signed_days_ago(settings, ticket, 31)))
    assert response.status_code == 200 and "/login" in str(response.url)
    assert "This link has expired" in response.text and "E-mail me a new link" in response.text
    # The page is about a link that no longer opens anything: nothing of the ticket shows.
    assert ticket.subject not in response.text and ticket.requester.email not in response.text


def test_expired_links_button_emails_a_working_link_to_the_tickets_address(client, session, settings):
    ticket = create_ticket(session)
    page = client.get(_page(ticket, _link_signed_days_ago(settings, ticket, 31)))
    stale = re.search(r'name="link" value="([^"]+)"', page.text).group(1)
    response = client.post("/tickets/link", data={"csrf_token": csrf_from(page.text), "link": stale})
    assert response.status_code == 200 and "Check your e-mail" in response.text
    [mail] = _link_mails(session, ticket)
    assert mail.to_address == ticket.requester.email
    fresh = _link_in(mail).split("/tickets/", 1)[1]
    assert ticket.subject in client.get(f"/tickets/{fresh}").text


def test_expired_link_in_the_api_is_a_401_that_says_expired(client, session, settings):
    ticket = create_ticket(session)
    response = client.get(
        f"/api/v1/tickets/{ticket.id}", headers={"X-Ticket-Token": _link_signed_days_ago(settings, ticket, 31)}
    )
    assert response.status_code == 401 and response.json()["code"] == "ticket_link_expired"
    assert response.json()["detail"]


def test_link_form_sends_a_link_when_number_and_address_match(client, session):
    ticket = create_ticket(session)
    token = csrf_from(client.get("/tickets/link").text)
    response = client.post(
        "/tickets/link", data={"csrf_token": token, "ticket": f"#{ticket.id}", "email": ticket.requester.email.upper()}
    )
    assert response.status_code == 200
    assert [mail.to_address for mail in _link_mails(session, ticket)] == [ticket.requester.email]


def test_link_form_answers_the_same_when_nothing_matches(client, session):
    ticket = create_ticket(session)
    token = csrf_from(client.get("/tickets/link").text)
    matching = client.post(
        "/tickets/link", data={"csrf_token": token, "ticket": str(ticket.id), "email": ticket.requester.email}
    )
    wrong_address = client.post(
        "/tickets/link", data={"csrf_token": token, "ticket": str(ticket.id), "email": "someone-else@example.com"}
    )
    no_such_ticket = client.post(
        "/tickets/link", data={"csrf_token": token, "ticket": "2147483647", "email": ticket.requester.email}
    )
    assert matching.status_code == wrong_address.status_code == no_such_ticket.status_code == 200
    assert _without_csrf(matching.text) == _without_csrf(wrong_address.text) == _without_csrf(no_such_ticket.text)
    assert len(_link_mails(session, ticket)) == 1


def _without_csrf(html: str) -> str:
    return re.sub(r'value="[0-9a-f]{64}"', "", html)


def test_link_form_with_a_bad_number_says_so_and_keeps_the_address(client, session):
    token = csrf_from(client.get("/tickets/link").text)
    response = client.post(
        "/tickets/link", data={"csrf_token": token, "ticket": "99999999999999999999999", "email": "me@example.com"}
    )
    assert response.status_code == 422 and "request&#39;s number" in response.text
    assert 'value="me@example.com"' in response.text


def test_link_form_needs_csrf(client, session):
    ticket = create_ticket(session)
    response = client.post("/tickets/link", data={"ticket": str(ticket.id), "email": ticket.requester.email})
    assert response.status_code == 403 and _link_mails(session, ticket) == []


def test_link_emails_go_out_at_most_once_an_hour_per_ticket(client, session):
    ticket = create_ticket(session)
    token = csrf_from(client.get("/tickets/link").text)
    for _ in range(3):
        client.post(
            "/tickets/link", data={"csrf_token": token, "ticket": str(ticket.id), "email": ticket.requester.email}
        )
    assert len(_link_mails(session, ticket)) == 1


def test_agent_revokes_a_tickets_links_from_its_page(client, session, settings):
    ticket = create_ticket(session)
    old = sign_ticket_link(settings.secret_key, ticket)
    sign_in(client, session)
    page = client.get(f"/agent/tickets/{ticket.id}")
    assert f'action="/agent/tickets/{ticket.id}/links/revoke"' in page.text
    response = client.post(
        f"/agent/tickets/{ticket.id}/links/revoke", data={"csrf_token": csrf_from(page.text), "send_new_link": "1"}
    )
    assert response.status_code == 200 and "no longer works" in response.text  # the agent's page, with a notice
    client.cookies.clear()
    api = client.get(f"/api/v1/tickets/{ticket.id}", headers={"X-Ticket-Token": old})
    assert api.status_code == 401 and api.json()["code"] == "ticket_link_revoked"
    assert "This link no longer works" in client.get(_page(ticket, old)).text
    [mail] = _link_mails(session, ticket)
    assert ticket.subject in client.get(f"/tickets/{_link_in(mail).split('/tickets/', 1)[1]}").text


def test_agent_revoke_needs_csrf(client, session):
    ticket = create_ticket(session)
    sign_in(client, session)
    assert client.post(f"/agent/tickets/{ticket.id}/links/revoke").status_code == 403
    session.refresh(ticket)
    assert ticket.link_generation == 0


def test_requester_with_a_link_revokes_and_gets_a_new_link_by_email(client, session, settings):
    ticket = create_ticket(session)
    old = sign_ticket_link(settings.secret_key, ticket)
    page = client.get(_page(ticket, old))
    match = re.search(rf'action="(/tickets/{ticket.id}/links/revoke\?access_token=[^"]+)"', page.text)
    assert match, "the customer's ticket page offers to revoke its links"
    response = client.post(match.group(1), data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 200 and "Links revoked" in response.text
    assert "/login" in str(client.get(_page(ticket, old)).url)
    [mail] = _link_mails(session, ticket)
    assert mail.to_address == ticket.requester.email


def test_signed_in_requester_revokes_and_still_sees_the_ticket(client, session, settings):
    user = create_customer_user(session)
    ticket = create_ticket(session, customer_email=user.email)
    old = sign_ticket_link(settings.secret_key, ticket)
    _sign_in_customer(client, session, user)
    page = client.get(f"/tickets/{ticket.id}")
    response = client.post(f"/tickets/{ticket.id}/links/revoke", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 200 and _link_mails(session, ticket) == []
    assert ticket.subject in client.get(f"/tickets/{ticket.id}").text
    client.cookies.clear()
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers={"X-Ticket-Token": old}).status_code == 401


def test_another_customer_cannot_revoke_your_links(client, session, settings):
    ticket = create_ticket(session)
    link = sign_ticket_link(settings.secret_key, ticket)
    _sign_in_customer(client, session, create_customer_user(session))
    token = csrf_from(client.get("/tickets/link").text)
    response = client.post(f"/tickets/{ticket.id}/links/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    client.cookies.clear()
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers={"X-Ticket-Token": link}).status_code == 200


def test_a_link_to_one_ticket_cannot_revoke_another(client, session, settings):
    mine = create_ticket(session)
    theirs = create_ticket(session)
    token = csrf_from(client.get("/tickets/link").text)
    mine_link = sign_ticket_link(settings.secret_key, mine)
    response = client.post(f"/tickets/{theirs.id}/links/revoke?access_token={mine_link}", data={"csrf_token": token})
    assert response.status_code == 404
    session.refresh(theirs)
    assert theirs.link_generation == 0


def test_api_revoke_by_agent_stops_old_links_and_can_mail_a_new_one(client, session, settings):
    from tests.factories import create_staff, token_for

    ticket = create_ticket(session)
    old = sign_ticket_link(settings.secret_key, ticket)
    headers = token_for(session, create_staff(session))
    response = client.post(f"/api/v1/tickets/{ticket.id}/links/revoke?send_new_link=true", headers=headers)
    assert response.status_code == 200 and response.json() == {"ticket_id": ticket.id, "new_link_sent": True}
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers={"X-Ticket-Token": old}).status_code == 401


def test_api_revoke_by_another_customer_is_not_found(client, session):
    from tests.factories import token_for

    ticket = create_ticket(session)
    headers = token_for(session, create_customer_user(session))
    response = client.post(f"/api/v1/tickets/{ticket.id}/links/revoke", headers=headers)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_api_revoke_anonymously_is_a_401(client, session):
    ticket = create_ticket(session)
    response = client.post(f"/api/v1/tickets/{ticket.id}/links/revoke")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_untimed_link_from_before_the_upgrade_still_opens_the_ticket(client, session, settings):
    ticket = create_ticket(session)
    ticket.untimed_links_issued_at = accounts.utcnow() - timedelta(days=1)
    session.flush()
    untimed = URLSafeSerializer(settings.secret_key, salt="aftercare.ticket-link").dumps(
        [ticket.id, ticket.requester_id]
    )
    assert ticket.subject in client.get(_page(ticket, untimed)).text


def test_login_page_without_a_stale_link_is_the_sign_in_form(client):
    response = client.get("/login?next=" + quote("/tickets/1?access_token=forged.value"))
    assert response.status_code == 200 and 'action="/login"' in response.text


def test_signed_in_agent_ignores_a_stale_link_in_next(client, session, settings):
    ticket = create_ticket(session)
    sign_in(client, session, role=Role.AGENT)
    stale = _link_signed_days_ago(settings, ticket, 31)
    response = client.get("/login?next=" + quote(_page(ticket, stale)))
    assert 'action="/login"' in response.text


def test_sign_in_page_leads_to_the_new_link_form(client):
    assert 'href="/tickets/link"' in client.get("/login").text
