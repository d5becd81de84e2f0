"""A customer's data as one JSON document (GDPR Art. 15, right of access; Art. 20, portability).

``export_customer`` gathers what Aftercare holds about one person, as plain JSON values (dates in
ISO 8601, amounts as decimal strings), in sections:

- ``profile``: the customer record, with the consents the after-sales engine checks;
- ``account``: their sign-in account if they have one (role, dates; never a password or token hash);
- ``tickets``: their requests with the public messages (internal notes are the team's, not theirs)
  and the names of attachments;
- ``forum``: threads and replies they wrote, and their votes;
- ``purchases``, ``programmes`` (tip series they are in), ``tips`` (tips handed to the outbox),
  ``surveys`` (invitations, with the score and comment when they answered);
- ``claims``: warranty, repair and return claims (RMA number, product, kind, status, dates);
- ``review_invitations`` (product, when sent and clicked) and ``winback_answers`` ("why did you stop?");
- ``article_feedback``: their "Was this helpful?" answers;
- ``suppressions``: the kinds of mail their address does not get, and since when;
- ``emails``: mail sent (or queued) to them, with the text part.

Other people appear only as "support" or "customer" on a message. Each export is recorded in the
audit trail (``CUSTOMER_EXPORTED``), by id only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from accounts.audit import AuditAction, AuditTarget, record_audit
from accounts.models import Customer, User
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftersales.claim_models import Claim
from aftersales.lifecycle_models import ReviewInvitation, WinbackAnswer
from aftersales.models import (
    Product,
    Programme,
    ProgrammeEnrolment,
    ProgrammeStep,
    Purchase,
    SurveyInvitation,
    TipDelivery,
)
from helpdesk.email.models import Attachment, OutboxMessage, Suppression
from helpdesk.models import Message, MessageKind, Ticket
from kb.feedback.models import ArticleFeedback
from kb.forum.models import ForumReply, ForumThread, ForumVote

FORMAT = "aftercare.customer-export"
VERSION = 1


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value: Decimal) -> str:
    return format(value, "f")


def export_customer(session: Session, customer_id: int, *, actor: User | None) -> dict[str, Any]:
    """Everything about customer ``customer_id`` (see the module doc); NotFound if there is none."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    account = session.scalar(select(User).where(User.customer_id == customer.id))
    user_ids = [account.id] if account is not None else []
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _when(utcnow()),
        "profile": _profile(customer),
        "account": _account(account),
        "tickets": _tickets(session, customer),
        "forum": _forum(session, user_ids),
        "purchases": _purchases(session, customer),
        "programmes": _programmes(session, customer),
        "tips": _tips(session, customer),
        "surveys": _surveys(session, customer),
        "claims": _claims(session, customer),
        "review_invitations": _review_invitations(session, customer),
        "winback_answers": _winback_answers(session, customer),
        "article_feedback": _article_feedback(session, customer),
        "suppressions": _suppressions(session, customer),
        "emails": _emails(session, customer),
    }
    record_audit(session, AuditAction.CUSTOMER_EXPORTED, AuditTarget.CUSTOMER, customer.id, actor=actor)
    return document


def _profile(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "email": customer.email,
        "name": customer.name,
        "language": customer.language,
        "created_at": _when(customer.created_at),
        "updated_at": _when(customer.updated_at),
        "erased_at": _when(customer.erased_at),
        "consents": {
            "marketing_and_tips": customer.consent_marketing,
            "surveys": customer.consent_surveys,
        },
    }


def _account(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "language": user.language,
        "is_active": user.is_active,
        "has_password": user.password_hash is not None,
        "created_at": _when(user.created_at),
    }


def _tickets(session: Session, customer: Customer) -> list[dict[str, Any]]:
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.requester_id == customer.id)
        .options(selectinload(Ticket.tag_rows), selectinload(Ticket.messages))
        .order_by(Ticket.id)
    ).all()
    attachments: dict[int, list[str]] = {}
    message_ids = [message.id for ticket in tickets for message in ticket.messages]
    rows = session.execute(
        select(Attachment.ticket_message_id, Attachment.filename)
        .where(Attachment.ticket_message_id.in_(message_ids))
        .order_by(Attachment.id)
    )
    for message_id, filename in rows:
        attachments.setdefault(message_id, []).append(filename)
    return [
        {
            "id": ticket.id,
            "subject": ticket.subject,
            "status": str(ticket.status),
            "priority": str(ticket.priority),
            "channel": str(ticket.channel),
            "language": ticket.language,
            "tags": ticket.tags,
            "created_at": _when(ticket.created_at),
            "updated_at": _when(ticket.updated_at),
            "solved_at": _when(ticket.solved_at),
            "closed_at": _when(ticket.closed_at),
            "messages": [
                _message(message, customer, attachments.get(message.id, []))
                for message in ticket.messages
                if message.kind == MessageKind.PUBLIC_REPLY
            ],
        }
        for ticket in tickets
    ]


def _message(message: Message, customer: Customer, attachments: list[str]) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": "customer" if message.author_customer_id == customer.id else "support",
        "body": message.body,
        "channel": str(message.channel),
        "created_at": _when(message.created_at),
        "attachments": attachments,
    }


def _forum(session: Session, user_ids: list[int]) -> dict[str, Any]:
    threads = session.scalars(
        select(ForumThread)
        .where(ForumThread.author_id.in_(user_ids))
        .options(selectinload(ForumThread.tag_rows))
        .order_by(ForumThread.id)
    )
    replies = session.scalars(select(ForumReply).where(ForumReply.author_id.in_(user_ids)).order_by(ForumReply.id))
    votes = session.scalars(select(ForumVote).where(ForumVote.user_id.in_(user_ids)).order_by(ForumVote.created_at))
    return {
        "threads": [
            {
                "id": thread.id,
                "title": thread.title,
                "body": thread.body,
                "status": str(thread.status),
                "language": thread.language,
                "tags": thread.tags,
                "created_at": _when(thread.created_at),
                "updated_at": _when(thread.updated_at),
            }
            for thread in threads
        ],
        "replies": [
            {
                "id": reply.id,
                "thread_id": reply.thread_id,
                "body": reply.body,
                "status": str(reply.status),
                "created_at": _when(reply.created_at),
                "updated_at": _when(reply.updated_at),
            }
            for reply in replies
        ],
        "votes": [
            {"reply_id": vote.reply_id, "value": vote.value, "created_at": _when(vote.created_at)} for vote in votes
        ],
    }


def _purchases(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Purchase, Product)
        .join(Product, Product.id == Purchase.product_id)
        .where(Purchase.customer_id == customer.id)
        .order_by(Purchase.purchased_at, Purchase.id)
    ).all()
    return [
        {
            "order_id": purchase.external_order_id,
            "product": {"sku": product.sku, "name": product.name},
            "quantity": purchase.quantity,
            "amount": _money(purchase.amount),
            "currency": purchase.currency,
            "channel": purchase.channel,
            "purchased_at": _when(purchase.purchased_at),
            "recorded_at": _when(purchase.created_at),
        }
        for purchase, product in rows
    ]


def _programmes(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ProgrammeEnrolment, Programme)
        .join(Programme, Programme.id == ProgrammeEnrolment.programme_id)
        .where(ProgrammeEnrolment.customer_id == customer.id)
        .order_by(ProgrammeEnrolment.id)
    ).all()
    return [
        {
            "programme": programme.name,
            "source": str(enrolment.source),
            "started_at": _when(enrolment.anchor_at),
            "enrolled_at": _when(enrolment.created_at),
        }
        for enrolment, programme in rows
    ]


def _tips(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(TipDelivery, ProgrammeStep, Programme)
        .join(ProgrammeStep, ProgrammeStep.id == TipDelivery.step_id)
        .join(Programme, Programme.id == ProgrammeStep.programme_id)
        .where(TipDelivery.customer_id == customer.id)
        .order_by(TipDelivery.created_at, TipDelivery.id)
    ).all()
    return [
        {
            "programme": programme.name,
            "step": str(step.kind),
            "day": step.day_offset,
            "article_id": delivery.article_id,
            "language": delivery.language,
            "email_id": delivery.outbox_message_id,
            "created_at": _when(delivery.created_at),
        }
        for delivery, step, programme in rows
    ]


def _surveys(session: Session, customer: Customer) -> list[dict[str, Any]]:
    invitations = session.scalars(
        select(SurveyInvitation)
        .where(SurveyInvitation.customer_id == customer.id)
        .options(selectinload(SurveyInvitation.response), selectinload(SurveyInvitation.product))
        .order_by(SurveyInvitation.created_at, SurveyInvitation.id)
    )
    documents = []
    for invitation in invitations:
        response = invitation.response
        documents.append(
            {
                "kind": str(invitation.kind),
                "ticket_id": invitation.ticket_id,
                "product": invitation.product.name if invitation.product is not None else None,
                "wave": invitation.wave,
                "language": invitation.language,
                "invited_at": _when(invitation.created_at),
                "closes_at": _when(invitation.closes_at),
                "response": None
                if response is None
                else {
                    "score": response.score,
                    "comment": response.comment,
                    "answered_at": _when(response.created_at),
                    "changed_at": _when(response.updated_at),
                },
            }
        )
    return documents


def _claims(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Claim, Product)
        .join(Product, Product.id == Claim.product_id)
        .where(Claim.customer_id == customer.id)
        .order_by(Claim.created_at, Claim.id)
    ).all()
    return [
        {
            "rma_number": claim.rma_number,
            "product": {"sku": product.sku, "name": product.name},
            "kind": str(claim.kind),
            "reason": str(claim.reason),
            "status": str(claim.status),
            "eligible": claim.eligible,
            "window_ends_on": claim.window_ends_on.isoformat(),
            "opened_at": _when(claim.created_at),
            "updated_at": _when(claim.updated_at),
            "resolved_at": _when(claim.resolved_at),
        }
        for claim, product in rows
    ]


def _review_invitations(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ReviewInvitation, Product)
        .join(Product, Product.id == ReviewInvitation.product_id)
        .where(ReviewInvitation.customer_id == customer.id)
        .order_by(ReviewInvitation.id)
    ).all()
    return [
        {
            "product": {"sku": product.sku, "name": product.name},
            "sent_at": _when(row.created_at),
            "clicked_at": _when(row.clicked_at),
        }
        for row, product in rows
    ]


def _winback_answers(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(WinbackAnswer).where(WinbackAnswer.customer_id == customer.id).order_by(WinbackAnswer.id)
    )
    return [
        {
            "reason": str(row.reason),
            "comment": row.comment,
            "answered_at": _when(row.created_at),
            "changed_at": _when(row.updated_at),
        }
        for row in rows
    ]


def _article_feedback(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ArticleFeedback).where(ArticleFeedback.customer_id == customer.id).order_by(ArticleFeedback.id)
    )
    return [
        {
            "article_id": row.article_id,
            "locale": row.locale,
            "helpful": row.helpful,
            "reason": row.reason,
            "created_at": _when(row.created_at),
        }
        for row in rows
    ]


def _suppressions(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(select(Suppression).where(Suppression.email == customer.email).order_by(Suppression.id))
    return [{"scope": str(row.scope), "source": str(row.source), "created_at": _when(row.created_at)} for row in rows]


def _emails(session: Session, customer: Customer) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.customer_id == customer.id,
                func.lower(OutboxMessage.to_address) == customer.email,
            )
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "id": row.id,
            "kind": str(row.kind),
            "to": row.to_address,
            "subject": row.subject,
            "status": str(row.status),
            "ticket_id": row.ticket_id,
            "created_at": _when(row.created_at),
            "sent_at": _when(row.sent_at),
            "text_body": row.text_body,
        }
        for row in rows
    ]
