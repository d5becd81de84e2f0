"""Forum API: read threads (anyone), ask, reply, vote, accept (members), moderate (agents).

Members authenticate with their bearer token (customer or agent). Hidden and pending posts
answer 404 to those who may not see them, so ids leak nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accounts.service import Principal
from aftercare.config import Settings
from kb.forum import access, moderation, promotion, reading, threads, votes
from kb.forum.badges import badges_for
from kb.forum.models import PostStatus
from kb.forum.schemas import (
    ArticleLink,
    AuthorRead,
    CategoryRead,
    DuplicateLink,
    FlagCreate,
    FlagRead,
    FlagResolve,
    ModerationAction,
    ModerationNote,
    ModerationQueueRead,
    QueuedPost,
    ReplyCreate,
    ReplyRead,
    ReplyUpdate,
    RevisionRead,
    SimilarThreadRead,
    ThreadCreate,
    ThreadPage,
    ThreadRead,
    ThreadSummary,
    ThreadUpdate,
    TicketLink,
    TicketPublish,
    VoteCast,
)
from kb.forum.similar import similar_threads
from web import ratelimit
from web.deps import ApiPrincipal, AppSettings, DbSession, StaffPrincipal
from web.openapi import error_responses

router = APIRouter(prefix="/api/v1/forum", tags=["forum"])

# Besides what web.openapi derives from a route's signature: a member acting on someone else's
# post (403), and a post or thread whose state does not allow it (409: locked, already hidden...).
CONFLICT = error_responses(409)
FORBIDDEN = error_responses(403)
FORBIDDEN_OR_CONFLICT = error_responses(403, 409)
# Posting counts against the member's limit.
LIMITED = error_responses(409, 429)


def hit_post_limit(settings: Settings, principal: Principal) -> None:
    """Count one post against the member's limit; moderators are not limited."""
    user = access.require_member(principal)
    if access.is_moderator(principal):
        return
    ratelimit.hit(settings.rate_limit_storage_url, settings.forum_post_rate_limit, "forum:post", str(user.id))


# --- conversions -------------------------------------------------------------------------------


def author_read(author: reading.Author) -> AuthorRead:
    return AuthorRead(id=author.id, name=author.name, badges=[str(badge) for badge in author.badges])


def reply_read(item: reading.ReplyDetail) -> ReplyRead:
    reply = item.reply
    return ReplyRead(
        id=reply.id,
        thread_id=reply.thread_id,
        body=reply.body,
        body_html=str(reading.render_body(reply.body)),
        author=author_read(item.author),
        score=item.score,
        my_vote=item.my_vote,
        accepted=item.accepted,
        status=PostStatus(reply.status),
        created_at=reply.created_at,
        updated_at=reply.updated_at,
    )


def _category_read(thread) -> CategoryRead | None:
    return CategoryRead.model_validate(thread.category) if thread.category is not None else None


def summary_read(item: reading.ThreadListItem) -> ThreadSummary:
    thread = item.thread
    return ThreadSummary(
        id=thread.id,
        title=thread.title,
        author=author_read(item.author),
        category=_category_read(thread),
        language=thread.language,
        tags=thread.tags,
        status=PostStatus(thread.status),
        locked=thread.is_locked,
        reply_count=item.reply_count,
        views=item.views,
        answered=item.answered,
        duplicate_of_id=thread.duplicate_of_id,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
    )


def thread_read(detail: reading.ThreadDetail, principal: Principal) -> ThreadRead:
    thread = detail.thread
    staff = access.is_moderator(principal)
    return ThreadRead(
        id=thread.id,
        title=thread.title,
        author=author_read(detail.author),
        category=_category_read(thread),
        language=thread.language,
        tags=thread.tags,
        status=PostStatus(thread.status),
        locked=thread.is_locked,
        reply_count=detail.reply_count,
        views=detail.views,
        answered=detail.accepted_reply_id is not None,
        duplicate_of_id=detail.duplicate_of.id if detail.duplicate_of is not None else None,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
        body=thread.body,
        body_html=str(reading.render_body(thread.body)),
        accepted_reply_id=detail.accepted_reply_id,
        ticket_id=thread.ticket_id if staff else None,
        promoted_article_id=thread.promoted_article_id if staff else None,
        replies=[reply_read(item) for item in detail.replies],
    )


def _read_thread(session, thread_id: int, principal: Principal) -> ThreadRead:
    thread = access.get_thread_for(session, thread_id, principal)
    return thread_read(reading.thread_detail(session, thread, principal), principal)


def _queued(session, item: moderation.QueueItem) -> QueuedPost:
    post = item.post
    badges = badges_for(session, [post.author])
    return QueuedPost(
        thread_id=item.thread.id,
        reply_id=item.reply.id if item.reply is not None else None,
        title=item.thread.title,
        body=post.body,
        author=author_read(reading.author_of(post.author, badges)),
        status=PostStatus(post.status),
        created_at=post.created_at,
        flags=[FlagRead.model_validate(flag) for flag in item.flags],
    )


# --- reading -----------------------------------------------------------------------------------


@router.get("/categories", response_model=list[CategoryRead])
def list_categories(session: DbSession) -> list[CategoryRead]:
    return [CategoryRead.model_validate(category) for category in threads.list_categories(session)]


@router.get("/threads", response_model=ThreadPage)
def list_threads(
    session: DbSession,
    principal: ApiPrincipal,
    category: Annotated[str | None, Query(max_length=80)] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    unanswered: bool = False,
    status: PostStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=reading.MAX_PAGE_SIZE)] = 25,
) -> ThreadPage:
    filters = reading.ThreadFilters(category=category, tag=tag, language=language, unanswered=unanswered, status=status)
    items, total = reading.list_threads(session, principal, filters, page=page, page_size=page_size)
    return ThreadPage(items=[summary_read(item) for item in items], page=page, page_size=page_size, total=total)


@router.get("/threads/{thread_id}", response_model=ThreadRead)
def get_thread(thread_id: int, session: DbSession, principal: ApiPrincipal) -> ThreadRead:
    # Views are counted on the portal page only: API reads are often machines (sync, bots).
    return _read_thread(session, thread_id, principal)


@router.get("/similar", response_model=list[SimilarThreadRead])
def similar(
    session: DbSession,
    title: Annotated[str, Query(max_length=300)] = "",
    body: Annotated[str, Query(max_length=2000)] = "",
) -> list[SimilarThreadRead]:
    return [
        SimilarThreadRead(id=s.id, title=s.title, answered=s.answered) for s in similar_threads(session, title, body)
    ]


@router.get("/threads/{thread_id}/history", response_model=list[RevisionRead], responses=FORBIDDEN)
def thread_history(thread_id: int, session: DbSession, principal: ApiPrincipal) -> list[RevisionRead]:
    access.require_member(principal)
    thread = access.get_thread_for(session, thread_id, principal)
    return [RevisionRead.model_validate(r) for r in threads.revisions(session, thread, None, principal)]


@router.get("/replies/{reply_id}/history", response_model=list[RevisionRead], responses=FORBIDDEN)
def reply_history(reply_id: int, session: DbSession, principal: ApiPrincipal) -> list[RevisionRead]:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    return [RevisionRead.model_validate(r) for r in threads.revisions(session, reply.thread, reply, principal)]


# --- writing -----------------------------------------------------------------------------------


@router.post("/threads", status_code=201, response_model=ThreadRead, responses=error_responses(429))
def create_thread(data: ThreadCreate, session: DbSession, settings: AppSettings, principal: ApiPrincipal) -> ThreadRead:
    hit_post_limit(settings, principal)
    thread = threads.create_thread(session, data, principal)
    return _read_thread(session, thread.id, principal)


@router.patch("/threads/{thread_id}", response_model=ThreadRead, responses=FORBIDDEN_OR_CONFLICT)
def edit_thread(thread_id: int, data: ThreadUpdate, session: DbSession, principal: ApiPrincipal) -> ThreadRead:
    access.require_member(principal)
    thread = access.get_thread_for(session, thread_id, principal)
    threads.edit_thread(session, thread, data, principal)
    return _read_thread(session, thread.id, principal)


@router.post("/threads/{thread_id}/replies", status_code=201, response_model=ReplyRead, responses=LIMITED)
def add_reply(
    thread_id: int, data: ReplyCreate, session: DbSession, settings: AppSettings, principal: ApiPrincipal
) -> ReplyRead:
    access.require_member(principal)
    thread = access.get_thread_for(session, thread_id, principal)
    hit_post_limit(settings, principal)
    reply = threads.add_reply(session, thread, data, principal)
    return reply_read(reading.reply_detail(session, reply, principal))


@router.patch("/replies/{reply_id}", response_model=ReplyRead, responses=FORBIDDEN_OR_CONFLICT)
def edit_reply(reply_id: int, data: ReplyUpdate, session: DbSession, principal: ApiPrincipal) -> ReplyRead:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    threads.edit_reply(session, reply, data, principal)
    return reply_read(reading.reply_detail(session, reply, principal))


@router.post("/replies/{reply_id}/vote", response_model=ReplyRead, responses=FORBIDDEN_OR_CONFLICT)
def vote(reply_id: int, data: VoteCast, session: DbSession, principal: ApiPrincipal) -> ReplyRead:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    votes.cast_vote(session, reply, data.value, principal)
    return reply_read(reading.reply_detail(session, reply, principal))


@router.post("/replies/{reply_id}/accept", response_model=ThreadRead, responses=FORBIDDEN_OR_CONFLICT)
def accept(reply_id: int, session: DbSession, principal: ApiPrincipal) -> ThreadRead:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    votes.accept_reply(session, reply, principal)
    return _read_thread(session, reply.thread_id, principal)


@router.delete("/replies/{reply_id}/accept", response_model=ThreadRead, responses=FORBIDDEN_OR_CONFLICT)
def unaccept(reply_id: int, session: DbSession, principal: ApiPrincipal) -> ThreadRead:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    votes.unaccept_reply(session, reply, principal)
    return _read_thread(session, reply.thread_id, principal)


@router.post("/replies/{reply_id}/unaccept", response_model=ThreadRead, responses=FORBIDDEN_OR_CONFLICT)
def unaccept_post(reply_id: int, session: DbSession, principal: ApiPrincipal) -> ThreadRead:
    """The same as ``DELETE /replies/{id}/accept``, for clients that only POST."""
    return unaccept(reply_id, session, principal)


@router.post("/threads/{thread_id}/flag", status_code=201, response_model=FlagRead, responses=LIMITED)
def flag_thread(
    thread_id: int, data: FlagCreate, session: DbSession, settings: AppSettings, principal: ApiPrincipal
) -> FlagRead:
    access.require_member(principal)
    thread = access.get_thread_for(session, thread_id, principal)
    hit_post_limit(settings, principal)
    return FlagRead.model_validate(moderation.flag_post(session, thread, principal, data.reason, data.note))


@router.post("/replies/{reply_id}/flag", status_code=201, response_model=FlagRead, responses=LIMITED)
def flag_reply(
    reply_id: int, data: FlagCreate, session: DbSession, settings: AppSettings, principal: ApiPrincipal
) -> FlagRead:
    access.require_member(principal)
    reply = access.get_reply_for(session, reply_id, principal)
    hit_post_limit(settings, principal)
    return FlagRead.model_validate(moderation.flag_post(session, reply, principal, data.reason, data.note))


# --- moderation (agents) -------------------------------------------------------------------------


def _thread_action(thread) -> ModerationAction:
    return ModerationAction(thread_id=thread.id, status=PostStatus(thread.status), locked=thread.is_locked)


def _reply_action(reply) -> ModerationAction:
    return ModerationAction(
        thread_id=reply.thread_id, reply_id=reply.id, status=PostStatus(reply.status), locked=reply.thread.is_locked
    )


@router.get("/moderation/queue", response_model=ModerationQueueRead)
def moderation_queue(session: DbSession, principal: StaffPrincipal) -> ModerationQueueRead:
    queue = moderation.moderation_queue(session, principal)
    return ModerationQueueRead(
        pending=[_queued(session, item) for item in queue.pending],
        flagged=[_queued(session, item) for item in queue.flagged],
    )


@router.post("/threads/{thread_id}/hide", response_model=ModerationAction, responses=CONFLICT)
def hide_thread(
    thread_id: int, session: DbSession, principal: StaffPrincipal, data: ModerationNote | None = None
) -> ModerationAction:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.hide_post(session, thread, principal, note=data.note if data else None)
    return _thread_action(thread)


@router.post("/threads/{thread_id}/restore", response_model=ModerationAction, responses=CONFLICT)
def restore_thread(
    thread_id: int, session: DbSession, principal: StaffPrincipal, data: ModerationNote | None = None
) -> ModerationAction:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.restore_post(session, thread, principal, note=data.note if data else None)
    return _thread_action(thread)


@router.post("/threads/{thread_id}/approve", response_model=ModerationAction, responses=CONFLICT)
def approve_thread(thread_id: int, session: DbSession, principal: StaffPrincipal) -> ModerationAction:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.approve_post(session, thread, principal)
    return _thread_action(thread)


@router.post("/threads/{thread_id}/lock", response_model=ModerationAction, responses=CONFLICT)
def lock_thread(thread_id: int, session: DbSession, principal: StaffPrincipal) -> ModerationAction:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.lock_thread(session, thread, principal)
    return _thread_action(thread)


@router.post("/threads/{thread_id}/unlock", response_model=ModerationAction, responses=CONFLICT)
def unlock_thread(thread_id: int, session: DbSession, principal: StaffPrincipal) -> ModerationAction:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.unlock_thread(session, thread, principal)
    return _thread_action(thread)


@router.post("/replies/{reply_id}/hide", response_model=ModerationAction, responses=CONFLICT)
def hide_reply(
    reply_id: int, session: DbSession, principal: StaffPrincipal, data: ModerationNote | None = None
) -> ModerationAction:
    reply = access.get_reply_for(session, reply_id, principal)
    moderation.hide_post(session, reply, principal, note=data.note if data else None)
    return _reply_action(reply)


@router.post("/replies/{reply_id}/restore", response_model=ModerationAction, responses=CONFLICT)
def restore_reply(
    reply_id: int, session: DbSession, principal: StaffPrincipal, data: ModerationNote | None = None
) -> ModerationAction:
    reply = access.get_reply_for(session, reply_id, principal)
    moderation.restore_post(session, reply, principal, note=data.note if data else None)
    return _reply_action(reply)


@router.post("/replies/{reply_id}/approve", response_model=ModerationAction, responses=CONFLICT)
def approve_reply(reply_id: int, session: DbSession, principal: StaffPrincipal) -> ModerationAction:
    reply = access.get_reply_for(session, reply_id, principal)
    moderation.approve_post(session, reply, principal)
    return _reply_action(reply)


@router.post("/flags/{flag_id}/resolve", response_model=FlagRead, responses=CONFLICT)
def resolve_flag(flag_id: int, data: FlagResolve, session: DbSession, principal: StaffPrincipal) -> FlagRead:
    return FlagRead.model_validate(moderation.resolve_flag(session, flag_id, data.resolution, principal))


@router.put("/threads/{thread_id}/duplicate-of", response_model=ThreadRead)
def link_duplicate(thread_id: int, data: DuplicateLink, session: DbSession, principal: StaffPrincipal) -> ThreadRead:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.link_duplicate(session, thread, data.duplicate_of, principal)
    return _read_thread(session, thread.id, principal)


@router.delete("/threads/{thread_id}/duplicate-of", response_model=ThreadRead, responses=CONFLICT)
def unlink_duplicate(thread_id: int, session: DbSession, principal: StaffPrincipal) -> ThreadRead:
    thread = access.get_thread_for(session, thread_id, principal)
    moderation.unlink_duplicate(session, thread, principal)
    return _read_thread(session, thread.id, principal)


# --- promotion (agents) ------------------------------------------------------------------------


@router.post("/threads/{thread_id}/ticket", status_code=201, response_model=TicketLink, responses=CONFLICT)
def thread_to_ticket(thread_id: int, session: DbSession, principal: StaffPrincipal) -> TicketLink:
    thread = access.get_thread_for(session, thread_id, principal)
    ticket = promotion.thread_to_ticket(session, thread, principal)
    return TicketLink(thread_id=thread.id, ticket_id=ticket.id)


@router.post("/threads/{thread_id}/promote", status_code=201, response_model=ArticleLink, responses=CONFLICT)
def promote(thread_id: int, session: DbSession, principal: StaffPrincipal) -> ArticleLink:
    thread = access.get_thread_for(session, thread_id, principal)
    article = promotion.promote_accepted_answer(session, thread, principal)
    return ArticleLink(thread_id=thread.id, article_id=article.id)


@router.post("/from-ticket/{ticket_id}", status_code=201, response_model=ThreadRead, responses=CONFLICT)
def publish_ticket(
    ticket_id: int, session: DbSession, principal: StaffPrincipal, data: TicketPublish | None = None
) -> ThreadRead:
    thread = promotion.publish_ticket(session, ticket_id, principal, category=data.category if data else None)
    return _read_thread(session, thread.id, principal)
