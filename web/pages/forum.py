"""Community forum pages in the portal: browse, ask (with similar threads), reply, vote, accept, moderate.

Every POST carries the CSRF token. Voting, replying and accepting answer htmx requests with one
block of the same template they render as a whole page (``render(..., block=...)``); without
JavaScript the same forms post normally and are redirected back to the thread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from accounts.service import Principal
from aftercare.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotAuthenticated,
    RateLimited,
    ValidationFailed,
)
from kb.forum import access, moderation, promotion, reading, threads, votes
from kb.forum.models import FlagReason, FlagResolution, ForumReply, ForumThread
from kb.forum.schemas import ReplyCreate, ReplyUpdate, ThreadCreate, ThreadUpdate
from kb.forum.similar import similar_threads
from web import i18n
from web.api.forum import hit_post_limit
from web.csrf import verify_csrf
from web.deps import AppSettings, DbSession, PagePrincipal
from web.i18n import N_
from web.pages.auth import safe_next
from web.pages.forms import localized_field_errors
from web.templating import is_htmx, render

router = APIRouter(prefix="/forum", include_in_schema=False)
PAGE_SIZE = 20
# Outcomes of a report, shown on the thread page after the redirect (POST, redirect, GET).
_FLAG_NOTICES = {
    "sent": N_("Thank you. A moderator will look at this post."),
    "repeat": N_("You have already reported this post."),
    "invalid": N_("Choose a reason for the report."),
    "slow": N_("You are posting very quickly. Please wait a minute and try again."),
}


def _require_page_member(principal: PagePrincipal) -> Principal:
    access.require_member(principal)
    return principal


def _require_page_moderator(principal: PagePrincipal) -> Principal:
    access.require_moderator(_require_page_member(principal))
    return principal


PageMember = Annotated[Principal, Depends(_require_page_member)]
PageModerator = Annotated[Principal, Depends(_require_page_moderator)]
Csrf = [Depends(verify_csrf)]


def _render(request: Request, template: str, context: dict[str, Any], **kwargs: Any) -> Response:
    # Bodies are Markdown, rendered and sanitised by the knowledge base's renderer.
    return render(request, template, {"markdown": reading.render_body, **context}, **kwargs)


def _gettext(request: Request, message: str, **values: Any) -> str:
    text = i18n.translator(request).gettext(message)
    return text % values if values else text


def _error_message(request: Request, error: DomainError) -> str:
    if isinstance(error, RateLimited):
        return _gettext(
            request,
            "You are posting very quickly. Please wait %(seconds)s seconds and try again.",
            seconds=error.retry_after,
        )
    if isinstance(error, threads.ThreadLocked):
        return _gettext(request, "This thread is locked: it takes no new replies.")
    return error.message


def _back(default: str, next_url: str = "") -> Response:
    return RedirectResponse(safe_next(next_url, default), status_code=303)


# --- browsing ----------------------------------------------------------------------------------


def _listing(
    request: Request,
    session,
    principal: Principal,
    *,
    category=None,
    tag: str = "",
    language: str = "",
    unanswered: bool = False,
    page: int = 1,
) -> Response:
    filters = reading.ThreadFilters(
        category=category.slug if category is not None else None,
        tag=tag or None,
        language=language or None,
        unanswered=unanswered,
    )
    items, total = reading.list_threads(session, principal, filters, page=page, page_size=PAGE_SIZE)
    context = {
        "items": items,
        "total": total,
        "page": page,
        "page_size": PAGE_SIZE,
        "category": category,
        "categories": threads.list_categories(session),
        "filters": {"tag": tag, "language": language, "unanswered": unanswered},
        "languages": request.app.state.settings.languages,
    }
    return _render(request, "forum/index.html", context, block="results")


@router.get("")
def forum_home(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    tag: Annotated[str, Query(max_length=64)] = "",
    language: Annotated[str, Query(max_length=16)] = "",
    unanswered: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _listing(request, session, principal, tag=tag, language=language, unanswered=unanswered, page=page)


@router.get("/c/{slug}")
def category_page(
    slug: str,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    tag: Annotated[str, Query(max_length=64)] = "",
    language: Annotated[str, Query(max_length=16)] = "",
    unanswered: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    category = threads.get_category(session, slug)
    return _listing(
        request, session, principal, category=category, tag=tag, language=language, unanswered=unanswered, page=page
    )


def _thread_context(session, thread: ForumThread, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"detail": reading.thread_detail(session, thread, principal), "errors": {}, "draft": "", **extra}


@router.get("/t/{thread_id}")
def thread_page(
    thread_id: int,
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    flag: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    threads.record_view(session, thread, principal)
    notice = _gettext(request, _FLAG_NOTICES[flag]) if flag in _FLAG_NOTICES else None
    return _render(request, "forum/thread.html", _thread_context(session, thread, principal, notice=notice))


def _replies_response(
    request: Request, session, thread: ForumThread, principal: Principal, *, status_code: int = 200, **extra: Any
) -> Response:
    return _render(
        request,
        "forum/thread.html",
        _thread_context(session, thread, principal, **extra),
        block="replies",
        status_code=status_code,
    )


# --- asking ------------------------------------------------------------------------------------


def _new_context(session, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "categories": threads.list_categories(session),
        "similar": similar_threads(session, values.get("title", ""), values.get("body", "")),
    }


@router.get("/new")
def new_thread_page(
    request: Request,
    session: DbSession,
    principal: PagePrincipal,
    title: Annotated[str, Query(max_length=300)] = "",
    body: Annotated[str, Query(max_length=2000)] = "",
    category: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    # htmx asks for the "similar threads" block while the title is typed; anyone may look.
    if principal.user is None and not is_htmx(request):
        raise NotAuthenticated("sign in to ask the community")
    values = {"title": title, "body": body, "category": category, "tags": ""}
    return _render(request, "forum/new.html", _new_context(session, values, {}), block="similar")


def _split_tags(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@router.post("/new", dependencies=Csrf)
def new_thread_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageMember,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
) -> Response:
    values = {"title": title, "body": body, "category": category, "tags": tags}
    try:
        data = ThreadCreate(title=title, body=body, category=category or None, tags=_split_tags(tags))
        hit_post_limit(settings, principal)
        thread = threads.create_thread(session, data, principal)
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _render(request, "forum/new.html", _new_context(session, values, errors), status_code=422)
    except DomainError as error:
        errors = {"form": _error_message(request, error)}
        return _render(request, "forum/new.html", _new_context(session, values, errors), status_code=error.status_code)
    return RedirectResponse(f"/forum/t/{thread.id}", status_code=303)


# --- replying, voting, accepting -----------------------------------------------------------------


@router.post("/t/{thread_id}/replies", dependencies=Csrf)
def reply_submit(
    thread_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageMember,
    body: Annotated[str, Form()] = "",
) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    try:
        data = ReplyCreate(body=body)
        hit_post_limit(settings, principal)
        threads.add_reply(session, thread, data, principal)
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _replies_response(request, session, thread, principal, errors=errors, draft=body, status_code=422)
    except (RateLimited, Conflict) as error:
        return _replies_response(
            request,
            session,
            thread,
            principal,
            errors={"body": _error_message(request, error)},
            draft=body,
            status_code=error.status_code,
        )
    if not is_htmx(request):
        return _back(f"/forum/t/{thread.id}#replies")
    return _replies_response(request, session, thread, principal, posted=True)


@router.post("/replies/{reply_id}/vote", dependencies=Csrf)
def vote_submit(
    reply_id: int,
    request: Request,
    session: DbSession,
    principal: PageMember,
    value: Annotated[int, Form(ge=-1, le=1)] = 0,
) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    votes.cast_vote(session, reply, value, principal)
    if not is_htmx(request):
        return _back(f"/forum/t/{reply.thread_id}#reply-{reply.id}")
    detail = reading.thread_detail(session, reply.thread, principal)
    item = next(item for item in detail.replies if item.reply.id == reply.id)
    return _render(
        request, "forum/thread.html", {"detail": detail, "item": item, "errors": {}, "draft": ""}, block="reply"
    )


@router.post("/replies/{reply_id}/accept", dependencies=Csrf)
def accept_submit(reply_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    votes.accept_reply(session, reply, principal)
    if not is_htmx(request):
        return _back(f"/forum/t/{reply.thread_id}#reply-{reply.id}")
    return _replies_response(request, session, reply.thread, principal)


@router.post("/replies/{reply_id}/unaccept", dependencies=Csrf)
def unaccept_submit(reply_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    votes.unaccept_reply(session, reply, principal)
    if not is_htmx(request):
        return _back(f"/forum/t/{reply.thread_id}#reply-{reply.id}")
    return _replies_response(request, session, reply.thread, principal)


# --- flags ---------------------------------------------------------------------------------------


def _flag(session, settings, principal: Principal, post, reason: str, note: str) -> Response:
    thread = post if isinstance(post, ForumThread) else post.thread
    anchor = "" if isinstance(post, ForumThread) else f"#reply-{post.id}"
    try:
        flag_reason = FlagReason(reason)
        hit_post_limit(settings, principal)
        moderation.flag_post(session, post, principal, flag_reason, note)
        outcome = "sent"
    except ValueError:
        outcome = "invalid"
    except RateLimited:
        outcome = "slow"
    except Conflict:
        outcome = "repeat"
    return RedirectResponse(f"/forum/t/{thread.id}?flag={outcome}{anchor}", status_code=303)


@router.post("/t/{thread_id}/flag", dependencies=Csrf)
def flag_thread(
    thread_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageMember,
    reason: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    return _flag(session, settings, principal, thread, reason, note)


@router.post("/replies/{reply_id}/flag", dependencies=Csrf)
def flag_reply(
    reply_id: int,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: PageMember,
    reason: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    return _flag(session, settings, principal, reply, reason, note)


# --- editing and history -------------------------------------------------------------------------


def _edit_page(
    request: Request,
    session,
    principal: Principal,
    thread: ForumThread,
    reply: ForumReply | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    if not access.can_edit(reply or thread, principal):
        raise Forbidden("only the author or a moderator can edit this post")
    context = {
        "thread": thread,
        "reply": reply,
        "values": values,
        "errors": errors,
        "categories": threads.list_categories(session),
    }
    return _render(request, "forum/edit.html", context, status_code=status_code)


@router.get("/t/{thread_id}/edit")
def edit_thread_page(thread_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    values = {
        "title": thread.title,
        "body": thread.body,
        "tags": ", ".join(thread.tags),
        "category": thread.category.slug if thread.category else "",
    }
    return _edit_page(request, session, principal, thread, None, values, {})


@router.post("/t/{thread_id}/edit", dependencies=Csrf)
def edit_thread_submit(
    thread_id: int,
    request: Request,
    session: DbSession,
    principal: PageMember,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    values = {"title": title, "body": body, "tags": tags, "category": category}
    try:
        data = ThreadUpdate(title=title, body=body, tags=_split_tags(tags), category=category or None)
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _edit_page(request, session, principal, thread, None, values, errors, 422)
    threads.edit_thread(session, thread, data, principal)
    return RedirectResponse(f"/forum/t/{thread.id}", status_code=303)


@router.get("/replies/{reply_id}/edit")
def edit_reply_page(reply_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    return _edit_page(request, session, principal, reply.thread, reply, {"body": reply.body}, {})


@router.post("/replies/{reply_id}/edit", dependencies=Csrf)
def edit_reply_submit(
    reply_id: int,
    request: Request,
    session: DbSession,
    principal: PageMember,
    body: Annotated[str, Form()] = "",
) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    try:
        data = ReplyUpdate(body=body)
    except ValidationError as error:
        errors = localized_field_errors(error, i18n.translator(request))
        return _edit_page(request, session, principal, reply.thread, reply, {"body": body}, errors, 422)
    threads.edit_reply(session, reply, data, principal)
    return RedirectResponse(f"/forum/t/{reply.thread_id}#reply-{reply.id}", status_code=303)


@router.get("/t/{thread_id}/history")
def thread_history(thread_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    revisions = threads.revisions(session, thread, None, principal)
    return _render(request, "forum/history.html", {"thread": thread, "reply": None, "revisions": revisions})


@router.get("/replies/{reply_id}/history")
def reply_history(reply_id: int, request: Request, session: DbSession, principal: PageMember) -> Response:
    reply = access.get_reply_for(session, reply_id, principal)
    revisions = threads.revisions(session, reply.thread, reply, principal)
    return _render(request, "forum/history.html", {"thread": reply.thread, "reply": reply, "revisions": revisions})


# --- moderation (agents) -------------------------------------------------------------------------


@router.get("/moderation")
def moderation_page(request: Request, session: DbSession, principal: PageModerator) -> Response:
    queue = moderation.moderation_queue(session, principal)
    badges = reading.badges_for(session, [item.post.author for item in [*queue.pending, *queue.flagged]])
    return _render(
        request,
        "forum/moderation.html",
        {
            "queue": queue,
            "author_of": lambda user: reading.author_of(user, badges),
        },
    )


_THREAD_ACTIONS = {
    "hide": moderation.hide_post,
    "restore": moderation.restore_post,
    "approve": moderation.approve_post,
    "lock": moderation.lock_thread,
    "unlock": moderation.unlock_thread,
}
_REPLY_ACTIONS = {
    "hide": moderation.hide_post,
    "restore": moderation.restore_post,
    "approve": moderation.approve_post,
}


@router.post("/t/{thread_id}/moderate", dependencies=Csrf)
def moderate_thread(
    thread_id: int,
    request: Request,
    session: DbSession,
    principal: PageModerator,
    action: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    handler = _THREAD_ACTIONS.get(action)
    if handler is None:
        raise ValidationFailed(f"unknown moderation action {action!r}; one of: {', '.join(_THREAD_ACTIONS)}")
    thread = access.get_thread_for(session, thread_id, principal)
    handler(session, thread, principal)
    return _back(f"/forum/t/{thread.id}", next)


@router.post("/replies/{reply_id}/moderate", dependencies=Csrf)
def moderate_reply(
    reply_id: int,
    request: Request,
    session: DbSession,
    principal: PageModerator,
    action: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    handler = _REPLY_ACTIONS.get(action)
    if handler is None:
        raise ValidationFailed(f"unknown moderation action {action!r}; one of: {', '.join(_REPLY_ACTIONS)}")
    reply = access.get_reply_for(session, reply_id, principal)
    handler(session, reply, principal)
    if is_htmx(request) and not next:
        return _replies_response(request, session, reply.thread, principal)
    return _back(f"/forum/t/{reply.thread_id}#replies", next)


@router.post("/flags/{flag_id}/resolve", dependencies=Csrf)
def resolve_flag(
    flag_id: int,
    request: Request,
    session: DbSession,
    principal: PageModerator,
    resolution: Annotated[FlagResolution, Form()],
) -> Response:
    moderation.resolve_flag(session, flag_id, resolution, principal)
    return _back("/forum/moderation")


@router.post("/t/{thread_id}/duplicate", dependencies=Csrf)
def duplicate_submit(
    thread_id: int,
    request: Request,
    session: DbSession,
    principal: PageModerator,
    duplicate_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    target = duplicate_of.strip().lstrip("#")
    if not target:
        moderation.unlink_duplicate(session, thread, principal)
    elif not target.isdigit():
        raise ValidationFailed("give the number of the original thread, such as 42")
    else:
        moderation.link_duplicate(session, thread, int(target), principal)
    return _back(f"/forum/t/{thread.id}")


@router.post("/t/{thread_id}/ticket", dependencies=Csrf)
def ticket_submit(thread_id: int, request: Request, session: DbSession, principal: PageModerator) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    ticket = promotion.thread_to_ticket(session, thread, principal)
    return RedirectResponse(f"/agent/tickets/{ticket.id}", status_code=303)


@router.post("/t/{thread_id}/promote", dependencies=Csrf)
def promote_submit(thread_id: int, request: Request, session: DbSession, principal: PageModerator) -> Response:
    thread = access.get_thread_for(session, thread_id, principal)
    promotion.promote_accepted_answer(session, thread, principal)
    return _back(f"/forum/t/{thread.id}")


@router.get("/publish-ticket/{ticket_id}")
def publish_ticket_page(ticket_id: int, request: Request, session: DbSession, principal: PageModerator) -> Response:
    publication = promotion.preview_ticket_publication(session, ticket_id, principal)
    return _render(
        request,
        "forum/publish_ticket.html",
        {
            "publication": publication,
            "categories": threads.list_categories(session),
        },
    )


@router.post("/publish-ticket/{ticket_id}", dependencies=Csrf)
def publish_ticket_submit(
    ticket_id: int,
    request: Request,
    session: DbSession,
    principal: PageModerator,
    category: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    thread = promotion.publish_ticket(session, ticket_id, principal, category=category or None)
    return RedirectResponse(f"/forum/t/{thread.id}", status_code=303)
