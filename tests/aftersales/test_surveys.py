"""Surveys: when CSAT and NPS are sent, the quiet period, one changeable answer, follow-up tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from aftercare.errors import InvalidTransition, NotFound
from aftersales import surveys
from aftersales.models import SurveyInvitation, SurveyKind, SurveyResponse
from aftersales.schemas import SurveyAnswer
from helpdesk import service
from helpdesk.email.models import EmailKind, OutboxMessage
from helpdesk.models import Ticket, TicketStatus
from helpdesk.schemas import TicketUpdate
from tests.aftersales import factories as f
from tests.factories import create_ticket, staff_principal

NOW = f.NOW


def solved_ticket(session, *, hours_ago: float, **overrides) -> Ticket:
    ticket = create_ticket(session, **overrides)
    service.update_ticket(session, ticket, TicketUpdate(status=TicketStatus.SOLVED), staff_principal(session))
    ticket.solved_at = NOW - timedelta(hours=hours_ago)
    session.flush()
    return ticket


def invitations(session, kind: SurveyKind | None = None) -> list[SurveyInvitation]:
    query = select(SurveyInvitation).order_by(SurveyInvitation.id)
    if kind is not None:
        query = query.where(SurveyInvitation.kind == kind)
    return list(session.scalars(query))


def nps_invitation(session, **buyer) -> SurveyInvitation:
    who = f.customer(session, **buyer)
    f.buy(session, who, f.product(session), at=NOW - timedelta(days=14, hours=1))
    surveys.invite_nps(session, now=NOW)
    return invitations(session, SurveyKind.NPS)[-1]


# --- CSAT ------------------------------------------------------------------------------------------


def test_csat_is_sent_some_hours_after_a_ticket_is_solved(session):
    ticket = solved_ticket(session, hours_ago=5)
    assert surveys.invite_csat(session, now=NOW) == 1
    invitation = invitations(session)[0]
    assert (invitation.kind, invitation.ticket_id) == (SurveyKind.CSAT, ticket.id)
    message = session.get(OutboxMessage, invitation.outbox_message_id)
    assert message.kind == EmailKind.SURVEY and "/surveys/" in message.text_body


def test_csat_waits_for_the_delay(session):
    solved_ticket(session, hours_ago=1)
    assert surveys.invite_csat(session, now=NOW) == 0


def test_csat_is_sent_once_per_ticket(session):
    solved_ticket(session, hours_ago=5)
    surveys.invite_csat(session, now=NOW)
    assert surveys.invite_csat(session, now=NOW + timedelta(hours=1)) == 0
    assert len(invitations(session)) == 1


def test_open_tickets_get_no_csat(session):
    ticket = create_ticket(session)
    ticket.solved_at = NOW - timedelta(hours=5)  # stale value on a ticket that is not solved
    session.flush()
    assert surveys.invite_csat(session, now=NOW) == 0


def test_customers_without_survey_consent_are_not_asked(session):
    ticket = solved_ticket(session, hours_ago=5)
    ticket.requester.consent_surveys = False
    session.flush()
    assert surveys.invite_csat(session, now=NOW) == 0


# --- NPS -------------------------------------------------------------------------------------------


def test_nps_is_sent_the_set_number_of_days_after_a_purchase(session):
    invitation = nps_invitation(session)
    assert (invitation.wave, invitation.product.name) == (0, "Nimbus thermostat")


def test_nps_is_not_sent_twice_within_the_quiet_period(session):
    who = f.customer(session)
    item = f.product(session)
    f.buy(session, who, item, at=NOW - timedelta(days=14, hours=1))
    assert surveys.invite_nps(session, now=NOW) == 1
    f.buy(session, who, item, at=NOW + timedelta(days=30))
    assert surveys.invite_nps(session, now=NOW + timedelta(days=44, hours=2)) == 0
    assert len(invitations(session, SurveyKind.NPS)) == 1


def test_two_purchases_on_one_day_mean_one_survey(session):
    who = f.customer(session)
    item = f.product(session)
    f.buy(session, who, item, at=NOW - timedelta(days=14, hours=2))
    f.buy(session, who, item, at=NOW - timedelta(days=14, hours=1))
    assert surveys.invite_nps(session, now=NOW) == 1


def test_nps_is_asked_again_months_later(session):
    who = f.customer(session)
    f.buy(session, who, f.product(session), at=NOW - timedelta(days=14, hours=1))
    surveys.invite_nps(session, now=NOW)
    later = NOW + timedelta(days=180 - 14)
    assert surveys.invite_nps(session, now=later) == 1
    assert [i.wave for i in invitations(session, SurveyKind.NPS)] == [0, 1]


# --- answers ---------------------------------------------------------------------------------------


def test_one_answer_per_invitation_which_can_be_changed(session):
    invitation = nps_invitation(session)
    surveys.submit_answer(session, invitation, SurveyAnswer(score=7, comment="ok"), now=NOW)
    surveys.submit_answer(session, invitation, SurveyAnswer(score=9, comment="great"), now=NOW + timedelta(days=1))
    rows = session.scalars(select(SurveyResponse)).all()
    assert [(r.score, r.comment) for r in rows] == [(9, "great")]


def test_an_answer_cannot_change_after_the_survey_closes(session):
    invitation = nps_invitation(session)
    surveys.submit_answer(session, invitation, SurveyAnswer(score=8), now=NOW)
    with pytest.raises(InvalidTransition):
        surveys.submit_answer(session, invitation, SurveyAnswer(score=3), now=invitation.closes_at)


def test_a_detractor_opens_one_follow_up_ticket(session):
    invitation = nps_invitation(session)
    response = surveys.submit_answer(
        session, invitation, SurveyAnswer(score=3, comment="It keeps disconnecting"), now=NOW
    )
    ticket = session.get(Ticket, response.follow_up_ticket_id)
    assert ticket.requester_id == invitation.customer_id
    assert "It keeps disconnecting" in ticket.messages[0].body and "survey-follow-up" in ticket.tags
    surveys.submit_answer(session, invitation, SurveyAnswer(score=2), now=NOW + timedelta(hours=1))
    assert session.scalar(select(func.count()).select_from(Ticket).where(Ticket.subject.like("Follow-up:%"))) == 1


def test_a_passive_opens_no_ticket(session):
    invitation = nps_invitation(session)
    assert surveys.submit_answer(session, invitation, SurveyAnswer(score=7), now=NOW).follow_up_ticket_id is None


def test_a_low_csat_opens_a_follow_up_ticket_and_a_middling_one_does_not(session):
    for score, expected in ((2, True), (3, False)):
        solved_ticket(session, hours_ago=5)
        surveys.invite_csat(session, now=NOW)
        invitation = invitations(session, SurveyKind.CSAT)[-1]
        response = surveys.submit_answer(session, invitation, SurveyAnswer(score=score), now=NOW)
        assert (response.follow_up_ticket_id is not None) == expected


def test_a_csat_score_outside_one_to_five_is_refused(session):
    solved_ticket(session, hours_ago=5)
    surveys.invite_csat(session, now=NOW)
    from aftercare.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        surveys.submit_answer(session, invitations(session)[0], SurveyAnswer(score=0), now=NOW)


def test_a_forged_or_foreign_link_finds_nothing(session, settings):
    invitation = nps_invitation(session)
    token = surveys.sign_invitation(settings.secret_key, invitation)
    assert surveys.invitation_from_token(session, settings.secret_key, token).id == invitation.id
    with pytest.raises(NotFound):
        surveys.invitation_from_token(session, settings.secret_key, token[:-2] + "xx")
    with pytest.raises(NotFound):
        surveys.invitation_from_token(session, "another-secret-key-entirely-0123456789", token)
