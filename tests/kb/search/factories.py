"""Builders for search tests: published articles about distinct topics, answered and unanswered threads."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kb.forum import votes
from kb.forum.models import ForumReply, ForumThread
from kb.models import Article, ArticleContent
from tests.kb.factories import add_translation, create_article
from tests.kb.forum.factories import agent, create_reply, create_thread, member

WIFI = {
    "title": "Reconnect the Nimbus thermostat to Wi-Fi",
    "body": "## Steps\n\n1. Open the Skyline app.\n2. Tap **Settings > Wi-Fi** on the thermostat.\n3. Choose your home network and enter the password.",
    "questions": ["Why does my thermostat keep going offline?", "How do I connect the thermostat to a new router?"],
    "slug": "nimbus-wifi",
}
WIFI_PL = {
    "locale": "pl",
    "title": "Ponowne łączenie termostatu Nimbus z Wi-Fi",
    "body": "## Kroki\n\n1. Otwórz aplikację Skyline.\n2. Na termostacie wybierz **Ustawienia > Wi-Fi**.\n3. Wybierz swoją sieć domową i wpisz hasło.",
    "questions": ["Dlaczego mój termostat ciągle traci połączenie z internetem?"],
    "status": "published",
}
EARBUDS = {
    "title": "Charge the Pulse earbuds and their case",
    "body": "Put both earbuds in the case and connect the USB-C cable. The light turns green when the case is full.",
    "questions": ["My earbuds don't charge", "How long does the case take to charge?"],
    "slug": "pulse-charging",
    "products": ["pulse"],
}
VACUUM = {
    "title": "Empty the dustbin of the Aurora robot vacuum",
    "body": "Press the release button on top, pull out the dustbin and empty it over a rubbish bag. Rinse the filter monthly.",
    "questions": ["How do I empty the robot's bin?"],
    "slug": "aurora-dustbin",
    "products": ["aurora"],
}


def published(session: Session, topic: dict[str, Any], **overrides: Any) -> Article:
    return create_article(session, **{**topic, "status": "published", **overrides})


def polish_translation(session: Session, article: Article, **overrides: Any) -> ArticleContent:
    return add_translation(session, article, **{**WIFI_PL, **overrides})


def answered_thread(
    session: Session, *, title: str, body: str, answer: str, accepted: bool = True, up_votes: int = 0
) -> tuple[ForumThread, ForumReply]:
    asker = member(session)
    thread = create_thread(session, asker, title=title, body=body)
    reply = create_reply(session, thread, body=answer)
    for _ in range(up_votes):
        votes.cast_vote(session, reply, 1, member(session))
    if accepted:
        votes.accept_reply(session, reply, asker)
    return thread, reply


def unanswered_thread(session: Session, *, title: str, body: str) -> ForumThread:
    return create_thread(session, member(session), title=title, body=body)


__all__ = [
    "EARBUDS",
    "VACUUM",
    "WIFI",
    "WIFI_PL",
    "agent",
    "answered_thread",
    "polish_translation",
    "published",
    "unanswered_thread",
]
