"""Agent workspace pages: inbox views, filters, keyset paging, ticket page panels, canned replies."""

from __future__ import annotations

import re
from datetime import timedelta

from accounts.models import Role
from accounts.service import principal_for_user
from aftercare.db import utcnow
from helpdesk.macros import MacroWrite, create_macro
from tests.factories import create_staff, create_ticket
from tests.web.pages_support import csrf_from, sign_in


def _macro(session, **values):
    admin = principal_for_user(create_staff(session, role=Role.ADMIN))
    return create_macro(
        session, MacroWrite(**{"title": "Thanks", "body": "Hi {{customer.first_name}}", **values}), admin
    )


def test_inbox_shows_views_with_counts(client, session):
    sign_in(client, session)
    create_ticket(session)
    html = client.get("/agent/tickets").text
    for view in ("My open", "Unassigned", "All open", "Pending", "Solved"):
        assert view in html
    assert re.search(r'aria-current="page">\s*<span>All open</span> <span class="count">\d+</span>', html)


def test_inbox_text_search_filters_by_subject(client, session):
    sign_in(client, session)
    create_ticket(session, subject="Earbuds crackle in the left ear")
    create_ticket(session, subject="Thermostat schedule question")
    html = client.get("/agent/tickets", params={"q": "crackle", "view": "all"}).text
    assert "Earbuds <mark>crackle</mark>" in html and "Thermostat schedule question" not in html


def test_inbox_htmx_filter_returns_only_the_results(client, session):
    sign_in(client, session)
    create_ticket(session)
    response = client.get("/agent/tickets", params={"status": "new"}, headers={"HX-Request": "true"})
    assert "<table" in response.text and "<html" not in response.text and 'class="views' not in response.text


def test_inbox_pages_with_a_cursor_link(client, session):
    sign_in(client, session)
    base = utcnow() - timedelta(hours=1)
    for n in range(30):
        ticket = create_ticket(session, subject=f"Paged ticket {n:02d}")
        ticket.updated_at = base + timedelta(seconds=n)
    session.flush()
    first = client.get("/agent/tickets", params={"view": "all"}).text
    older = re.search(r'href="(/agent/tickets\?[^"]*older=[^"]+)"', first)
    assert older and "Paged ticket 29" in first and "Paged ticket 04" not in first
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert "Paged ticket 04" in second and "Paged ticket 29" not in second


def test_inbox_bad_cursor_is_a_422_page(client, session):
    sign_in(client, session)
    assert client.get("/agent/tickets", params={"older": "not-a-cursor"}).status_code == 422


def test_inbox_is_for_staff_only(client, session):
    from tests.factories import create_customer_user
    from tests.web.pages_support import PASSWORD

    user = create_customer_user(session, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert client.get("/agent/tickets").status_code == 403


def test_ticket_page_has_the_suggestions_panel(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert 'id="suggestions"' in html and f'hx-get="/agent/tickets/{ticket.id}/suggestions"' in html


def test_ticket_page_shows_the_customers_other_tickets(client, session):
    sign_in(client, session)
    earlier = create_ticket(session, customer_email="loyal@example.com", subject="Earlier problem with docking")
    ticket = create_ticket(session, customer_email="loyal@example.com")
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert "Earlier problem with docking" in html and f"/agent/tickets/{earlier.id}" in html
    assert "loyal@example.com" in html


def test_internal_notes_are_marked_apart_from_replies(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": "Checked the logs.", "kind": "internal_note"},
    )
    html = client.get(f"/agent/tickets/{ticket.id}").text
    note = re.search(r'<li class="message internal[^"]*"[^>]*>(.*?)</li>', html, re.S)
    assert note and "Checked the logs." in note.group(1) and "Internal note" in note.group(1)


def test_rendered_macro_is_plain_text_for_this_ticket(client, session):
    sign_in(client, session)
    ticket = create_ticket(session, customer_name="Piotr Kowalski")
    macro = _macro(session, body="Dzień dobry {{customer.first_name}}, zgłoszenie {{ticket.id}}.")
    response = client.get(f"/agent/tickets/{ticket.id}/macros/{macro.id}")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"Dzień dobry Piotr, zgłoszenie {ticket.id}."


def test_macro_insert_without_javascript_fills_the_editor(client, session):
    sign_in(client, session)
    ticket = create_ticket(session, customer_name="Emma <b>Jones</b>")
    macro = _macro(session)
    html = client.get(f"/agent/tickets/{ticket.id}", params={"macro": macro.id}).text
    assert re.search(r'<textarea id="reply-body"[^>]*>Hi Emma</textarea>', html)


def test_macro_of_unknown_id_is_404(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    assert client.get(f"/agent/tickets/{ticket.id}/macros/999999").status_code == 404


def test_agent_pages_load_the_workspace_script(client, session):
    sign_in(client, session)
    html = client.get("/agent/tickets").text
    assert '<script src="/static/agent.js" defer></script>' in html
    assert client.get("/static/agent.js").status_code == 200


# ---- the reply is never lost; menus offer only legal status changes ---------------------------

REPLY = "Hello Casey, please hold the reset button for ten seconds, then pair the thermostat again."


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select #{select_id}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _ticket_with_status(session, *statuses):
    from helpdesk import service
    from tests.factories import staff_principal

    ticket = create_ticket(session)
    agent = staff_principal(session)
    for status in statuses:
        service.change_status(ticket, status, agent)
    session.flush()
    return ticket


def _textarea(html: str) -> str:
    import html as html_lib

    match = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, "no reply editor"
    return html_lib.unescape(match.group(1))


def test_a_pending_tickets_menus_offer_only_legal_statuses(client, session):
    from helpdesk.models import TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.PENDING)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    # pending -> open or solved; closed only once solved.
    assert _options(html, "reply-status") == ["", "open", "solved"]
    assert _options(html, "status") == ["pending", "open", "solved"]


def test_a_refused_status_keeps_the_reply_with_the_error_beside_it(client, session):
    from helpdesk.models import Message, TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.PENDING)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": REPLY, "kind": "public_reply", "status": "closed"},
    )
    assert response.status_code == 409
    assert _textarea(response.text) == REPLY
    error = re.search(r'<p class="field-error" id="reply-status-error" role="alert">(.*?)</p>', response.text, re.S)
    assert error and "closed" in error.group(1)
    assert 'aria-describedby="reply-status-error"' in response.text
    session.expire_all()
    assert ticket.status == TicketStatus.PENDING
    assert [m.body for m in session.query(Message).filter_by(ticket_id=ticket.id)] == [ticket.messages[0].body]


def test_the_same_reply_with_a_legal_status_then_goes_out(client, session):
    from helpdesk.models import TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.PENDING)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": REPLY, "kind": "public_reply", "status": "closed"},
    )
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        follow_redirects=False,
        data={"csrf_token": token, "body": REPLY, "kind": "public_reply", "status": "solved"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert ticket.status == TicketStatus.SOLVED and ticket.messages[-1].body == REPLY


def test_an_invalid_reply_keeps_what_was_typed(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages",
        data={"csrf_token": token, "body": REPLY, "kind": "shout", "status": "nonsense"},
    )
    assert response.status_code == 422
    assert _textarea(response.text) == REPLY
    assert 'id="reply-error"' in response.text and 'id="reply-status-error"' in response.text


def test_a_closed_ticket_takes_internal_notes_only(client, session):
    from helpdesk.models import TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.SOLVED, TicketStatus.CLOSED)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert re.search(r'<input type="radio" name="kind" value="public_reply" disabled>', html)
    assert re.search(r'<input type="radio" name="kind" value="internal_note" checked>', html)
    assert _options(html, "reply-status") == [""]
    token = csrf_from(html)
    response = client.post(
        f"/agent/tickets/{ticket.id}/messages", data={"csrf_token": token, "body": REPLY, "kind": "public_reply"}
    )
    assert response.status_code == 409 and _textarea(response.text) == REPLY
    assert re.search(r'id="reply-error" role="alert">[^<]*closed', response.text)


def test_a_refused_change_in_the_properties_is_an_error_on_the_page(client, session):
    from helpdesk.models import TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.PENDING)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/update", data={"csrf_token": token, "status": "closed", "priority": "high"}
    )
    assert response.status_code == 409
    assert re.search(r'<p class="field-error" role="alert">status: [^<]*closed', response.text)
    session.expire_all()
    # All or nothing: the priority that came with the refused status is not saved either...
    assert (ticket.status, ticket.priority) == (TicketStatus.PENDING, "normal")
    # ...but the form shows it as chosen, ready to save with another status.
    assert re.search(r'<option value="high" selected>', response.text)


def test_a_refused_change_keeps_the_tags_that_were_typed(client, session):
    from helpdesk.models import TicketStatus

    sign_in(client, session)
    ticket = _ticket_with_status(session, TicketStatus.PENDING)
    token = csrf_from(client.get(f"/agent/tickets/{ticket.id}").text)
    response = client.post(
        f"/agent/tickets/{ticket.id}/update",
        data={"csrf_token": token, "status": "closed", "tags": "wifi, firmware-2.1"},
    )
    assert response.status_code == 409
    assert '<input id="tags" name="tags" value="wifi, firmware-2.1"' in response.text


def test_the_ticket_page_keeps_a_copy_of_the_reply_in_the_browser(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert f'data-draft-key="aftercare:reply-draft:{ticket.id}"' in html
    assert '<script src="/static/reply_draft.js" defer></script>' in html
    script = client.get("/static/reply_draft.js")
    assert script.status_code == 200 and "sessionStorage" in script.text


def test_a_ticket_linked_by_untrusted_mail_links_to_the_ticket_it_named(client, session):
    sign_in(client, session)
    named = create_ticket(session, subject="Router keeps rebooting")
    suspicious = create_ticket(session, subject=f"Re: [#{named.id}] Router keeps rebooting")
    suspicious.related_ticket_id = named.id
    session.flush()
    html = client.get(f"/agent/tickets/{suspicious.id}").text
    assert f'<a href="/agent/tickets/{named.id}">' in html
    assert "could not be shown to come from that ticket" in html


def test_an_unlinked_ticket_shows_no_related_notice(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    assert "related-ticket" not in client.get(f"/agent/tickets/{ticket.id}").text
