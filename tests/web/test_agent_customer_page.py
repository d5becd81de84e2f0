"""The customer's story on agent pages: the ticket page's customer panel and /agent/customers/{id}."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from accounts.models import Customer
from accounts.service import start_login_session
from aftercare.config import get_settings
from aftercare.db import utcnow
from tests.aftersales.factories import buy, product
from tests.factories import create_customer_user, create_ticket
from tests.web.pages_support import sign_in


def test_the_ticket_panel_shows_a_purchase_with_its_warranty(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    # Bought 30 days ago: well inside the default 24 months' warranty.
    buy(session, ticket.requester, product(session, name="Nimbus thermostat"), at=utcnow() - timedelta(days=30))
    html = client.get(f"/agent/tickets/{ticket.id}").text
    panel = html[html.index('class="card side customer-panel"') :]
    assert "Nimbus thermostat" in panel and "warranty until" in panel


def test_the_ticket_panel_links_to_the_customer_page(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert f'href="/agent/customers/{ticket.requester_id}"' in html


def test_the_ticket_panel_of_an_erased_customer_shows_no_address(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    address = ticket.requester.email
    session.execute(update(Customer).where(Customer.id == ticket.requester_id).values(erased_at=utcnow()))
    html = client.get(f"/agent/tickets/{ticket.id}").text
    assert "Erased customer" in html and address not in html


def test_the_customer_page_lists_their_tickets(client, session):
    sign_in(client, session)
    first = create_ticket(session, subject="Display flickers amber")
    second = create_ticket(session, customer_email=first.requester.email, subject="Valve hisses at night")
    html = client.get(f"/agent/customers/{first.requester_id}").text
    assert f'href="/agent/tickets/{first.id}"' in html and f'href="/agent/tickets/{second.id}"' in html


def test_the_customer_page_escapes_what_customers_wrote(client, session):
    sign_in(client, session)
    ticket = create_ticket(session, customer_name="<b>Bold</b> Name", subject="<script>alert(1)</script> help")
    html = client.get(f"/agent/customers/{ticket.requester_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; help" in html and "<script>alert(1)" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; Name" in html


def test_an_unknown_customer_page_is_404(client, session):
    sign_in(client, session)
    assert client.get("/agent/customers/987654321").status_code == 404


def test_a_customer_cannot_open_the_customer_page(client, session):
    user = create_customer_user(session)
    # Signed in as the customer (the way pages_support.sign_in starts a staff session).
    client.cookies.set(
        get_settings().session_cookie_name, start_login_session(session, user, lifetime=timedelta(hours=1))
    )
    assert client.get(f"/agent/customers/{user.customer_id}").status_code == 403


def test_the_inbox_links_each_requester_to_their_customer_page(client, session):
    sign_in(client, session)
    ticket = create_ticket(session)
    assert f'href="/agent/customers/{ticket.requester_id}"' in client.get("/agent/tickets?view=all").text
