"""A customer's data export: one JSON document with everything about them, and nothing that is not theirs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from accounts.audit import AuditAction, AuditTarget, audit_entries
from accounts.service import principal_for_user
from aftercare.errors import NotFound
from aftersales import claims, lapsed, lifecycle, reviews, winback
from aftersales.claim_models import ClaimKind, ClaimReason
from aftersales.claim_schemas import ClaimCreate
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage, WinbackReason
from aftersales.lifecycle_schemas import ReviewDestinationSet, WinbackAnswerCreate
from aftersales.models import SurveyInvitation, SurveyKind, SurveyResponse
from aftersales.programmes import run_scheduling_pass
from privacy.export import export_customer
from tests.aftersales import factories as shop
from tests.factories import create_customer_user, create_staff
from tests.privacy.factories import ATTACHMENT_NAME, EMAIL, NAME, PHRASE, SUBJECT, Person, build_person


@pytest.fixture
def person(session: Session) -> Person:
    return build_person(session)


@pytest.fixture
def document(session: Session, person: Person) -> dict:
    return export_customer(session, person.customer.id, actor=None)


def test_an_unknown_customer_is_not_found(session):
    with pytest.raises(NotFound):
        export_customer(session, 999_999, actor=None)


def test_the_document_is_plain_json_with_iso_dates(document):
    again = json.loads(json.dumps(document))
    assert again == document
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None


def test_the_profile_holds_the_address_name_and_consents(document):
    profile = document["profile"]
    # The order carried marketing consent; survey consent is the default (the suppression is separate).
    assert (profile["email"], profile["name"], profile["consents"], profile["erased_at"]) == (
        EMAIL,
        NAME,
        {"marketing_and_tips": True, "surveys": True},
        None,
    )


def test_the_account_is_described_without_any_secret(session, person, document):
    assert document["account"]["role"] == "customer" and document["account"]["email"] == EMAIL
    text = json.dumps(document)
    assert "hash" not in json.dumps(document["account"])
    assert person.api_token not in text and person.login_session not in text


def test_tickets_hold_their_public_messages_but_not_internal_notes(document):
    [ticket] = document["tickets"]
    # The customer's mail, the agent's reply, the customer's answer; the agent's note stays inside.
    assert ticket["subject"] == SUBJECT
    assert [message["from"] for message in ticket["messages"]] == ["customer", "support", "customer"]
    assert not any("Called Ms" in message["body"] for message in ticket["messages"])


def test_attachments_are_listed_by_name(document):
    assert document["tickets"][0]["messages"][0]["attachments"] == [ATTACHMENT_NAME]


def test_forum_threads_and_replies_they_wrote_are_included(person, document):
    forum = document["forum"]
    assert f"Why {PHRASE}?" in [thread["title"] for thread in forum["threads"]]
    assert [(reply["id"], reply["thread_id"]) for reply in forum["replies"]] == [
        (person.reply.id, person.other_thread.id)
    ]


def test_purchases_survey_answers_and_feedback_are_included(document):
    [purchase] = document["purchases"]
    assert (purchase["order_id"], purchase["product"]["sku"], purchase["amount"], purchase["currency"]) == (
        "SHOP-1001",
        "NIMBUS-1",
        "129.00",
        "EUR",
    )
    [survey] = document["surveys"]
    assert (survey["kind"], survey["response"]["score"]) == ("csat", 4)
    assert PHRASE in survey["response"]["comment"]
    assert [feedback["helpful"] for feedback in document["article_feedback"]] == [False]


def test_suppressions_and_mail_sent_to_them_are_included(person, document):
    assert [(row["scope"], row["source"]) for row in document["suppressions"]] == [("survey", "unsubscribe_link")]
    emails = {row["id"]: row for row in document["emails"]}
    sent = emails[person.sent.id]
    assert (sent["status"], sent["subject"], sent["kind"]) == ("sent", f"Your warranty, {NAME}", "transactional")
    assert "warranty runs until next year" in sent["text_body"]
    assert emails[person.queued.id]["status"] == "queued"


def test_tips_they_were_sent_are_included(session):
    shop.article(session, title="Getting started")
    item = shop.product(session, tags=["nimbus"])
    series = shop.programme(session, tag="nimbus")
    buyer = shop.customer(session)
    shop.buy(session, buyer, item, at=shop.NOW - timedelta(hours=2))
    run_scheduling_pass(session, now=shop.NOW)
    document = export_customer(session, buyer.id, actor=None)
    assert [(tip["programme"], tip["step"], tip["day"]) for tip in document["tips"]] == [(series.name, "welcome", 0)]
    assert [enrolment["programme"] for enrolment in document["programmes"]] == [series.name]


def test_each_export_is_in_the_audit_trail_with_who_asked(session, person):
    admin = create_staff(session)
    export_customer(session, person.customer.id, actor=admin)
    [entry] = audit_entries(session, target_type=AuditTarget.CUSTOMER, target_id=person.customer.id, limit=1)
    assert (entry.action, entry.actor_user_id, entry.details) == (AuditAction.CUSTOMER_EXPORTED, admin.id, {})


def test_claims_are_included_with_rma_number_product_kind_status_and_dates(session):
    owner = create_customer_user(session)
    item = shop.product(session, name="Nimbus thermostat")
    bought = shop.buy(session, owner.customer, item, at=shop.NOW)
    data = ClaimCreate(purchase_id=bought.id, kind=ClaimKind.RETURN, reason=ClaimReason.DEFECTIVE, description="Dead.")
    claim = claims.open_claim(session, data, principal_for_user(owner), now=shop.NOW + timedelta(days=3))
    [exported] = export_customer(session, owner.customer.id, actor=None)["claims"]
    # A return opened three days after the purchase: inside the default return window, still requested.
    assert (exported["rma_number"], exported["product"]["name"], exported["kind"], exported["status"]) == (
        claim.rma_number,
        "Nimbus thermostat",
        "return",
        "requested",
    )
    assert exported["opened_at"] is not None and exported["resolved_at"] is None


def test_review_invitations_and_win_back_answers_are_included(session):
    buyer = shop.customer(session)
    item = shop.product(session, name="Nimbus thermostat", renewal_days=30)
    shop.buy(session, buyer, item, at=shop.NOW)
    reviews.set_destination(session, item, ReviewDestinationSet(url="https://shop.example.com/reviews"))
    invitation = SurveyInvitation(
        kind=SurveyKind.NPS, customer=buyer, product=item, language="en", created_at=shop.NOW, closes_at=shop.NOW
    )
    response = SurveyResponse(invitation=invitation, score=10, created_at=shop.NOW, updated_at=shop.NOW)
    session.add_all([invitation, response])
    session.flush()
    reviews.invite_promoter(session, invitation, response, now=shop.NOW)
    lapsed.scan(session, now=shop.NOW + timedelta(days=45))
    lifecycle.run_lifecycle_pass(session, now=shop.NOW + timedelta(days=45))
    message = session.query(LifecycleMessage).filter_by(kind=LifecycleKind.WIN_BACK).one()
    winback.submit_answer(session, message, WinbackAnswerCreate(reason=WinbackReason.OTHER, comment="Moved abroad"))
    document = export_customer(session, buyer.id, actor=None)
    assert [row["product"]["name"] for row in document["review_invitations"]] == ["Nimbus thermostat"]
    assert [(row["reason"], row["comment"]) for row in document["winback_answers"]] == [("other", "Moved abroad")]
