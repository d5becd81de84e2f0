"""Bulk actions and merge through the API and the agent pages: success, refusals, access."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.service import principal_for_user, start_login_session
from aftercare.config import get_settings
from helpdesk.merge import merge_tickets
from helpdesk.models import TicketStatus
from tests.factories import create_customer_user, create_staff, create_ticket, token_for, unique_email
from tests.web.pages_support import csrf_from, sign_in


@pytest.fixture
def agent_headers(session):
    return token_for(session, create_staff(session))


def same_requester_pair(session):
    email = unique_email("pair")
    return (
        create_ticket(session, customer_email=email, subject="Earbuds crackle", body="Left one crackles."),
        create_ticket(session, customer_email=email, subject="Earbuds again", body="Right one too now."),
    )


def sign_in_customer(client, session, user):
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, user, lifetime=timedelta(hours=1))
    )


# --- API


def test_bulk_api_assigns_and_summarises(client, session, agent_headers):
    agnieszka = create_staff(session, name="Agnieszka")
    ids = [create_ticket(session).id for _ in range(3)]

    response = client.post(
        "/api/v1/tickets/bulk", json={"ticket_ids": ids, "assignee_id": agnieszka.id}, headers=agent_headers
    )

    assert response.status_code == 200, response.text
    assert (response.json()["changed"], response.json()["refused"]) == (3, 0)


def test_bulk_api_reports_a_refused_status_move_with_its_reason(client, session, agent_headers):
    ticket = create_ticket(session)

    response = client.post(
        "/api/v1/tickets/bulk", json={"ticket_ids": [ticket.id], "status": "closed"}, headers=agent_headers
    )

    [result] = response.json()["results"]
    assert (result["changed"], "cannot change status" in result["refused"]) == ([], True)


def test_bulk_api_refuses_over_a_hundred_tickets_with_422(client, agent_headers):
    response = client.post(
        "/api/v1/tickets/bulk", json={"ticket_ids": list(range(1, 102)), "priority": "low"}, headers=agent_headers
    )

    assert response.status_code == 422 and "ticket_ids" in response.text


def test_bulk_api_is_for_agents_only(client, session):
    customer = token_for(session, create_customer_user(session))

    response = client.post("/api/v1/tickets/bulk", json={"ticket_ids": [1], "priority": "low"}, headers=customer)

    assert response.status_code == 403


def test_merge_api_moves_messages(client, session, agent_headers):
    source, target = same_requester_pair(session)

    response = client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    assert response.status_code == 200, response.text
    read = client.get(f"/api/v1/tickets/{target.id}", headers=agent_headers).json()
    assert sorted(m["body"] for m in read["messages"]) == ["Left one crackles.", "Right one too now."]


def test_merge_api_shows_the_link_on_the_source(client, session, agent_headers):
    source, target = same_requester_pair(session)
    client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    read = client.get(f"/api/v1/tickets/{source.id}", headers=agent_headers).json()

    assert (read["status"], read["merged_into_id"]) == ("closed", target.id)


def test_a_second_merge_is_a_409_with_a_message(client, session, agent_headers):
    source, target = same_requester_pair(session)
    client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    response = client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    assert response.status_code == 409 and "already merged" in response.text


def test_a_reply_by_api_on_a_merged_ticket_is_a_409(client, session, agent_headers):
    source, target = same_requester_pair(session)
    client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    response = client.post(
        f"/api/v1/tickets/{source.id}/messages", json={"body": "Hello", "kind": "internal_note"}, headers=agent_headers
    )

    assert response.status_code == 409 and f"#{target.id}" in response.text


def test_merging_into_another_requesters_ticket_needs_force(client, session, agent_headers):
    source = create_ticket(session)
    target = create_ticket(session)

    refused = client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)
    forced = client.post(
        f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id, "force": True}, headers=agent_headers
    )

    assert (refused.status_code, forced.status_code) == (409, 200)


def test_merge_into_a_missing_ticket_is_a_404(client, session, agent_headers):
    source = create_ticket(session)

    response = client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": 987654321}, headers=agent_headers)

    assert response.status_code == 404


def test_unmerge_api_reopens_the_source(client, session, agent_headers):
    source, target = same_requester_pair(session)
    client.post(f"/api/v1/tickets/{source.id}/merge", json={"into_id": target.id}, headers=agent_headers)

    response = client.post(f"/api/v1/tickets/{source.id}/unmerge", headers=agent_headers)

    assert response.status_code == 200
    read = client.get(f"/api/v1/tickets/{source.id}", headers=agent_headers).json()
    assert (read["status"], read["merged_into_id"], len(read["messages"])) == ("new", None, 1)


# --- Pages


def test_inbox_rows_have_checkboxes_for_the_bulk_form(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)

    html = client.get("/agent/tickets", params={"view": "all"}).text

    assert f'name="ticket_ids" value="{ticket.id}" form="bulk-form"' in html and 'id="bulk-form"' in html


def test_bulk_form_assigns_and_shows_the_summary_keeping_the_view(client, session):
    sign_in(client, session)
    agnieszka = create_staff(session, name="Agnieszka")
    tickets = [create_ticket(session) for _ in range(3)]
    csrf = csrf_from(client.get("/agent/tickets").text)

    response = client.post(
        "/agent/tickets/bulk",
        data={
            "csrf_token": csrf,
            "ticket_ids": [str(t.id) for t in tickets],
            "bulk_assignee": str(agnieszka.id),
            "view": "all",
        },
    )

    assert response.status_code == 200
    assert "3 tickets changed" in response.text and "assigned to Agnieszka" in response.text
    assert '<input type="hidden" name="view" value="all">' in response.text


def test_bulk_form_lists_a_refused_ticket_with_its_reason(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    csrf = csrf_from(client.get("/agent/tickets").text)

    response = client.post(
        "/agent/tickets/bulk",
        data={"csrf_token": csrf, "ticket_ids": [str(ticket.id)], "bulk_status": "closed", "view": "all"},
    )

    assert f'data-refused="{ticket.id}"' in response.text and "cannot change status" in response.text


def test_bulk_form_with_nothing_ticked_is_a_422_keeping_the_choice(client, session):
    sign_in(client, session)
    agent = create_staff(session, name="Zofia")
    create_ticket(session)
    csrf = csrf_from(client.get("/agent/tickets").text)

    response = client.post("/agent/tickets/bulk", data={"csrf_token": csrf, "bulk_assignee": str(agent.id)})

    assert response.status_code == 422
    assert f'<option value="{agent.id}" selected>' in response.text


def test_bulk_form_all_on_page_takes_the_pages_tickets(client, session):
    sign_in(client, session)
    tickets = [create_ticket(session) for _ in range(2)]
    csrf = csrf_from(client.get("/agent/tickets").text)

    client.post(
        "/agent/tickets/bulk",
        data={
            "csrf_token": csrf,
            "all_on_page": "1",
            "page_ids": ",".join(str(t.id) for t in tickets),
            "bulk_priority": "urgent",
        },
    )

    session.expire_all()
    assert [t.priority for t in tickets] == ["urgent", "urgent"]


def test_bulk_form_needs_csrf(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)

    response = client.post("/agent/tickets/bulk", data={"ticket_ids": [str(ticket.id)], "bulk_priority": "low"})

    assert response.status_code == 403


def test_merge_preview_shows_both_subjects(client, session):
    sign_in(client, session)
    source, target = same_requester_pair(session)

    html = client.get(f"/agent/tickets/{source.id}/merge", params={"into": f"#{target.id}"}).text

    assert "data-merge-confirm" in html and "Earbuds crackle" in html and "Earbuds again" in html


def test_merge_preview_of_a_missing_ticket_says_so(client, session):
    sign_in(client, session)
    source = create_ticket(session)

    response = client.get(f"/agent/tickets/{source.id}/merge", params={"into": "987654321"})

    assert response.status_code == 422 and "There is no ticket 987654321." in response.text


def test_merge_form_merges_and_both_pages_say_so(client, session):
    sign_in(client, session)
    source, target = same_requester_pair(session)
    csrf = csrf_from(client.get(f"/agent/tickets/{source.id}").text)

    response = client.post(
        f"/agent/tickets/{source.id}/merge",
        data={"csrf_token": csrf, "into_id": str(target.id)},
        follow_redirects=False,
    )

    assert (response.status_code, response.headers["location"]) == (303, f"/agent/tickets/{target.id}")
    assert f"Merged into #{target.id}." in client.get(f"/agent/tickets/{source.id}").text
    assert f"#{source.id} was merged into this ticket." in client.get(f"/agent/tickets/{target.id}").text


def test_undo_button_unmerges(client, session):
    sign_in(client, session)
    source, target = same_requester_pair(session)
    csrf = csrf_from(client.get(f"/agent/tickets/{source.id}").text)
    client.post(f"/agent/tickets/{source.id}/merge", data={"csrf_token": csrf, "into_id": str(target.id)})

    client.post(f"/agent/tickets/{source.id}/unmerge", data={"csrf_token": csrf})

    session.expire_all()
    assert (source.merged_into_id, source.status) == (None, TicketStatus.NEW)


def test_merge_pages_are_not_for_customers(client, session):
    customer = create_customer_user(session)
    source, target = same_requester_pair(session)
    sign_in_customer(client, session, customer)

    response = client.get(f"/agent/tickets/{source.id}/merge", params={"into": str(target.id)}, follow_redirects=False)

    assert response.status_code == 403


def test_the_customers_page_of_a_merged_request_says_where_it_continues(client, session):
    user = create_customer_user(session)
    source = create_ticket(session, customer_email=user.email)
    target = create_ticket(session, customer_email=user.email)
    merge_tickets(session, source, target, principal_for_user(create_staff(session)))
    sign_in_customer(client, session, user)

    html = client.get(f"/tickets/{source.id}").text

    assert "data-merged-into" in html and f'href="/tickets/{target.id}"' in html
