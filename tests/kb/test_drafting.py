"""Drafting a knowledge-base article from a ticket (kb.drafting), below the web layer."""

from __future__ import annotations

import pytest

from accounts.service import principal_for_user
from aftercare.errors import Forbidden
from helpdesk import service
from helpdesk.schemas import MessageCreate
from kb.drafting import draft_article_from_ticket, one_line
from kb.models import ArticleStatus
from tests.factories import create_customer_user, create_ticket, staff_principal


def test_a_draft_takes_the_customers_questions_and_the_agents_last_answer(session):
    agent = staff_principal(session)
    ticket = create_ticket(
        session,
        subject="Robot stops in the middle of the room",
        body="My Aurora stops and beeps twice in the living room.",
    )
    service.add_message(session, ticket, MessageCreate(body="Try turning it off and on."), agent)
    service.add_message(session, ticket, MessageCreate(body="Clean the wheel sensors with a dry cloth."), agent)
    article = draft_article_from_ticket(session, ticket, agent)
    assert article.status == ArticleStatus.DRAFT and article.author_id == agent.user.id
    assert article.source.body_markdown == "Clean the wheel sensors with a dry cloth."
    assert [q.strip() for q in article.source.questions] == [
        "Robot stops in the middle of the room",
        "My Aurora stops and beeps twice in the living room.",
    ]


def test_a_ticket_nobody_answered_gets_the_placeholder(session):
    article = draft_article_from_ticket(
        session, create_ticket(session), staff_principal(session), placeholder="Opisz rozwiązanie."
    )
    assert article.source.body_markdown == "Opisz rozwiązanie."


def test_customers_cannot_draft_articles(session):
    customer = principal_for_user(create_customer_user(session))
    with pytest.raises(Forbidden):
        draft_article_from_ticket(session, create_ticket(session), customer)


def test_a_long_line_is_cut_at_a_word_with_an_ellipsis():
    assert one_line("the quick\nbrown   fox jumps", 16) == "the quick…"
