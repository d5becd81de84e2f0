"""CSAT and NPS surveys: who is invited when, signed links, answers, follow-up tickets.

- CSAT (1-5 and a comment) ``csat_delay_hours`` after a ticket is solved, once per ticket.
- NPS (0-10 and "why?") ``nps_wave_days`` after a purchase (a first wave, then months later), never
  when the customer had an NPS invitation within ``nps_quiet_days``.
- A link is signed and names one invitation of one customer; opening it shows the question, only
  a POST (a click) answers, so e-mail link scanners can't vote. One answer per invitation, which
  the customer may change until the invitation closes.
- A detractor (NPS 0-6) or a CSAT of 1-2 opens a follow-up ticket, once per answer; a promoter
  (9-10) gets a review invitation for the product, once ever (``aftersales.reviews``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import Customer
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import InvalidTransition, NotFound, ValidationFailed
from aftercare.pagination import window
from aftersales import reviews
from aftersales.emails import survey_email
from aftersales.models import Purchase, SurveyInvitation, SurveyKind, SurveyResponse
from aftersales.schemas import SurveyAnswer
from aftersales.tips import customer_language
from helpdesk import service as tickets
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email
from helpdesk.models import Ticket, TicketChannel, TicketStatus, TicketTag
from helpdesk.schemas import TicketCreate

_LINK_SALT = "aftercare.survey-link"
FOLLOW_UP_TAG = "survey-follow-up"
SCORE_RANGES = {SurveyKind.CSAT: range(1, 6), SurveyKind.NPS: range(0, 11)}


@dataclass(frozen=True)
class SurveyPolicy:
    csat_delay_hours: int = 4
    # Tickets solved longer ago than this are never surveyed (say, on the first run after install).
    csat_window_days: int = 7
    nps_wave_days: tuple[int, ...] = (14, 180)
    nps_window_days: int = 7
    nps_quiet_days: int = 90
    # How long an invitation accepts (and lets the customer change) an answer.
    answer_days: int = 14


DEFAULT_POLICY = SurveyPolicy()


def is_detractor(score: int) -> bool:
    return score <= 6


def is_promoter(score: int) -> bool:
    return score >= 9


def needs_follow_up(kind: SurveyKind, score: int) -> bool:
    return score <= 2 if kind == SurveyKind.CSAT else is_detractor(score)


# --- links ----------------------------------------------------------------------------------------


def sign_invitation(secret_key: str, invitation: SurveyInvitation) -> str:
    return URLSafeSerializer(secret_key, salt=_LINK_SALT).dumps([invitation.id, invitation.customer_id])


def invitation_from_token(session: Session, secret_key: str, token: str) -> SurveyInvitation:
    """The invitation a signed link names; NotFound for anything forged, altered or stale."""
    try:
        invitation_id, customer_id = URLSafeSerializer(secret_key, salt=_LINK_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("this survey link is not valid") from None
    invitation = session.get(
        SurveyInvitation,
        invitation_id,
        options=[joinedload(SurveyInvitation.response), joinedload(SurveyInvitation.customer)],
    )
    if invitation is None or invitation.customer_id != customer_id:
        raise NotFound("this survey link is not valid")
    return invitation


def survey_url(invitation: SurveyInvitation) -> str:
    settings = get_settings()
    return f"{settings.base_url}/surveys/{sign_invitation(settings.secret_key, invitation)}?lang={invitation.language}"


def survey_dedupe_key(invitation: SurveyInvitation) -> str:
    if invitation.kind == SurveyKind.CSAT:
        return f"survey:csat:ticket:{invitation.ticket_id}"
    return f"survey:nps:purchase:{invitation.purchase_id}:wave:{invitation.wave}"


# --- invitations ----------------------------------------------------------------------------------


def _send(session: Session, invitation: SurveyInvitation, *, now: datetime, ticket: Ticket | None = None) -> bool:
    """Hand the invitation to the outbox; drop it again when the outbox declines."""
    customer = invitation.customer
    content = survey_email(invitation, customer, survey_url(invitation), ticket=ticket, product=invitation.product)
    message = enqueue_email(
        session,
        to=customer.email,
        subject=content.subject,
        text=content.text,
        html=content.html,
        kind=EmailKind.SURVEY,
        dedupe_key=survey_dedupe_key(invitation),
        customer_id=customer.id,
        ticket_id=ticket.id if ticket is not None else None,
        language=content.language,
        now=now,
    )
    if message is None:
        session.delete(invitation)
        session.flush()
        return False
    invitation.outbox_message_id = message.id
    return True


def invite_csat(session: Session, *, now: datetime | None = None, policy: SurveyPolicy = DEFAULT_POLICY) -> int:
    """Invite the requesters of recently solved tickets; returns how many were handed to the outbox."""
    now = now or utcnow()
    newest = now - timedelta(hours=policy.csat_delay_hours)
    oldest = newest - timedelta(days=policy.csat_window_days)
    invited = exists().where(SurveyInvitation.kind == SurveyKind.CSAT, SurveyInvitation.ticket_id == Ticket.id)
    due = session.scalars(
        select(Ticket)
        .options(joinedload(Ticket.requester))
        .join(Customer, Customer.id == Ticket.requester_id)
        .where(
            Ticket.status.in_([TicketStatus.SOLVED, TicketStatus.CLOSED]),
            Ticket.solved_at > oldest,
            Ticket.solved_at <= newest,
            Customer.consent_surveys.is_(True),
            ~invited,
        )
        .order_by(Ticket.solved_at, Ticket.id)
    ).all()
    sent = 0
    for ticket in due:
        invitation = SurveyInvitation(
            kind=SurveyKind.CSAT,
            customer=ticket.requester,
            ticket_id=ticket.id,
            language=ticket.language or customer_language(ticket.requester),
            created_at=now,
            closes_at=now + timedelta(days=policy.answer_days),
        )
        session.add(invitation)
        session.flush()
        sent += _send(session, invitation, now=now, ticket=ticket)
    return sent


def _recently_invited(session: Session, customer_ids: set[int], since: datetime) -> set[int]:
    if not customer_ids:
        return set()
    return set(
        session.scalars(
            select(SurveyInvitation.customer_id).where(
                SurveyInvitation.kind == SurveyKind.NPS,
                SurveyInvitation.customer_id.in_(customer_ids),
                SurveyInvitation.created_at > since,
            )
        )
    )


def invite_nps(session: Session, *, now: datetime | None = None, policy: SurveyPolicy = DEFAULT_POLICY) -> int:
    """Invite buyers whose purchase is ``wave`` days old, respecting each customer's quiet period."""
    now = now or utcnow()
    sent = 0
    for wave, days in enumerate(policy.nps_wave_days):
        newest = now - timedelta(days=days)
        oldest = newest - timedelta(days=policy.nps_window_days)
        invited = exists().where(
            SurveyInvitation.kind == SurveyKind.NPS,
            SurveyInvitation.purchase_id == Purchase.id,
            SurveyInvitation.wave == wave,
        )
        purchases = session.scalars(
            select(Purchase)
            .options(joinedload(Purchase.customer), joinedload(Purchase.product))
            .join(Customer, Customer.id == Purchase.customer_id)
            .where(
                Purchase.purchased_at > oldest,
                Purchase.purchased_at <= newest,
                Customer.consent_surveys.is_(True),
                ~invited,
            )
            .order_by(Purchase.purchased_at, Purchase.id)
        ).all()
        quiet = _recently_invited(
            session, {p.customer_id for p in purchases}, now - timedelta(days=policy.nps_quiet_days)
        )
        for purchase in purchases:
            if purchase.customer_id in quiet:
                continue
            invitation = SurveyInvitation(
                kind=SurveyKind.NPS,
                customer=purchase.customer,
                purchase_id=purchase.id,
                product=purchase.product,
                wave=wave,
                language=customer_language(purchase.customer),
                created_at=now,
                closes_at=now + timedelta(days=policy.answer_days),
            )
            session.add(invitation)
            session.flush()
            if _send(session, invitation, now=now):
                sent += 1
                # Two purchases on the same day still mean one survey: the quiet period starts now.
                quiet.add(purchase.customer_id)
    return sent


# --- answers --------------------------------------------------------------------------------------


def is_open(invitation: SurveyInvitation, now: datetime | None = None) -> bool:
    return (now or utcnow()) < invitation.closes_at


def _follow_up_ticket(session: Session, invitation: SurveyInvitation, response: SurveyResponse) -> Ticket:
    customer = invitation.customer
    settings = get_settings()
    if invitation.kind == SurveyKind.CSAT:
        subject = f"Follow-up: CSAT {response.score}/5 on request #{invitation.ticket_id}"
        context = f"The customer rated the help on request #{invitation.ticket_id} {response.score} out of 5."
    else:
        product = invitation.product.name if invitation.product is not None else "our products"
        subject = f"Follow-up: NPS {response.score}/10 for {product}"
        context = f"The customer answered {response.score} out of 10 when asked to recommend {product}."
    comment = response.comment.strip() or "(no comment)"
    language = invitation.language if invitation.language in settings.languages else None
    ticket = tickets.create_ticket(
        session,
        TicketCreate(
            customer_email=customer.email,
            customer_name=customer.name or None,
            subject=subject[:300],
            body=f"{comment}\n\n— {context}",
            language=language,
        ),
        channel=TicketChannel.WEB,
    )
    ticket.tag_rows.append(TicketTag(tag=FOLLOW_UP_TAG))
    ticket.tag_rows.append(
        TicketTag(tag=f"{invitation.kind}-{'detractor' if invitation.kind == SurveyKind.NPS else 'low'}")
    )
    session.flush()
    return ticket


def submit_answer(
    session: Session, invitation: SurveyInvitation, answer: SurveyAnswer, *, now: datetime | None = None
) -> SurveyResponse:
    """Record or change the one answer of this invitation while it is open."""
    now = now or utcnow()
    kind = SurveyKind(invitation.kind)
    if not is_open(invitation, now):
        raise InvalidTransition("this survey has closed; thank you all the same")
    if answer.score not in SCORE_RANGES[kind]:
        allowed = SCORE_RANGES[kind]
        raise ValidationFailed(f"score must be between {allowed.start} and {allowed.stop - 1}")
    response = invitation.response
    if response is None:
        response = SurveyResponse(
            invitation=invitation, score=answer.score, comment=answer.comment, created_at=now, updated_at=now
        )
        session.add(response)
    else:
        response.score = answer.score
        response.comment = answer.comment
        response.updated_at = now
    session.flush()
    if needs_follow_up(kind, response.score) and response.follow_up_ticket_id is None:
        response.follow_up_ticket_id = _follow_up_ticket(session, invitation, response).id
        session.flush()
    # A promoter is asked for a review once per product, after answering (aftersales.reviews).
    reviews.invite_promoter(session, invitation, response, now=now)
    return response


def list_invitations(
    session: Session, *, kind: SurveyKind | None = None, limit: int = 100, offset: int = 0
) -> list[SurveyInvitation]:
    query = select(SurveyInvitation).options(
        joinedload(SurveyInvitation.customer),
        joinedload(SurveyInvitation.response),
        joinedload(SurveyInvitation.product),
    )
    if kind is not None:
        query = query.where(SurveyInvitation.kind == kind)
    newest_first = query.order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc())
    return list(session.scalars(window(newest_first, offset=offset, limit=limit)))


def run_survey_pass(
    session: Session, *, now: datetime | None = None, policy: SurveyPolicy = DEFAULT_POLICY
) -> dict[str, int]:
    now = now or utcnow()
    return {"csat": invite_csat(session, now=now, policy=policy), "nps": invite_nps(session, now=now, policy=policy)}
