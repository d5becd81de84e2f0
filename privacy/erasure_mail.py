"""Erasing a customer from the mail: the outbox, inbound and rejected mail, attachments (their
files after the commit), suppression rows and e-mailed links; the address's hash is kept."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import EmailSignInLink
from aftercare.config import get_settings
from aftercare.db import Database
from aftercare.events import subscribe
from helpdesk.attachments.storage import storage_for
from helpdesk.email.models import (
    Attachment,
    InboundDisposition,
    InboundMessage,
    OutboxMessage,
    OutboxStatus,
    RejectedMail,
    Suppression,
    SuppressReason,
)
from helpdesk.email.suppression import remember_erased_address
from privacy.events import CustomerErased
from privacy.person import ErasedPerson, replace_changed
from privacy.scrubbing import ERASED

# Outbox rows a worker may still send.
UNSENT = (OutboxStatus.QUEUED, OutboxStatus.SENDING)
# Machine mail (bounces, auto-replies) is about an address rather than from it.
_MACHINE_MAIL = (InboundDisposition.BOUNCE, InboundDisposition.AUTO_REPLY, InboundDisposition.UNSUBSCRIBE)


def to_them(person: ErasedPerson) -> ColumnElement[bool]:
    return or_(
        OutboxMessage.customer_id == person.customer.id,
        func.lower(OutboxMessage.to_address).in_([*person.addresses, person.placeholder]),
    )


def erase_outbox(session: Session, person: ErasedPerson) -> tuple[int, int]:
    """(rows cancelled, rows to them scrubbed); rows about their tickets to others are scrubbed too."""
    cancelled = scrubbed = 0
    rows = session.scalars(
        select(OutboxMessage).where(or_(to_them(person), OutboxMessage.ticket_id.in_(person.ticket_ids)))
    )
    their_addresses = {*person.addresses, person.placeholder}
    for row in rows:
        if row.customer_id == person.customer.id or row.to_address.lower() in their_addresses:
            cancelled += cancel_and_empty(row, person)
            scrubbed += 1
        else:
            scrub = person.scrubber
            replace_changed(
                row,
                subject=scrub.text(row.subject),
                text_body=scrub.text(row.text_body),
                # HTML escapes names ("O&#39;Brien"); the scrubbed text part is what stays.
                html_body=None,
                headers=scrub.json(row.headers),
                last_error=scrub.optional(row.last_error),
            )
    return cancelled, scrubbed


def cancel_and_empty(row: OutboxMessage, person: ErasedPerson) -> int:
    """One outbox row to them: cancelled if not sent yet (returns 1 then), address and body gone."""
    cancelled = 0
    if row.status in UNSENT:
        row.status = OutboxStatus.SUPPRESSED
        row.suppressed_reason = SuppressReason.SUPPRESSED_ADDRESS
        row.claimed_at = None
        cancelled = 1
    replace_changed(
        row,
        to_address=person.placeholder,
        subject=ERASED,
        text_body=ERASED,
        html_body=None,
        headers={},
        last_error=person.scrubber.optional(row.last_error),
    )
    return cancelled


def erase_inbound(session: Session, person: ErasedPerson) -> int:
    """Their inbound mail emptied; others' mail on their tickets and machine mail naming their
    address scrubbed. Returns how many were theirs."""
    scrub = person.scrubber
    own = set(person.inbound_ids)
    found = [InboundMessage.id.in_(own), InboundMessage.ticket_id.in_(person.ticket_ids)]
    if person.addresses:
        mentions = [
            func.lower(InboundMessage.full_text).contains(address, autoescape=True) for address in person.addresses
        ]
        found.append(and_(InboundMessage.disposition.in_(_MACHINE_MAIL), or_(*mentions)))
    for row in session.scalars(select(InboundMessage).where(or_(*found))):
        if row.id in own:
            replace_changed(
                row,
                from_address=person.placeholder,
                from_name="",
                envelope_from="",
                envelope_to=scrub.text(row.envelope_to),
                subject=ERASED,
                # Their Message-IDs (and the ones they answered) name their mail system and thread
                # nothing any more; the ticket link stays.
                message_id=None,
                in_reply_to=None,
                references="",
                auth_results=None,
                full_text=ERASED,
            )
        else:
            replace_changed(
                row,
                envelope_to=scrub.text(row.envelope_to),
                subject=scrub.text(row.subject),
                full_text=scrub.text(row.full_text),
                auth_results=scrub.optional(row.auth_results),
            )
    return len(own)


def erase_attachments(session: Session, person: ErasedPerson) -> tuple[int, list[int]]:
    """Their attachments' names and fingerprints gone; returns (count, ids whose files to delete)."""
    rows = list(
        session.scalars(
            select(Attachment).where(
                or_(
                    Attachment.inbound_message_id.in_(person.inbound_ids),
                    Attachment.ticket_message_id.in_(person.message_ids),
                    # Files they uploaded onto a message not their own (the API allows their ticket's).
                    Attachment.uploaded_by_customer_id == person.customer.id,
                )
            )
        )
    )
    for row in rows:
        replace_changed(row, filename=ERASED, sha256=None, refused_reason=person.scrubber.optional(row.refused_reason))
    return len(rows), [row.id for row in rows if row.stored_name is not None]


def erase_other_mail(session: Session, person: ErasedPerson) -> None:
    """Rejected mail from them, their suppression rows and e-mailed links; the addresses' hashes kept."""
    if not person.addresses:
        return
    from_them = [
        func.lower(RejectedMail.from_header).contains(address, autoescape=True) for address in person.addresses
    ]
    session.execute(
        delete(RejectedMail)
        .where(or_(func.lower(RejectedMail.envelope_from).in_(person.addresses), *from_them))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Suppression).where(Suppression.email.in_(person.addresses)).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(EmailSignInLink)
        .where(EmailSignInLink.email.in_(person.addresses))
        .execution_options(synchronize_session=False)
    )
    for address in person.addresses:
        remember_erased_address(session, address)


# --- after the commit ----------------------------------------------------------------------------


def remove_erased_files(event: CustomerErased, database: Database) -> None:
    """Delete the erased attachments' files, then forget their names (a crash in between leaves the
    name, and erasing the customer again finishes the job)."""
    if not event.attachment_ids:
        return
    storage = storage_for(get_settings())
    with database.session(write=True) as session:
        rows = session.scalars(
            select(Attachment).where(Attachment.id.in_(event.attachment_ids), Attachment.stored_name.is_not(None))
        )
        for row in rows:
            # Names are ours (YYYY/MM/<hex>.<ext>); the storage never follows one that points elsewhere.
            try:
                storage.delete(str(row.stored_name))
            except FileNotFoundError:
                pass
            row.stored_name = None


subscribe(CustomerErased, remove_erased_files)
