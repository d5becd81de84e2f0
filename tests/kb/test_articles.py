"""Articles: creation, slugs, PATCH edits, the status state machine, lookup and listing."""

from __future__ import annotations

import pytest

from accounts.models import Role
from aftercare.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from kb import service
from kb.models import ArticleStatus
from kb.schemas import ArticleUpdate
from tests.factories import create_staff
from tests.kb.factories import create_article


def test_create_article_stores_source_content_tags_and_questions(session):
    author = create_staff(session, role=Role.ADMIN)
    article = create_article(
        session,
        title="Clean the Aurora brushes",
        author=author,
        products=["aurora"],
        tags=["Maintenance", "brushes"],
        questions=["How do I clean the brush?"],
    )
    assert article.slug == "clean-the-aurora-brushes"
    assert (article.status, article.source_locale, article.author_id) == ("draft", "en", author.id)
    assert article.products == ["aurora"]
    assert article.tags == ["brushes", "maintenance"]
    assert article.source.title == "Clean the Aurora brushes"
    assert article.source.questions == ["How do I clean the brush?"]


def test_create_article_uses_default_language_when_no_locale(session):
    article = create_article(session, locale=None)
    assert article.source_locale == "en"


def test_create_article_normalises_locale_tag(session):
    assert create_article(session, locale="pl-PL").source_locale == "pl"


def test_create_article_refuses_unsupported_locale(session):
    with pytest.raises(ValidationFailed, match="not supported"):
        create_article(session, locale="de")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Wi-Fi: reconnect the Nimbus!", "wi-fi-reconnect-the-nimbus"),
        ("Jak zresetować termostat? Łatwo", "jak-zresetowac-termostat-latwo"),
        ("Đặt lại máy hút bụi", "dat-lai-may-hut-bui"),
        ("รีเซ็ตหูฟัง Pulse", "รีเซ็ตหูฟัง-pulse"),
        ("   ---   ", "article"),
        ("2024", "article-2024"),
    ],
)
def test_slugify_keeps_words_of_any_script(title, slug):
    assert service.slugify(title) == slug


def test_generated_slugs_get_a_suffix_when_taken(session):
    first = create_article(session, title="Factory reset")
    second = create_article(session, title="Factory reset")
    third = create_article(session, title="Factory reset")
    assert (first.slug, second.slug, third.slug) == ("factory-reset", "factory-reset-2", "factory-reset-3")


def test_explicit_slug_that_is_taken_is_a_conflict(session):
    create_article(session, slug="reset")
    with pytest.raises(Conflict):
        create_article(session, slug="reset")


def test_update_changes_only_given_fields(session):
    article = create_article(session, products=["nimbus"], tags=["wifi"])
    service.update_article(session, article, ArticleUpdate(tags=["wifi", "router"]))
    assert article.tags == ["router", "wifi"]
    assert article.products == ["nimbus"]
    assert article.source.title.startswith("Reconnect")


def test_update_to_a_taken_slug_is_a_conflict(session):
    create_article(session, slug="taken")
    article = create_article(session)
    with pytest.raises(Conflict):
        service.update_article(session, article, ArticleUpdate(slug="taken"))


def test_update_refuses_null_for_required_fields():
    with pytest.raises(ValueError, match="title: must not be null"):
        ArticleUpdate.model_validate({"title": None})


@pytest.mark.parametrize(
    ("path", "end"),
    [
        (["in_review", "published", "archived"], "archived"),
        (["published", "draft"], "draft"),
        (["in_review", "draft"], "draft"),
        (["archived", "draft", "published"], "published"),
    ],
)
def test_allowed_status_paths(session, path, end):
    article = create_article(session)
    for status in path:
        service.set_status(session, article, ArticleStatus(status))
    assert article.status == end
    assert article.source.status == end


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        (["archived"], "published"),
        (["archived"], "in_review"),
        (["published"], "in_review"),
    ],
)
def test_illegal_status_changes_raise_invalid_transition(session, path, illegal):
    article = create_article(session)
    for status in path:
        service.set_status(session, article, ArticleStatus(status))
    with pytest.raises(InvalidTransition):
        service.set_status(session, article, ArticleStatus(illegal))
    assert article.status == path[-1]


def test_refused_transition_in_a_patch_changes_nothing_else(session):
    article = create_article(session, status="archived", tags=["old"])
    with pytest.raises(InvalidTransition):
        service.update_article(session, article, ArticleUpdate(status="published", tags=["new"]))
    assert article.tags == ["old"]


def test_publish_sets_published_at(session):
    article = create_article(session)
    service.publish(session, article)
    assert article.published_at is not None


def test_unpublish_only_from_published(session):
    article = create_article(session)
    with pytest.raises(InvalidTransition):
        service.unpublish(session, article)


def test_get_visible_article_hides_drafts_from_readers(session):
    article = create_article(session)
    with pytest.raises(NotFound):
        service.get_visible_article(session, article.id, include_unpublished=False)
    assert service.get_visible_article(session, article.id, include_unpublished=True) is article


def test_list_filters_by_product_kind_tag_and_title(session):
    wanted = create_article(
        session,
        title="Aurora grinding noise",
        kind="troubleshooting",
        products=["aurora"],
        tags=["noise"],
        status="published",
    )
    create_article(session, title="Aurora schedule", kind="usage_tip", products=["aurora"], status="published")
    create_article(session, title="Nimbus grinding", kind="troubleshooting", products=["nimbus"], status="published")
    filters = service.ArticleFilters(product="aurora", kind="troubleshooting", tag="noise", q="GRINDING")
    items, total = service.list_articles(session, filters, include_unpublished=False)
    assert [a.id for a in items] == [wanted.id] and total == 1


def test_list_for_readers_has_only_published(session):
    published = create_article(session, status="published", products=["pulse"])
    create_article(session, status="draft", products=["pulse"])
    items, total = service.list_articles(session, service.ArticleFilters(product="pulse"), include_unpublished=False)
    assert [a.id for a in items] == [published.id] and total == 1


def test_list_paginates(session):
    for _ in range(5):
        create_article(session, products=["pages"])
    filters = service.ArticleFilters(product="pages")
    first, total = service.list_articles(session, filters, include_unpublished=True, page=1, page_size=2)
    last, _ = service.list_articles(session, filters, include_unpublished=True, page=3, page_size=2)
    assert (len(first), len(last), total) == (2, 1, 5)


def test_title_search_treats_wildcards_literally(session):
    create_article(session, title="100% battery in one hour", products=["wild"])
    create_article(session, title="1000 hours of battery", products=["wild"])
    items, _ = service.list_articles(
        session, service.ArticleFilters(product="wild", q="100%"), include_unpublished=True
    )
    assert [a.source.title for a in items] == ["100% battery in one hour"]


def test_delete_article_removes_it(session):
    article = create_article(session)
    service.delete_article(session, article)
    with pytest.raises(NotFound):
        service.get_article(session, article.id)
