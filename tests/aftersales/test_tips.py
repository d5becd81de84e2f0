"""Choosing a tip's article: the product's, the step's kind, the customer's language, never twice."""

from __future__ import annotations

from datetime import timedelta

from aftersales.models import ProgrammeStep, StepKind
from aftersales.programmes import run_scheduling_pass
from aftersales.tips import select_tip_article
from helpdesk.email.models import OutboxMessage
from kb.models import ArticleContent, ArticleKind, ArticleStatus
from tests.aftersales import factories as f


def step(kind: StepKind = StepKind.USAGE, article_tag: str | None = None) -> ProgrammeStep:
    return ProgrammeStep(day_offset=3, kind=kind, article_tag=article_tag)


def test_the_translation_in_the_customers_language_is_preferred(session):
    f.article(session, title="Eco mode", translations={"pl": "Tryb eko"})
    choice = select_tip_article(session, f.customer(session, language="pl"), f.product(session), step(), set())
    assert (choice.language, choice.content.title) == ("pl", "Tryb eko")


def test_a_customer_language_with_a_region_finds_the_translation(session):
    # "pl-PL" is Polish: the region does not hide the "pl" translation.
    f.article(session, title="Eco mode", translations={"pl": "Tryb eko"})
    choice = select_tip_article(session, f.customer(session, language="pl-PL"), f.product(session), step(), set())
    assert choice.content.title == "Tryb eko"


def test_without_a_translation_the_source_text_is_sent(session):
    f.article(session, title="Eco mode", translations={"pl": "Tryb eko"})
    choice = select_tip_article(session, f.customer(session, language="th"), f.product(session), step(), set())
    assert (choice.language, choice.content.title) == ("en", "Eco mode")


def test_a_translated_article_beats_an_untranslated_one_of_the_same_kind(session):
    f.article(session, title="Older, English only")
    f.article(session, title="Newer", translations={"id": "Lebih baru"})
    choice = select_tip_article(session, f.customer(session, language="id"), f.product(session), step(), set())
    assert choice.content.title == "Lebih baru"


def test_an_unpublished_translation_is_not_used(session):
    item = f.article(session, title="Eco mode")
    item.contents.append(ArticleContent(locale="pl", title="Szkic", body_markdown="x", status=ArticleStatus.DRAFT))
    session.flush()
    choice = select_tip_article(session, f.customer(session, language="pl"), f.product(session), step(), set())
    assert choice.language == "en"


def test_an_article_already_sent_is_never_chosen_again(session):
    first = f.article(session, title="One")
    second = f.article(session, title="Two")
    who, item = f.customer(session), f.product(session)
    assert select_tip_article(session, who, item, step(), set()).article.id == first.id
    assert select_tip_article(session, who, item, step(), {first.id}).article.id == second.id
    assert select_tip_article(session, who, item, step(), {first.id, second.id}) is None


def test_only_the_products_articles_are_candidates(session):
    f.article(session, products=["aurora"], title="Vacuum tip")
    assert select_tip_article(session, f.customer(session), f.product(session, tags=["nimbus"]), step(), set()) is None


def test_a_troubleshooting_step_prefers_troubleshooting_articles(session):
    f.article(session, kind=ArticleKind.USAGE_TIP, title="Tip")
    f.article(session, kind=ArticleKind.TROUBLESHOOTING, title="Fix Wi-Fi")
    choice = select_tip_article(session, f.customer(session), f.product(session), step(StepKind.TROUBLESHOOTING), set())
    assert choice.content.title == "Fix Wi-Fi"


def test_a_steps_preferred_topic_tag_wins(session):
    f.article(session, title="Eco mode")
    f.article(session, title="Unboxing", topics=["getting-started"])
    choice = select_tip_article(
        session, f.customer(session), f.product(session), step(StepKind.WELCOME, article_tag="getting-started"), set()
    )
    assert choice.content.title == "Unboxing"


def test_draft_articles_are_never_sent(session):
    f.article(session, title="Draft", status=ArticleStatus.DRAFT)
    assert select_tip_article(session, f.customer(session), f.product(session), step(), set()) is None


def test_a_series_never_sends_the_same_article_twice(session):
    f.article(session, title="Only usage tip")
    f.article(session, kind=ArticleKind.FAQ, title="An FAQ")
    series = f.programme(session, steps=[(0, StepKind.WELCOME), (3, StepKind.USAGE)])
    who = f.customer(session)
    f.buy(session, who, f.product(session), at=f.NOW)
    run_scheduling_pass(session, now=f.NOW + timedelta(hours=1))
    run_scheduling_pass(session, now=f.NOW + timedelta(days=3, hours=1))
    subjects = sorted(m.subject for m in session.query(OutboxMessage).all())
    assert len(subjects) == 2 and len(set(subjects)) == 2
    assert series.is_active


def test_the_sent_tip_is_in_the_customers_language(session):
    f.article(session, title="Eco mode", translations={"pl": "Tryb eko"})
    f.programme(session, steps=[(0, StepKind.USAGE)])
    who = f.customer(session, language="pl", name="Marta")
    f.buy(session, who, f.product(session, name="Nimbus"), at=f.NOW)
    run_scheduling_pass(session, now=f.NOW + timedelta(hours=1))
    message = session.query(OutboxMessage).one()
    assert message.subject == "Nimbus: Tryb eko"
    assert message.language == "pl" and "Dzień dobry Marta" in message.text_body
    assert "<strong>" not in message.text_body and "Tryb eko" in message.html_body


def test_an_article_about_this_product_alone_beats_one_shared_by_all_products(session):
    f.article(session, products=["nimbus", "aurora", "pulse"], title="Share your home")
    f.article(session, products=["nimbus"], title="Eco mode")
    choice = select_tip_article(session, f.customer(session), f.product(session), step(), set())
    assert choice.content.title == "Eco mode"
