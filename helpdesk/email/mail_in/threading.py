"""Which ticket an inbound message belongs to.

1. ``In-Reply-To`` then ``References`` (newest first) against the Message-IDs Aftercare sent
   (outbox rows). Ours are random, so knowing one means having received our mail: any sender
   may thread with it (a colleague the customer forwarded our answer to, say).
2. The same headers against Message-IDs of mail we received for a ticket, but only from that
   ticket's requester: those ids were chosen by the sender and may be known to others.
3. A ticket reference in the subject, ``[#123]``, only when the sender is that ticket's
   requester (anyone can type a number).

Otherwise the message starts a new ticket. A match on a merged ticket is followed to the ticket it
was merged into (``helpdesk.merged``).

Spoofing. 2 and 3 rest on the From address, which anyone can write. So such a match is trusted
only when the receiving server's checks (``authentication``) do not speak against the sender:

- verdict ``pass``: trusted;
- verdict ``fail``: not trusted;
- verdict ``none`` (no header, or nothing decisive): trusted, unless mail from this address has
  passed before (``inbound_messages.auth_verdict``): their domain signs its mail, so mail in
  their name that does not is more likely forged than theirs.

An untrusted match is not added to the ticket and does not reopen it: the intake opens a new
ticket linked to it (``tickets.related_ticket_id``) with a note on both, for an agent to merge.
1 needs no such check: knowing one of our random Message-IDs means having received our mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.email.mail_in.authentication import Authentication, AuthVerdict
from helpdesk.email.mail_in.parser import ParsedMail
from helpdesk.email.models import InboundMessage, OutboxMessage
from helpdesk.merged import merge_target
from helpdesk.models import Ticket

TICKET_REFERENCE = re.compile(r"\[#(\d{1,12})\]")


class ThreadedBy(StrEnum):
    OUR_MESSAGE_ID = "our_message_id"
    THEIR_MESSAGE_ID = "their_message_id"
    SUBJECT_REFERENCE = "subject_reference"


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket
    by: ThreadedBy
    # False: the match rests on a From address the receiving server's checks speak against.
    trusted: bool = True


def sender_trusted(session: Session, from_address: str, authentication: Authentication | None) -> bool:
    """Whether mail from ``from_address`` with this verdict may thread by the address (module doc)."""
    verdict = authentication.verdict if authentication is not None else AuthVerdict.NONE
    if verdict == AuthVerdict.PASS:
        return True
    if verdict == AuthVerdict.FAIL:
        return False
    passed_before = session.scalar(
        select(InboundMessage.id)
        .where(InboundMessage.from_address == from_address, InboundMessage.auth_verdict == AuthVerdict.PASS)
        .limit(1)
    )
    return passed_before is None


def _candidate_ids(parsed: ParsedMail) -> list[str]:
    ordered = [*parsed.in_reply_to, *reversed(parsed.references)]
    return list(dict.fromkeys(ordered))[:50]


def find_ticket(
    session: Session, parsed: ParsedMail, authentication: Authentication | None = None
) -> ThreadMatch | None:
    """The ticket this message belongs to, if any; ``trusted`` says whether it may be added to it."""
    match = _find(session, parsed)
    if match is None:
        return None
    # A merged ticket's mail goes where its conversation went (helpdesk.merge); whether the sender
    # may thread was decided on the ticket they wrote to.
    match = ThreadMatch(merge_target(session, match.ticket), match.by, match.trusted)
    if match.by == ThreadedBy.OUR_MESSAGE_ID:
        return match
    return ThreadMatch(match.ticket, match.by, trusted=sender_trusted(session, parsed.from_address, authentication))


def _find(session: Session, parsed: ParsedMail) -> ThreadMatch | None:
    candidates = _candidate_ids(parsed)
    if candidates:
        ours = dict(
            session.execute(
                select(OutboxMessage.message_id, OutboxMessage.ticket_id).where(
                    OutboxMessage.message_id.in_(candidates), OutboxMessage.ticket_id.is_not(None)
                )
            ).all()
        )
        for message_id in candidates:
            if message_id in ours and (ticket := session.get(Ticket, ours[message_id])) is not None:
                return ThreadMatch(ticket, ThreadedBy.OUR_MESSAGE_ID)
        theirs = dict(
            session.execute(
                select(InboundMessage.message_id, InboundMessage.ticket_id).where(
                    InboundMessage.message_id.in_(candidates), InboundMessage.ticket_id.is_not(None)
                )
            ).all()
        )
        for message_id in candidates:
            if message_id in theirs:
                ticket = session.get(Ticket, theirs[message_id])
                if ticket is not None and ticket.requester.email == parsed.from_address:
                    return ThreadMatch(ticket, ThreadedBy.THEIR_MESSAGE_ID)
    for match in TICKET_REFERENCE.finditer(parsed.subject):
        ticket = session.get(Ticket, int(match.group(1)))
        if ticket is not None and ticket.requester.email == parsed.from_address:
            return ThreadMatch(ticket, ThreadedBy.SUBJECT_REFERENCE)
    return None
