"""Which ticket an inbound message belongs to.

1. ``In-Reply-To`` then ``References`` (newest first) against the Message-IDs Aftercare sent
   (outbox rows). Ours are random, so knowing one means having received our mail: any sender
   may thread with it (a colleague the customer forwarded our answer to, say).
2. The same headers against Message-IDs of mail we received for a ticket, but only from that
   ticket's requester: those ids were chosen by the sender and may be known to others.
3. A ticket reference in the subject, ``[#123]``, only when the sender is that ticket's
   requester (anyone can type a number).

Otherwise the message starts a new ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.models import Ticket
from workers.mail_in.parser import ParsedMail
from workers.models import InboundMessage, OutboxMessage

TICKET_REFERENCE = re.compile(r"\[#(\d{1,12})\]")


class ThreadedBy(StrEnum):
    OUR_MESSAGE_ID = "our_message_id"
    THEIR_MESSAGE_ID = "their_message_id"
    SUBJECT_REFERENCE = "subject_reference"


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket
    by: ThreadedBy


def _candidate_ids(parsed: ParsedMail) -> list[str]:
    ordered = [*parsed.in_reply_to, *reversed(parsed.references)]
    return list(dict.fromkeys(ordered))[:50]


def find_ticket(session: Session, parsed: ParsedMail) -> ThreadMatch | None:
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
