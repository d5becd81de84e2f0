"""The published OpenAPI document is a contract: schemathesis checks every JSON API operation against it.

For each operation it generates requests (valid ones, and invalid ones that must be refused with
a documented 4xx), sends them to the app in-process as an admin and as a customer, and checks
that no answer is a server error and that each status, content type, header and body is one the
document describes. It runs over the test database of each backend (SQLite, and PostgreSQL when
AFTERCARE_TEST_DATABASE_URL is set) inside the test's rolled-back transaction, with a little of
everything seeded so that generated ids sometimes name real rows. Hypothesis is derandomized:
the same requests every run. A few direct checks of the document come first.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from accounts.models import Role
from accounts.service import principal_for_user
from aftersales import programmes, purchases, segments
from aftersales.models import StepKind
from aftersales.schemas import (
    ProgrammeCreate,
    PurchaseCreate,
    SegmentCreate,
    StepCreate,
)
from helpdesk import service as tickets
from helpdesk.email.mail_in.intake import receive_mail
from helpdesk.email.models import (
    Attachment,
    EmailKind,
    OutboxStatus,
    RejectedMail,
    SuppressionScope,
    SuppressionSource,
)
from helpdesk.email.outbox import enqueue_email
from helpdesk.email.suppression import add_suppression
from helpdesk.schemas import MessageCreate
from kb.forum import moderation
from kb.forum.models import FlagReason
from tests.factories import create_staff, create_ticket, token_for, unique_email
from tests.helpdesk.email import mail_samples
from tests.kb.factories import add_translation, create_article
from tests.kb.forum.factories import create_category, create_reply, create_thread, member

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# (who asks, what kind of requests, how many per operation): enough to find each route's easy
# failures, few enough for well under a minute per backend. A customer meets the 403s of staff
# routes and the forum as a member.
PASSES = [
    ("admin", GenerationMode.POSITIVE, 12),
    ("admin", GenerationMode.NEGATIVE, 6),
    ("customer", GenerationMode.POSITIVE, 4),
]
# Reading first, deleting last: a route that removes a seeded row runs after those that read it.
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}


# ---- the document itself --------------------------------------------------------------------


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from aftercare.config import get_settings
    from web.app import create_app

    return create_app(get_settings()).openapi()


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method.lower()]["responses"]


def _error_responses(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    yield f"{method.upper()} {path} {status}", status, response


def test_no_error_is_documented_as_fastapis_validation_list(document):
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_api_error_is_documented_with_the_one_error_body(document):
    # The README's promise: errors are JSON {"detail": ..., "code": ...}. The health check says what is down instead.
    wrong = [
        where
        for where, _, response in _error_responses(document)
        if not where.startswith("GET /healthz")
        and response["content"]["application/json"]["schema"] != {"$ref": "#/components/schemas/ErrorRead"}
    ]
    assert wrong == []


def test_the_error_body_requires_a_message_and_a_code(document):
    assert document["components"]["schemas"]["ErrorRead"]["required"] == ["detail", "code"]


def test_staff_operations_require_a_bearer_token(document):
    assert document["paths"]["/api/v1/products"]["get"]["security"] == [{"bearerAuth": []}]


def test_public_operations_let_anonymous_callers_in(document):
    assert {} in document["paths"]["/api/v1/search"]["get"]["security"]


def test_an_operation_on_an_id_can_answer_not_found(document):
    assert "404" in _responses(document, "GET", "/api/v1/articles/{article_id}")


def test_a_rate_limited_operation_says_when_to_retry(document):
    assert "Retry-After" in _responses(document, "POST", "/api/v1/forum/threads")["429"]["headers"]


def test_a_conflict_is_documented_where_one_can_happen(document):
    assert "409" in _responses(document, "POST", "/api/v1/mail/outbox/{message_id}/retry")


def test_a_conflict_is_not_documented_where_none_can_happen(document):
    assert "409" not in _responses(document, "GET", "/api/v1/products")


def test_downloads_are_documented_as_bytes(document):
    content = _responses(document, "GET", "/api/v1/mail/attachments/{attachment_id}")["200"]["content"]
    assert list(content) == ["application/octet-stream"]


def test_a_route_added_after_the_first_document_is_documented_too(settings):
    from web.app import create_app

    app = create_app(settings)
    app.openapi()

    @app.get("/api/v1/late/{late_id}")
    def late(late_id: int) -> dict[str, int]:
        return {"late_id": late_id}

    schema = app.openapi()["paths"]["/api/v1/late/{late_id}"]["get"]["responses"]["422"]["content"]
    assert schema == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorRead"}}}


# ---- every operation, against the app --------------------------------------------------------


@pytest.fixture
def seeded(session) -> dict[str, Any]:
    """One row of each kind, by the name of the path parameter that names it."""
    agent = create_staff(session)
    article = create_article(session, status="published")
    add_translation(session, article)
    create_category(session)
    asker = member(session)
    thread = create_thread(session, asker, category="thermostats")
    reply = create_reply(session, thread)
    flag = moderation.flag_post(session, reply, member(session), FlagReason.SPAM, "")
    ticket = create_ticket(session)
    tickets.add_message(session, ticket, MessageCreate(body="Try the reset button."), principal_for_user(agent))
    bought = purchases.record_purchase(
        session,
        PurchaseCreate(
            external_order_id="ORDER-CONTRACT-1",
            customer_email=unique_email("buyer"),
            sku="NIMBUS-1",
            quantity=1,
            amount=Decimal("129.00"),
            currency="EUR",
            purchased_at=datetime(2026, 3, 10, tzinfo=UTC),
        ),
    ).purchase
    programme = programmes.create_programme(
        session,
        ProgrammeCreate(
            name="Nimbus tips",
            trigger="purchase",
            product_tag="nimbus",
            steps=[StepCreate(day_offset=0, kind=StepKind.WELCOME)],
        ),
    )
    segment = segments.create_segment(session, SegmentCreate(name="Everyone"))
    failed = enqueue_email(
        session, to=unique_email("reader"), subject="Shipped", text="On its way.", kind=EmailKind.TRANSACTIONAL
    )
    assert failed is not None
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 8, "451 busy"
    suppressed = unique_email("blocked")
    add_suppression(session, suppressed, SuppressionScope.MARKETING, source=SuppressionSource.ADMIN)
    rejected = receive_mail(session, b"Subject: broken\r\n\r\nno sender\r\n", envelope_from="x@example.com")
    received = receive_mail(
        session,
        mail_samples.with_attachments(
            unique_email("mailer"), "Photo", "Photo attached.", [("dock.png", "image/png", mail_samples.PNG)]
        ),
    )
    session.flush()
    attachment_id = session.scalar(select(Attachment.id).where(Attachment.ticket_id == received.ticket_id))
    rejected_id = session.scalar(select(RejectedMail.id).order_by(RejectedMail.id.desc()))
    assert rejected is not None and attachment_id is not None and rejected_id is not None
    return {
        "article_id": article.id,
        "slug": article.slug,
        "locale": "pl",
        "number": 1,
        "thread_id": thread.id,
        "reply_id": reply.id,
        "flag_id": flag.id,
        "ticket_id": ticket.id,
        "product_id": bought.product_id,
        "programme_id": programme.id,
        "segment_id": segment.id,
        "message_id": failed.id,
        "email": suppressed,
        "rejected_id": rejected_id,
        "attachment_id": attachment_id,
    }


REQUEST_TIMEOUT_SECONDS = 300


@pytest.fixture
def contract_settings(settings):
    # Rate limits are tested elsewhere; here they would only turn generated requests into 429s.
    unlimited = "100000/minute"
    return settings.model_copy(
        update={
            "search_rate_limit": unlimited,
            "public_rate_limit": unlimited,
            "forum_post_rate_limit": unlimited,
            "reply_rate_limit": unlimited,
        }
    )


@pytest.fixture
def contract_app(database, contract_settings):
    from fastapi.testclient import TestClient

    from web import ratelimit
    from web.app import create_app

    ratelimit.reset(contract_settings.rate_limit_storage_url)
    app = create_app(contract_settings, database=database)
    # The test client runs the app's lifespan (search keeper); schemathesis's client sends the requests.
    with TestClient(app):
        yield app


@pytest.fixture
def api_schema(contract_app):
    document = ASGIClient(contract_app).get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = contract_app
    return schema


def _operations(schema) -> Iterator[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    yield from sorted(operations, key=lambda op: (METHOD_ORDER.get(op.method.upper(), 1), op.path))


def _has_input(operation) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters")) or "requestBody" in definition


def _exercise(
    operation,
    mode: GenerationMode,
    examples: int,
    client: ASGIClient,
    headers: dict[str, str],
    seeded: dict[str, Any],
) -> None:
    # Half the valid requests name seeded rows, so that routes get past "not found".
    strategy = st.tuples(operation.as_strategy(generation_mode=mode), st.booleans())

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(strategy)
    def run(drawn) -> None:
        case, use_seeded = drawn
        if use_seeded and mode is GenerationMode.POSITIVE:
            for name in case.path_parameters or {}:
                if name in seeded:
                    case.path_parameters[name] = seeded[name]
        # The test app's keeper indexes inline, so a request may carry the embedding of articles that
        # earlier generated requests created; the contract is about answers, not speed.
        case.call_and_validate(session=client, headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (e.g. only free-text path parameters).
        if mode is GenerationMode.POSITIVE:
            raise


def test_every_operation_keeps_to_the_published_contract(api_schema, contract_app, seeded, session):
    identities = {
        "admin": token_for(session, create_staff(session, role=Role.ADMIN)),
        "customer": token_for(session, member(session).user),
    }
    session.flush()
    # Not entered as a context: the fixture's test client already runs the app's lifespan.
    client = ASGIClient(contract_app)
    failures: list[str] = []
    for operation in _operations(api_schema):
        for who, mode, examples in PASSES:
            if mode is GenerationMode.NEGATIVE and not _has_input(operation):
                continue
            try:
                _exercise(operation, mode, examples, client, identities[who], seeded)
            # Collected, not raised: one run shows every operation that breaks the contract.
            except (Exception, FailureGroup) as error:
                failures.append(
                    f"--- {operation.method.upper()} {operation.path} ({who}, {mode.value})\n"
                    + "".join(traceback.format_exception_only(error))
                )
    assert not failures, f"{len(failures)} operation(s) break the contract:\n" + "\n".join(failures)
