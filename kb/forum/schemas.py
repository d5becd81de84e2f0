"""Request and response shapes of the forum API (named by role)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from helpdesk.schemas import Body, LanguageTag, StrictInput, Subject, Tag
from kb.forum.models import FlagReason, FlagResolution, PostStatus

MAX_TAGS = 10
MAX_NOTE_CHARS = 500

CategorySlug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS)]


class ThreadCreate(StrictInput):
    title: Subject
    body: Body
    category: CategorySlug | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    # Given only when the asker knows better than detection (an API client with a UI language).
    language: LanguageTag = None


class ThreadUpdate(StrictInput):
    title: Subject | None = None
    body: Body | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    category: CategorySlug | None = None


class ReplyCreate(StrictInput):
    body: Body


class ReplyUpdate(StrictInput):
    body: Body


class VoteCast(StrictInput):
    # 0 retracts the vote.
    value: Literal[1, -1, 0]


class FlagCreate(StrictInput):
    reason: FlagReason
    note: Note = ""


class ModerationNote(StrictInput):
    note: Note | None = None


class FlagResolve(StrictInput):
    resolution: FlagResolution


class DuplicateLink(StrictInput):
    duplicate_of: int = Field(ge=1)


class TicketPublish(StrictInput):
    category: CategorySlug | None = None


class CategoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    description: str


class AuthorRead(BaseModel):
    id: int | None
    name: str
    # "agent" (staff role) and "expert" (enough accepted answers).
    badges: list[str]


class ReplyRead(BaseModel):
    id: int
    thread_id: int
    body: str
    # The body rendered to sanitised HTML, ready to show.
    body_html: str
    author: AuthorRead
    score: int
    # The caller's own vote: 1, -1 or 0.
    my_vote: int
    accepted: bool
    status: PostStatus
    created_at: datetime
    updated_at: datetime


class ThreadSummary(BaseModel):
    id: int
    title: str
    author: AuthorRead
    category: CategoryRead | None
    language: str
    tags: list[str]
    status: PostStatus
    locked: bool
    reply_count: int
    views: int
    answered: bool
    duplicate_of_id: int | None
    created_at: datetime
    updated_at: datetime


class ThreadRead(ThreadSummary):
    body: str
    body_html: str
    accepted_reply_id: int | None
    # Set for agents only: the ticket opened from this thread, the article promoted from it.
    ticket_id: int | None = None
    promoted_article_id: int | None = None
    replies: list[ReplyRead]


class ThreadPage(BaseModel):
    items: list[ThreadSummary]
    page: int
    page_size: int
    total: int


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    thread_id: int
    reply_id: int | None
    previous_title: str | None
    previous_body: str
    editor_id: int | None
    edited_at: datetime


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    thread_id: int
    reply_id: int | None
    user_id: int
    reason: FlagReason
    note: str
    created_at: datetime
    resolved_at: datetime | None
    resolution: FlagResolution | None


class QueuedPost(BaseModel):
    thread_id: int
    reply_id: int | None
    title: str
    body: str
    author: AuthorRead
    status: PostStatus
    created_at: datetime
    flags: list[FlagRead]


class ModerationQueueRead(BaseModel):
    # Posts held for first-post review, then posts with open flags.
    pending: list[QueuedPost]
    flagged: list[QueuedPost]


class SimilarThreadRead(BaseModel):
    id: int
    title: str
    answered: bool


class TicketLink(BaseModel):
    thread_id: int
    ticket_id: int


class ArticleLink(BaseModel):
    thread_id: int
    article_id: int


class ModerationAction(BaseModel):
    """What a moderation endpoint did (the post is not returned: it may now be invisible)."""

    thread_id: int
    reply_id: int | None = None
    status: PostStatus
    locked: bool


PostKind = Literal["thread", "reply"]
