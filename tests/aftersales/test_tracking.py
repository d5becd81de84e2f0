"""Optional open/click tracking of tips: off by default; with it on, unique events per delivery."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.db import utcnow
from aftersales import reports
from aftersales.models import TipDelivery, TipEvent, TipEventKind
from aftersales.programmes import run_scheduling_pass
from aftersales.tracking import tracking_token
from helpdesk.email.models import OutboxMessage
from tests.aftersales import factories as f
from tests.conftest import env


def send_one_tip(session) -> TipDelivery:
    f.article(session, title="Eco mode")
    f.programme(session, steps=[(0, "usage")])
    f.buy(session, f.customer(session), f.product(session), at=f.NOW)
    run_scheduling_pass(session, now=f.NOW + timedelta(hours=1))
    return session.scalar(select(TipDelivery))


def test_tips_carry_no_tracking_by_default(session):
    send_one_tip(session)
    message = session.scalar(select(OutboxMessage))
    assert "/t/o/" not in (message.html_body or "") and "/t/c/" not in message.text_body


def test_with_tracking_on_opens_and_clicks_are_counted_once(client, session):
    with env(AFTERCARE_EMAIL_TRACKING="true"):
        delivery = send_one_tip(session)
        message = session.scalar(select(OutboxMessage))
        assert "/t/o/" in message.html_body and "/t/c/" in message.text_body
        token = tracking_token(delivery.customer_id, delivery.step_id)
        for _ in range(2):
            assert client.get(f"/t/o/{token}.gif").headers["content-type"] == "image/gif"
        click = client.get(f"/t/c/{token}", follow_redirects=False)
    assert click.status_code == 303 and "/articles/article-" in click.headers["location"]
    kinds = sorted(session.scalars(select(TipEvent.kind)))
    assert kinds == [TipEventKind.CLICKED, TipEventKind.OPENED]
    now = utcnow()
    [row] = reports.email_by_programme(session, since=now - timedelta(hours=1), until=now + timedelta(hours=1))
    assert (row.opened, row.clicked) == (1, 1)


def test_a_forged_tracking_link_records_nothing_and_goes_home(client, session):
    send_one_tip(session)
    response = client.get("/t/c/forged-token", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("/")
    assert session.scalar(select(TipEvent)) is None
