"""Erasing a customer: nothing of the person is left in the database, the files, the search index
or an export, while their tickets and every figure stay as they were."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import JSON, LargeBinary, String, func, select
from sqlalchemy.orm import Session

import entry.models_registry
from accounts.audit import AuditAction, AuditTarget, audit_entries
from accounts.models import Customer, User
from accounts.service import check_api_token, resolve_login_session
from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftersales.programmes import run_scheduling_pass
from aftersales.purchases import import_rows, read_csv_rows
from aftersales.reports import csat_over_time
from helpdesk.email.mail_in.attachments import attachments_dir
from helpdesk.email.models import Attachment, EmailKind, OutboxMessage, OutboxStatus
from helpdesk.models import Message, MessageKind, Ticket
from kb.forum.models import ForumReply, ForumThread, PostStatus
from kb.search.service import search
from privacy.erasure import DELETED_USER_NAME, erase_customer
from privacy.export import export_customer
from tests.aftersales import factories as shop
from tests.privacy.factories import (
    ATTACHMENT_NAME,
    EMAIL,
    NAME,
    PHRASE,
    SURNAME,
    Person,
    build_person,
    someone_else,
)
from tests.web.search_support import e5, keeper  # noqa: F401

# Their name whole and in part, their address, words only they wrote, their file's name.
NEEDLES = (NAME, SURNAME, EMAIL, PHRASE, ATTACHMENT_NAME)


def _committed(session: Session, *, knowledge_base: bool) -> Person:
    built = build_person(session, knowledge_base=knowledge_base)
    someone_else(session)
    # As it would be in a running help desk: committed, confirmations (and their searches) done.
    session.commit()
    return built


@pytest.fixture
def person(session: Session) -> Person:
    return _committed(session, knowledge_base=False)


@pytest.fixture
def person_and_kb(session: Session) -> Person:
    """The person with a knowledge base, so that their ticket's text was searched and logged too."""
    return _committed(session, knowledge_base=True)


def erase(session: Session, person: Person, *, actor: User | None = None):
    summary = erase_customer(session, person.customer.id, actor=actor)
    session.commit()
    # The test session keeps its objects across commits; read what the database now holds.
    session.expire_all()
    return summary


def scan(session: Session) -> set[tuple[str, str, str]]:
    """(table, column, needle) for every text, string, JSON or binary value holding a needle."""
    found = set()
    for table in entry.models_registry.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | JSON | LargeBinary):
                continue
            for (value,) in session.execute(select(column).where(column.is_not(None))):
                if isinstance(value, bytes):
                    text = value.decode("latin-1")
                elif isinstance(value, str):
                    text = value
                else:
                    text = json.dumps(value, ensure_ascii=False)
                found.update((table.name, column.name, needle) for needle in NEEDLES if needle.lower() in text.lower())
    return found


def test_the_scan_finds_the_person_everywhere_before_erasure(session, person_and_kb):
    # The oracle for the test below: the needles are really there, in every corner built.
    tables = {table for table, _, _ in scan(session)}
    assert {
        "customers",
        "users",
        "api_tokens",
        "email_sign_in_links",
        "tickets",
        "messages",
        "inbound_messages",
        "attachments",
        "outbox_messages",
        "email_suppressions",
        "forum_threads",
        "forum_replies",
        "survey_responses",
        "article_feedback",
        "search_logs",
    } <= tables


def test_nothing_of_the_person_is_left_in_any_text_column(session, person_and_kb):
    erase(session, person_and_kb)
    assert scan(session) == set()


def test_the_attachment_file_is_deleted_after_the_commit(session, person):
    path = attachments_dir(get_settings().data_dir) / str(person.attachment.stored_name)
    assert path.is_file()
    erase(session, person)
    assert not path.exists()
    assert session.get(Attachment, person.attachment.id).stored_name is None


def test_an_erasure_that_rolls_back_keeps_the_file(session, person):
    path = attachments_dir(get_settings().data_dir) / str(person.attachment.stored_name)
    with pytest.raises(RuntimeError), session.begin_nested():
        erase_customer(session, person.customer.id, actor=None)
        raise RuntimeError("the request failed after the erasure")
    session.commit()
    assert Path(path).is_file()


def _figures(session: Session) -> dict:
    tickets = session.execute(
        select(
            Ticket.id, Ticket.status, Ticket.priority, Ticket.language, Ticket.created_at, Ticket.updated_at
        ).order_by(Ticket.id)
    ).all()
    by_language = session.execute(select(Ticket.language, func.count()).group_by(Ticket.language)).all()
    messages = session.execute(select(Message.ticket_id, Message.kind, Message.created_at).order_by(Message.id)).all()
    now = utcnow()
    csat = csat_over_time(session, since=now - timedelta(days=2), until=now + timedelta(days=1))
    outbox = session.execute(select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)).all()
    return {
        "tickets": tickets,
        "by_language": sorted(by_language),
        "messages": messages,
        "csat": csat,
        "outbox": sorted(outbox),
        "customers": session.scalar(select(func.count()).select_from(Customer)),
    }


def test_tickets_and_figures_are_the_same_after_erasure(session, person):
    before = _figures(session)
    erase(session, person)
    assert _figures(session) == before


def test_agents_messages_stay_without_the_persons_name_address_or_words(session, person):
    erase(session, person)
    kept = session.execute(
        select(Message.kind, Message.body).where(Message.ticket_id == person.ticket.id).order_by(Message.id)
    ).all()
    # Their own messages are replaced whole; in the agent's the anonymiser's marks stand for them.
    assert kept == [
        (MessageKind.PUBLIC_REPLY, "[erased]"),
        (
            MessageKind.PUBLIC_REPLY,
            "Dear [name], does the dial still glow when unplugged? We can also write to [email].",
        ),
        (MessageKind.INTERNAL_NOTE, "Called Ms [name]: she says [erased] even at night."),
        (MessageKind.PUBLIC_REPLY, "[erased]"),
    ]


def test_unsent_mail_to_them_is_cancelled_and_sent_mail_loses_address_and_body(session, person):
    summary = erase(session, person)
    queued = session.get(OutboxMessage, person.queued.id)
    sent = session.get(OutboxMessage, person.sent.id)
    assert (queued.status, sent.status) == (OutboxStatus.SUPPRESSED, OutboxStatus.SENT)
    placeholder = f"erased-{person.customer.id}@erased.invalid"
    assert {queued.to_address, sent.to_address} == {placeholder}
    assert (sent.subject, sent.text_body, sent.html_body, sent.headers) == ("[erased]", "[erased]", None, {})
    # The agent's reply and the ticket's confirmation were both still queued.
    assert summary.emails_cancelled == 2


def test_their_account_remains_as_a_deleted_user_that_cannot_sign_in(session, person):
    erase(session, person)
    user = session.get(User, person.user.id)
    assert (user.name, user.is_active, user.password_hash) == (DELETED_USER_NAME, False, None)
    assert resolve_login_session(session, person.login_session) is None
    assert check_api_token(session, person.api_token)[1] is None


def test_their_forum_posts_are_replaced_and_an_unanswered_thread_hidden(session, person):
    erase(session, person)
    thread = session.get(ForumThread, person.thread.id)
    reply = session.get(ForumReply, person.reply.id)
    other = session.get(ForumThread, person.other_thread.id)
    assert (thread.title, thread.body, thread.status) == ("[erased]", "[erased]", PostStatus.HIDDEN)
    # The thread they answered is someone else's: it stays, with their answer still accepted.
    assert (reply.body, reply.status, other.status, other.accepted_reply_id) == (
        "[erased]",
        PostStatus.PUBLISHED,
        PostStatus.PUBLISHED,
        reply.id,
    )


def test_their_forum_posts_leave_the_search_index(session, person, keeper):  # noqa: F811
    keeper.sync(session)
    before = search(session, PHRASE, types="thread", keeper=keeper, log=False)
    assert person.other_thread.id in [hit.thread_id for hit in before.results]
    erase(session, person)
    keeper.sync(session)
    indexed = [keeper.engine.document(doc_id) for doc_id in keeper.engine.doc_ids()]
    texts = " ".join(f"{document.title} {document.body_markdown}" for document in indexed if document is not None)
    assert PHRASE not in texts and f"thread:{person.thread.id}:en" not in keeper.engine.doc_ids()


def test_the_export_of_an_erased_customer_holds_nothing_of_them(session, person):
    erase(session, person)
    document = json.dumps(export_customer(session, person.customer.id, actor=None), ensure_ascii=False).lower()
    assert [needle for needle in NEEDLES if needle.lower() in document] == []


def test_the_erasure_is_in_the_audit_trail_by_id_alone(session, person):
    admin = session.scalars(select(User).where(User.role == "agent")).first()
    erase(session, person, actor=admin)
    [entry] = audit_entries(session, target_type=AuditTarget.CUSTOMER, target_id=person.customer.id, limit=1)
    assert (entry.action, entry.actor_user_id, entry.details) == (AuditAction.CUSTOMER_ERASED, admin.id, {})


def test_erasing_an_erased_customer_again_changes_nothing(session, person):
    erase(session, person)
    again = erase(session, person)
    assert (again.already_erased, again.tickets, again.messages, again.attachments, again.emails_cancelled) == (
        True,
        0,
        0,
        0,
        0,
    )


def test_erasing_again_deletes_a_file_a_crashed_process_left(session, person):
    stored_name = person.attachment.stored_name
    erase(session, person)
    # As if the process had died between the commit and the file's removal.
    path = attachments_dir(get_settings().data_dir) / str(stored_name)
    path.write_bytes(b"left behind")
    session.get(Attachment, person.attachment.id).stored_name = stored_name
    session.commit()
    again = erase(session, person)
    assert (again.already_erased, again.attachments, path.exists()) == (True, 1, False)


def test_an_unknown_customer_is_not_found(session):
    with pytest.raises(NotFound):
        erase_customer(session, 999_999, actor=None)


# --- the same address buying again --------------------------------------------------------------

ORDERS_HEADER = "external_order_id,customer_email,customer_name,sku,amount,currency,purchased_at,marketing_consent\n"


def _order_line(order_id: str, email: str, sku: str) -> str:
    bought = (shop.NOW - timedelta(hours=2)).isoformat()
    return f"{order_id},{email},Someone,{sku},129.00,EUR,{bought},true\n"


def _erased_buyer_and_tip_series(session: Session):
    shop.article(session, title="Getting started")
    item = shop.product(session, tags=["nimbus"])
    shop.programme(session, tag="nimbus")
    buyer = shop.customer(session, email=EMAIL, name=NAME, marketing=True)
    shop.buy(session, buyer, item, at=shop.NOW - timedelta(days=200), order_id="SHOP-OLD")
    erase_customer(session, buyer.id, actor=None)
    return item


def test_a_later_order_import_does_not_turn_marketing_consent_back_on(session):
    item = _erased_buyer_and_tip_series(session)
    csv_text = ORDERS_HEADER + _order_line("SHOP-NEW", EMAIL, item.sku)
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    again = session.scalars(select(Customer).where(Customer.email == EMAIL)).one()
    assert again.consent_marketing is False


def test_a_later_order_import_starts_no_tips_for_the_erased_address(session):
    item = _erased_buyer_and_tip_series(session)
    # Someone new in the same import gets the series' first tip: the oracle that tips do go out.
    csv_text = (
        ORDERS_HEADER
        + _order_line("SHOP-NEW", EMAIL, item.sku)
        + _order_line("SHOP-NEW-2", "new@example.com", item.sku)
    )
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    run_scheduling_pass(session, now=shop.NOW)
    tips = session.scalars(
        select(OutboxMessage.to_address).where(
            OutboxMessage.kind == EmailKind.MARKETING, OutboxMessage.status == OutboxStatus.QUEUED
        )
    ).all()
    assert tips == ["new@example.com"]


def test_the_erased_customers_old_order_imported_again_brings_nobody_back(session):
    item = _erased_buyer_and_tip_series(session)
    old_line = _order_line("SHOP-OLD", EMAIL, item.sku)
    report = import_rows(session, read_csv_rows(io.StringIO(ORDERS_HEADER + old_line)))
    assert (report.created, report.unchanged, report.errors) == (0, 1, [])
    assert session.scalar(select(Customer.id).where(Customer.email == EMAIL)) is None
