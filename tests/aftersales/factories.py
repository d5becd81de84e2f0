"""Builders for after-sales tests: products, purchases, knowledge-base articles, programmes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from accounts.models import Customer
from accounts.service import get_or_create_customer
from aftersales import programmes, purchases
from aftersales.models import (
    Product,
    Programme,
    ProgrammeTrigger,
    Purchase,
    StepKind,
    SurveyInvitation,
    SurveyKind,
    SurveyResponse,
)
from aftersales.schemas import (
    ProductUpdate,
    ProgrammeCreate,
    PurchaseCreate,
    StepCreate,
)
from kb.models import (
    Article,
    ArticleContent,
    ArticleKind,
    ArticleStatus,
    ArticleTag,
    TagKind,
)
from tests.factories import unique_email

_counter = itertools.count(1)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def customer(
    session: Session,
    *,
    language: str | None = "en",
    marketing: bool = True,
    surveys: bool = True,
    email: str | None = None,
    name: str = "Casey Buyer",
) -> Customer:
    person = get_or_create_customer(session, email or unique_email("buyer"), name=name, language=language)
    person.consent_marketing = marketing
    person.consent_surveys = surveys
    session.flush()
    return person


def product(
    session: Session,
    *,
    sku: str | None = None,
    name: str = "Nimbus thermostat",
    tags: list[str] | None = None,
    renewal_days: int | None = None,
) -> Product:
    item = purchases.get_or_create_product(session, sku or f"SKU-{next(_counter)}", name)
    purchases.update_product(
        session, item, ProductUpdate(tags=tags if tags is not None else ["nimbus"], renewal_days=renewal_days)
    )
    return item


def purchase_data(**overrides: Any) -> PurchaseCreate:
    values: dict[str, Any] = {
        "external_order_id": f"ORDER-{next(_counter)}",
        "customer_email": unique_email("buyer"),
        "sku": "NIMBUS-1",
        "quantity": 1,
        "amount": Decimal("129.00"),
        "currency": "EUR",
        "purchased_at": NOW,
    }
    values.update(overrides)
    return PurchaseCreate(**values)


def buy(
    session: Session,
    who: Customer,
    item: Product,
    *,
    at: datetime = NOW,
    order_id: str | None = None,
    amount: str = "129.00",
) -> Purchase:
    data = purchase_data(
        external_order_id=order_id or f"ORDER-{next(_counter)}",
        customer_email=who.email,
        sku=item.sku,
        purchased_at=at,
        amount=Decimal(amount),
    )
    return purchases.record_purchase(session, data).purchase


def article(
    session: Session,
    *,
    products: list[str] | None = None,
    kind: ArticleKind = ArticleKind.USAGE_TIP,
    title: str = "Set a heating schedule",
    translations: dict[str, str] | None = None,
    topics: list[str] | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISHED,
    published_at: datetime | None = None,
) -> Article:
    """A published English article, with published translations {locale: title}."""
    number = next(_counter)
    item = Article(
        slug=f"article-{number}",
        kind=kind,
        status=status,
        source_locale="en",
        published_at=published_at or (NOW - timedelta(days=400 - number)),
    )
    item.tag_rows = [ArticleTag(tag_kind=TagKind.PRODUCT, tag=tag) for tag in (products or ["nimbus"])]
    item.tag_rows += [ArticleTag(tag_kind=TagKind.TOPIC, tag=tag) for tag in (topics or [])]
    item.contents = [ArticleContent(locale="en", title=title, body_markdown=f"How to: **{title}**.", status=status)]
    for locale, translated in (translations or {}).items():
        item.contents.append(
            ArticleContent(
                locale=locale,
                title=translated,
                body_markdown=f"{translated}.",
                status=ArticleStatus.PUBLISHED,
                source_version=1,
            )
        )
    session.add(item)
    session.flush()
    return item


def programme(
    session: Session,
    *,
    tag: str = "nimbus",
    steps: list[tuple[int, StepKind]] | None = None,
    trigger: ProgrammeTrigger = ProgrammeTrigger.PURCHASE,
    name: str | None = None,
) -> Programme:
    steps = steps or [(0, StepKind.WELCOME), (3, StepKind.USAGE), (14, StepKind.TROUBLESHOOTING)]
    return programmes.create_programme(
        session,
        ProgrammeCreate(
            name=name or f"Series {next(_counter)}",
            trigger=trigger,
            product_tag=tag if trigger == ProgrammeTrigger.PURCHASE else None,
            steps=[StepCreate(day_offset=day, kind=kind) for day, kind in steps],
        ),
    )


def survey_answer(
    session: Session, score: int, *, at: datetime, product=None, kind: SurveyKind = SurveyKind.NPS
) -> None:
    """One customer's answer to a survey about ``product`` (None: about the shop), given at ``at``."""
    who = customer(session)
    invitation = SurveyInvitation(
        kind=kind, customer=who, product=product, language="en", created_at=at, closes_at=at + timedelta(days=14)
    )
    session.add(invitation)
    session.add(SurveyResponse(invitation=invitation, score=score, created_at=at, updated_at=at))
    session.flush()
