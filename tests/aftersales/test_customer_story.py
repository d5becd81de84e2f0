"""A customer's whole story (aftersales.customer_story): purchases with warranty left, survey scores,
tip series, lapsed status, tickets, and an erased customer."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from accounts.models import Customer
from aftercare.errors import NotFound
from aftersales import lapsed, programmes
from aftersales.customer_story import PANEL_LIMITS, StoryLimits, add_months, customer_story
from aftersales.models import (
    LapseReason,
    ProgrammeEnrolment,
    ProgrammeTrigger,
    StepKind,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
    TipDelivery,
)
from helpdesk.models import Ticket, TicketStatus
from tests.aftersales.factories import NOW, buy, customer, product, programme
from tests.factories import create_ticket

WARRANTY_MONTHS = 24


def _story(session, who, **options):
    return customer_story(session, who.id, warranty_months=WARRANTY_MONTHS, now=NOW, **options)


def _answer(session, who, kind: SurveyKind, score: int, at: datetime, *, ticket_id=None):
    invitation = SurveyInvitation(
        kind=kind,
        customer_id=who.id,
        ticket_id=ticket_id,
        language="en",
        created_at=at - timedelta(days=1),
        closes_at=at + timedelta(days=13),
    )
    session.add(SurveyResponse(invitation=invitation, score=score, created_at=at, updated_at=at))
    session.flush()


# ---- purchases and warranty ------------------------------------------------------------------------


def test_a_purchase_within_its_warranty_shows_the_end_and_whole_months_left(session):
    who = customer(session)
    buy(session, who, product(session, name="Nimbus thermostat"), at=datetime(2025, 1, 15, 9, tzinfo=NOW.tzinfo))
    [line] = _story(session, who).purchases
    # 24 months after 15 Jan 2025; from 10 Mar 2026 that is 10 months and 5 days away.
    assert (line.product_name, line.warranty_until, line.in_warranty, line.warranty_months_left) == (
        "Nimbus thermostat",
        date(2027, 1, 15),
        True,
        10,
    )


def test_a_purchase_past_its_warranty_is_out_of_warranty_since_its_end(session):
    who = customer(session)
    buy(session, who, product(session), at=datetime(2023, 6, 1, tzinfo=NOW.tzinfo))
    [line] = _story(session, who).purchases
    assert (line.warranty_until, line.in_warranty, line.warranty_months_left) == (date(2025, 6, 1), False, 0)


def test_the_warranty_length_comes_from_the_caller(session):
    who = customer(session)
    buy(session, who, product(session), at=datetime(2026, 1, 10, tzinfo=NOW.tzinfo))
    [line] = customer_story(session, who.id, warranty_months=12, now=NOW).purchases
    assert line.warranty_until == date(2027, 1, 10)


def test_a_warranty_from_the_31st_ends_on_the_last_day_of_a_shorter_month():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_purchases_are_the_latest_first_with_a_count_of_all(session):
    who = customer(session)
    item = product(session)
    for day in (1, 2, 3, 4):
        buy(session, who, item, at=datetime(2026, 1, day, tzinfo=NOW.tzinfo))
    story = _story(session, who, limits=StoryLimits(purchases=2))
    assert ([p.purchased_at.day for p in story.purchases], story.purchase_count) == ([4, 3], 4)


def test_another_customers_purchases_are_not_in_the_story(session):
    who, other = customer(session), customer(session)
    buy(session, other, product(session))
    assert _story(session, who).purchase_count == 0


# ---- survey scores -----------------------------------------------------------------------------------


def test_the_last_csat_and_nps_are_the_latest_answers_with_their_date(session):
    who = customer(session)
    _answer(session, who, SurveyKind.CSAT, 2, NOW - timedelta(days=40))
    _answer(session, who, SurveyKind.CSAT, 5, NOW - timedelta(days=3))
    _answer(session, who, SurveyKind.NPS, 9, NOW - timedelta(days=20))
    story = _story(session, who)
    assert (story.last_csat.score, story.last_csat.answered_at, story.last_nps.score, story.last_nps.answered_at) == (
        5,
        NOW - timedelta(days=3),
        9,
        NOW - timedelta(days=20),
    )


def test_a_customer_who_never_answered_has_no_scores(session):
    story = _story(session, customer(session))
    assert (story.last_csat, story.last_nps, story.surveys) == (None, None, [])


# ---- lapsed status, tip series, consent -----------------------------------------------------------


def test_a_subscription_not_renewed_shows_as_lapsed(session):
    who = customer(session)
    # A monthly refill bought 60 days ago: due 30 days ago, beyond the week's grace.
    buy(session, who, product(session, name="Filter refill", renewal_days=30), at=NOW - timedelta(days=60))
    lapsed.scan(session, now=NOW)
    found = _story(session, who).lapsed
    assert (found.reason, found.product_name) == (LapseReason.SUBSCRIPTION_NOT_RENEWED, "Filter refill")


def test_a_customer_without_a_lapse_is_not_lapsed(session):
    who = customer(session)
    buy(session, who, product(session), at=NOW - timedelta(days=5))
    lapsed.scan(session, now=NOW)
    assert _story(session, who).lapsed is None


def test_tip_series_count_the_tips_each_sent(session):
    who = customer(session)
    series = programme(session, trigger=ProgrammeTrigger.MANUAL, name="Win back", steps=[(0, StepKind.WELCOME)])
    programmes.enrol_customers(session, series, [who.id], now=NOW - timedelta(days=2))
    enrolment = session.scalars(select(ProgrammeEnrolment).where(ProgrammeEnrolment.customer_id == who.id)).one()
    session.add(
        TipDelivery(
            customer_id=who.id,
            step_id=series.steps[0].id,
            enrolment_id=enrolment.id,
            language="en",
            created_at=NOW - timedelta(days=2),
        )
    )
    session.flush()
    story = _story(session, who)
    assert ([(p.name, p.tips_sent) for p in story.programmes], story.tips_sent) == ([("Win back", 1)], 1)


def test_consent_is_the_customers_own_choice(session):
    who = customer(session, marketing=False, surveys=True)
    story = _story(session, who)
    assert (story.consent_marketing, story.consent_surveys) == (False, True)


# ---- tickets -------------------------------------------------------------------------------------------


def test_other_tickets_leave_out_the_one_being_looked_at(session):
    first = create_ticket(session, subject="First question")
    second = create_ticket(session, customer_email=first.requester.email, subject="Second question")
    story = customer_story(
        session, first.requester_id, warranty_months=WARRANTY_MONTHS, now=NOW, exclude_ticket_id=second.id
    )
    assert ([t.subject for t in story.tickets], story.ticket_count) == (["First question"], 1)


def test_open_tickets_count_only_those_not_yet_solved(session):
    first = create_ticket(session)
    create_ticket(session, customer_email=first.requester.email)
    session.execute(update(Ticket).where(Ticket.id == first.id).values(status=TicketStatus.SOLVED))
    story = customer_story(session, first.requester_id, warranty_months=WARRANTY_MONTHS, now=NOW)
    assert (story.ticket_count, story.open_ticket_count) == (2, 1)


def test_many_tickets_list_the_latest_few_and_count_them_all(session):
    first = create_ticket(session)
    for _ in range(4):
        create_ticket(session, customer_email=first.requester.email)
    story = customer_story(session, first.requester_id, warranty_months=WARRANTY_MONTHS, limits=StoryLimits(tickets=3))
    assert (len(story.tickets), story.ticket_count) == (3, 5)


def test_the_panel_lists_no_tickets_but_counts_them(session):
    first = create_ticket(session)
    create_ticket(session, customer_email=first.requester.email)
    story = customer_story(session, first.requester_id, warranty_months=WARRANTY_MONTHS, limits=PANEL_LIMITS)
    assert (story.tickets, story.ticket_count) == ([], 2)


# ---- who ---------------------------------------------------------------------------------------------------


def test_an_erased_customer_has_no_contact_data(session):
    who = customer(session, name="Zofia Quillfeather")
    session.execute(update(Customer).where(Customer.id == who.id).values(erased_at=NOW))
    session.expire_all()
    story = _story(session, who)
    assert (story.erased, story.name, story.email) == (True, None, None)


def test_an_erased_customer_keeps_their_purchases(session):
    who = customer(session)
    buy(session, who, product(session))
    session.execute(update(Customer).where(Customer.id == who.id).values(erased_at=NOW))
    session.expire_all()
    assert _story(session, who).purchase_count == 1


def test_an_unknown_customer_is_not_found(session):
    with pytest.raises(NotFound):
        customer_story(session, 987_654_321, warranty_months=WARRANTY_MONTHS)
