"""Builders for forum test data: members, categories, threads and replies that skip first-post review."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from accounts.models import User
from accounts.service import Principal, principal_for_user
from kb.forum import moderation, threads
from kb.forum.models import ForumReply, ForumThread, PostStatus
from kb.forum.schemas import ReplyCreate, ThreadCreate
from tests.factories import create_customer_user, create_staff

_counter = itertools.count(1)


def member(session: Session, **overrides: Any) -> Principal:
    """A customer account that has already passed first-post review (its posts go straight up)."""
    user = create_customer_user(session, **overrides)
    trust(session, user)
    return principal_for_user(user)


def newcomer(session: Session, **overrides: Any) -> Principal:
    """A customer account without any published post: its posts wait for review."""
    return principal_for_user(create_customer_user(session, **overrides))


def agent(session: Session, **overrides: Any) -> Principal:
    return principal_for_user(create_staff(session, **overrides))


def trust(session: Session, user: User) -> None:
    # A published post is what ends first-post review; write one directly, like an approval would.
    thread = ForumThread(
        title=f"Introduction {next(_counter)}",
        body="Hello everyone.",
        author=user,
        language="en",
        language_confidence=1.0,
        language_source="given",
        status=PostStatus.PUBLISHED,
    )
    session.add(thread)
    session.flush()


def create_category(session: Session, slug: str = "thermostats", name: str = "Thermostats"):
    return threads.ensure_category(session, slug, name, "Nimbus thermostat questions")


def create_thread(session: Session, principal: Principal | None = None, **overrides: Any) -> ForumThread:
    principal = principal or member(session)
    values: dict[str, Any] = {
        "title": f"Thermostat shows offline after router change {next(_counter)}",
        "body": "I replaced my router yesterday and now the thermostat app says the device is offline.",
    }
    values.update(overrides)
    return threads.create_thread(session, ThreadCreate(**values), principal)


def create_reply(
    session: Session, thread: ForumThread, principal: Principal | None = None, body: str | None = None
) -> ForumReply:
    principal = principal or member(session)
    body = body or "Hold the dial for ten seconds, then join the new network from the app."
    return threads.add_reply(session, thread, ReplyCreate(body=body), principal)


def approve(session: Session, post: ForumThread | ForumReply) -> None:
    moderation.approve_post(session, post, agent(session))
