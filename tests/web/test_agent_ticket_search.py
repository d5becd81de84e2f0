"""The inbox's search box: full-text over every status, highlighted snippets, facets, paging."""

from __future__ import annotations

import re

from accounts.service import principal_for_user
from helpdesk import service
from helpdesk.models import TicketStatus
from helpdesk.schemas import TicketUpdate
from tests.factories import create_ticket
from tests.web.pages_support import sign_in


def _solved_ticket(session, agent, body):
    ticket = create_ticket(session, subject="Noise question", body=body)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), principal_for_user(agent))
    session.flush()
    return ticket


def test_a_body_word_from_all_open_finds_a_solved_ticket(client, session):
    agent = sign_in(client, session)
    ticket = _solved_ticket(session, agent, "The subwoofer buzzes at low volume.")
    html = client.get("/agent/tickets", params={"view": "open", "q": "subwoofer"}).text
    assert f'href="/agent/tickets/{ticket.id}"' in html
    assert "<mark>subwoofer</mark>" in html


def test_the_page_says_the_search_covers_every_status(client, session):
    sign_in(client, session)
    html = client.get("/agent/tickets").text
    assert "Searches every ticket in every status" in html


def test_a_script_in_a_body_comes_back_as_text(client, session):
    sign_in(client, session)
    create_ticket(session, body="It printed <script>alert('ocarina')</script> on the screen.")
    html = client.get("/agent/tickets", params={"q": "ocarina"}).text
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html


def test_a_status_facet_narrows_the_results(client, session):
    agent = sign_in(client, session)
    solved = _solved_ticket(session, agent, "The mandolin string snapped.")
    fresh = create_ticket(session, body="The mandolin is out of tune.")
    html = client.get("/agent/tickets", params={"q": "mandolin", "status": "solved"}).text
    assert f'href="/agent/tickets/{solved.id}"' in html
    assert f'href="/agent/tickets/{fresh.id}"' not in html


def test_more_results_link_pages_on(client, session):
    sign_in(client, session)
    tickets = [create_ticket(session, body=f"Theremin squeal, report {n}.") for n in range(27)]
    first = client.get("/agent/tickets", params={"q": "theremin"}).text
    more = re.search(r'href="(/agent/tickets\?[^"]*after=[^"]+)"', first)
    assert more, "no link to more results"
    second = client.get(more.group(1).replace("&amp;", "&")).text
    shown = set(re.findall(r'href="/agent/tickets/(\d+)"', first + second))
    assert shown == {str(ticket.id) for ticket in tickets}
