"""Admin pages of after-sales: access, forms with CSRF, live segment count, lapsed outreach, reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aftersales import lapsed
from aftersales.models import Programme, ProgrammeEnrolment, ProgrammeTrigger, Segment, StepKind
from tests.aftersales import factories as f
from tests.aftersales.conftest import csrf_from

PAGES = ["/admin/products", "/admin/programmes", "/admin/segments", "/admin/surveys", "/admin/lapsed", "/admin/reports"]


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_render_for_admins(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200 and 'aria-current="page"' in response.text


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/reports", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_agents_are_not_admins(agent_client):
    assert agent_client.get("/admin/programmes").status_code == 403


def test_a_programme_is_created_from_the_form(admin_client, session):
    token = csrf_from(admin_client.get("/admin/programmes").text)
    response = admin_client.post(
        "/admin/programmes",
        data={
            "csrf_token": token,
            "name": "Nimbus basics",
            "trigger": "purchase",
            "product_tag": "nimbus",
            "step_day": ["0", "3", ""],
            "step_kind": ["welcome", "usage", "usage"],
            "step_tag": ["getting-started", "", ""],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    programme = session.scalar(select(Programme).where(Programme.name == "Nimbus basics"))
    assert [(s.day_offset, s.kind, s.article_tag) for s in programme.steps] == [
        (0, "welcome", "getting-started"),
        (3, "usage", None),
    ]


def test_a_programme_form_with_errors_keeps_the_input(admin_client):
    token = csrf_from(admin_client.get("/admin/programmes").text)
    response = admin_client.post(
        "/admin/programmes",
        data={
            "csrf_token": token,
            "name": "Kept name",
            "trigger": "purchase",
            "product_tag": "",
            "step_day": ["0"],
            "step_kind": ["welcome"],
            "step_tag": [""],
        },
    )
    assert response.status_code == 422 and "Kept name" in response.text


def test_the_programme_page_previews_each_step_in_the_chosen_language(admin_client, session):
    f.article(session, title="Eco mode", translations={"pl": "Tryb eko"})
    series = f.programme(session, steps=[(0, StepKind.USAGE)])
    f.product(session, name="Nimbus")
    html = admin_client.get(f"/admin/programmes/{series.id}?language=pl").text
    assert "Nimbus: Tryb eko" in html


def test_the_segment_count_updates_for_htmx(admin_client, session):
    f.customer(session, language="tl")
    response = admin_client.get("/admin/segments/count", params={"languages": "tl"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.text.strip() == "1"


def test_a_segment_is_saved_from_the_form(admin_client, session):
    token = csrf_from(admin_client.get("/admin/segments").text)
    response = admin_client.post(
        "/admin/segments",
        data={
            "csrf_token": token,
            "name": "Loyal",
            "min_purchases": "3",
            "consent_marketing": "yes",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    segment = session.scalar(select(Segment).where(Segment.name == "Loyal"))
    assert segment.filters["min_purchases"] == 3 and segment.filters["consent_marketing"] is True
    assert "Loyal" in admin_client.get(response.headers["location"]).text


def test_an_admin_sends_a_manual_series_to_lapsed_buyers(admin_client, session):
    item = f.product(session, renewal_days=30)
    who = f.customer(session)
    f.buy(session, who, item, at=f.NOW - timedelta(days=60))
    lapsed.scan(session, now=f.NOW)
    winback = f.programme(session, trigger=ProgrammeTrigger.MANUAL, steps=[(0, StepKind.WELCOME)], name="Win-back")
    page = admin_client.get("/admin/lapsed")
    assert who.email in page.text and "not renewed" in page.text
    response = admin_client.post(
        "/admin/lapsed/enrol",
        data={
            "csrf_token": csrf_from(page.text),
            "programme_id": str(winback.id),
            "customer_ids": [str(who.id)],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and "enrolled=1" in response.headers["location"]
    assert session.scalar(select(ProgrammeEnrolment.customer_id)) == who.id


def test_the_reports_page_shows_charts_and_tables(admin_client):
    html = admin_client.get("/admin/reports").text
    assert html.count('<svg class="chart-svg"') == 5 and "<table" in html and "nps-time.csv" in html


def test_a_report_downloads_as_csv(admin_client):
    response = admin_client.get("/admin/reports/nps-product.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "group,responses,promoters,passives,detractors,nps"


def test_products_can_be_tagged_from_the_page(admin_client, session):
    item = f.product(session, tags=[])
    token = csrf_from(admin_client.get("/admin/products").text)
    admin_client.post(
        f"/admin/products/{item.id}",
        data={"csrf_token": token, "name": item.name, "tags": "nimbus, Thermostat", "renewal_days": ""},
    )
    session.expire_all()
    assert item.tags == ["nimbus", "thermostat"]
