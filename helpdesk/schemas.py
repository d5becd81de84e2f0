"""Request and response shapes of the help desk API (named by role, never after ORM classes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from accounts.models import Role
from helpdesk.models import MessageKind, TicketChannel, TicketPriority, TicketStatus
from retrieval.language import normalize_language_tag

MAX_SUBJECT_CHARS = 300
MAX_BODY_CHARS = 50_000
MAX_NAME_CHARS = 200
MAX_TAGS = 20


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def _language_tag(value: str) -> str:
    tag = normalize_language_tag(value)
    if tag is None:
        raise ValueError(f"{value!r} is not a language tag such as 'en', 'pl' or 'pt-BR'")
    return tag


def _tag(value: str) -> str:
    cleaned = value.strip().lower()
    if not cleaned:
        raise ValueError("tags must not be empty")
    return cleaned


# Text is stored exactly as given (no trimming inside, any script); only emptiness is refused.
Subject = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SUBJECT_CHARS), AfterValidator(_not_blank)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS), AfterValidator(_not_blank)]
PersonName = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS, strip_whitespace=True)]
# The one input type of a language, for tickets, macros and articles alike: whatever spelling
# retrieval.language understands ("pt-BR", "pl_PL", "fil"), kept as its ISO 639-1 code. 35
# characters hold any real BCP 47 tag (RFC 5646, 4.4.1) and keep a pasted paragraph out of the
# error message.
LanguageTag = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language_tag)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_tag)]


class StrictInput(BaseModel):
    # Unknown fields are refused so that a typo ("subjet") is an error, not a silent loss.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class TicketCreate(StrictInput):
    customer_email: EmailStr
    customer_name: PersonName | None = None
    subject: Subject
    body: Body
    language: LanguageTag | None = None


class TicketUpdate(StrictInput):
    status: TicketStatus | None = None
    assignee_id: int | None = None
    priority: TicketPriority | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)


class MessageCreate(StrictInput):
    body: Body
    kind: MessageKind = MessageKind.PUBLIC_REPLY
    # Optional status change applied with the reply ("send and set pending").
    status: TicketStatus | None = None
    # The newest message the writer had seen: newer ones by others refuse it (409, helpdesk.presence).
    seen_message_id: int | None = Field(
        default=None, ge=0, description="newest message id you had seen; newer messages by others answer 409"
    )


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    language: str | None


class UserSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MessageKind
    body: str
    channel: TicketChannel
    author_name: str
    author_user_id: int | None
    author_customer_id: int | None
    created_at: datetime


class TicketEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    field: str
    old_value: str | None
    new_value: str | None
    actor_user_id: int | None
    actor_customer_id: int | None
    created_at: datetime


class TicketSlaRead(BaseModel):
    """The ticket's SLA clock (helpdesk.operations.sla); all null when no policy applies."""

    model_config = ConfigDict(from_attributes=True)

    policy_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    breached: bool = Field(description="a target was missed (first response or resolution)")


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    status: TicketStatus
    priority: TicketPriority
    channel: TicketChannel
    language: str
    language_confidence: float
    language_source: str
    requester: CustomerRead
    assignee: UserSummary | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    solved_at: datetime | None
    closed_at: datetime | None
    # The ticket this one may belong to (mail that named it but failed the sender checks).
    related_ticket_id: int | None = None
    # Set while this ticket is merged into that one (its conversation is there).
    merged_into_id: int | None = None
    # The team routing (or an agent) gave it, and its SLA clock (helpdesk.operations).
    team_id: int | None = None
    sla: TicketSlaRead | None = None


class TicketRead(TicketSummary):
    messages: list[MessageRead]
    events: list[TicketEventRead] = []


class TicketCreated(TicketRead):
    # The signed link that lets the requester follow this one ticket without an account.
    access_url: str


class TicketReceipt(BaseModel):
    """What an intake that has not shown it owns the address learns (``helpdesk.service`` doc).

    The number and status of the ticket, and the language detected from the text it sent (the
    customer record's stored language plays no part in it for such an intake). Nothing about the
    customer, no thread, and no signed link: ``access_url`` is always null and the link goes by
    e-mail to the address given (``confirmation_sent_to``; null when no e-mail was queued, e.g.
    that address had its day's confirmations already).
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: TicketStatus
    channel: TicketChannel
    language: str
    language_confidence: float
    language_source: str
    created_at: datetime
    access_url: None = None
    confirmation_sent_to: str | None = None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    page: int
    page_size: int
    total: int


class TicketSearchHit(TicketSummary):
    score: float = Field(description="relevance; higher is better, comparable only within one search")
    highlight: str = Field(
        description="HTML: a passage of the ticket's text, escaped, with the words that matched in <mark>"
    )


class TicketSearchPage(BaseModel):
    """One page of a full-text search (``q``), best match first; the next page is ``cursor=next_cursor``."""

    items: list[TicketSearchHit]
    total: int
    total_capped: bool = Field(
        default=False, description="more tickets match than are ranked: `total` counts the most recent of them"
    )
    next_cursor: str | None
    facets: dict[TicketStatus, int] = Field(description="matching tickets by status, the other filters applied")


class TicketLinksRevoked(BaseModel):
    ticket_id: int
    new_link_sent: bool = Field(description="whether a new link was e-mailed to the ticket's requester")


# --- Bulk actions and merge (helpdesk.bulk, helpdesk.merge).

MAX_BULK_TICKETS = 100


class TicketBulkUpdate(StrictInput):
    """One change to many tickets. A field left out changes nothing; ``assignee_id: null`` unassigns."""

    ticket_ids: list[int] = Field(min_length=1, max_length=MAX_BULK_TICKETS)
    assignee_id: int | None = Field(default=None, description="an agent's id; null (given) unassigns; omit to keep")
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class BulkOutcomeRead(BaseModel):
    ticket_id: int
    changed: list[str] = Field(description="the fields this ticket had changed (status, assignee, priority, tags)")
    refused: str | None = Field(description="why nothing was changed on this ticket; null when it was not refused")


class BulkSummaryRead(BaseModel):
    changed: int = Field(description="tickets changed")
    unchanged: int = Field(description="tickets that already were as asked")
    refused: int = Field(description="tickets left as they were, each with its reason")
    results: list[BulkOutcomeRead]


class TicketMergeCreate(StrictInput):
    into_id: int
    force: bool = Field(
        default=False,
        description="confirm merging tickets of different requesters (the source's requester then writes into "
        "a ticket of someone else); refused without it",
    )


class TicketMergeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: int
    target_id: int
    message_ids: list[int]
    attachment_ids: list[int]
    created_at: datetime
    undone_at: datetime | None
