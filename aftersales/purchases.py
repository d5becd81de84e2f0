"""Products and purchases: recording orders idempotently (webhook, CSV import) and listing them.

Idempotency key: the shop's external order id. Recording the same order again returns the row
already there; recording it again with different content is a conflict (the first version wins,
so a re-sent webhook can never rewrite history silently). An order whose buyer was erased
(``privacy.erasure``) is kept for the figures without its buyer's address: sent again, it is that
same order, unchanged, and brings nobody back.

Marketing consent comes with a new order. For an address whose customer was erased it is never
turned on that way: someone who asked to be forgotten gives it again only themself.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from accounts.models import Customer
from accounts.service import get_or_create_customer, normalize_email
from aftercare.errors import Conflict, NotFound
from aftercare.events import record
from aftercare.pagination import window
from aftersales.events import PurchaseRecorded
from aftersales.lifecycle_schemas import PurchaseUpdate
from aftersales.models import Product, ProductTag, Purchase
from aftersales.schemas import ProductCreate, ProductUpdate, PurchaseCreate, PurchaseRead
from helpdesk.email.suppression import is_erased_address

CSV_COLUMNS = (
    "external_order_id",
    "customer_email",
    "customer_name",
    "customer_language",
    "sku",
    "product_name",
    "quantity",
    "amount",
    "currency",
    "purchased_at",
    "channel",
    "marketing_consent",
)
REQUIRED_CSV_COLUMNS = ("external_order_id", "customer_email", "sku", "amount", "currency", "purchased_at")


@dataclass(frozen=True)
class RecordResult:
    purchase: Purchase
    created: bool


def get_product_by_sku(session: Session, sku: str) -> Product | None:
    return session.scalar(select(Product).where(Product.sku == sku))


def get_or_create_product(session: Session, sku: str, name: str | None) -> Product:
    """An unknown SKU creates its product (named after the order line, or after the SKU)."""
    product = get_product_by_sku(session, sku)
    if product is None:
        product = Product(sku=sku, name=name or sku)
        session.add(product)
        session.flush()
    return product


def list_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).order_by(Product.name, Product.id)))


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found")
    return product


def create_product(session: Session, data: ProductCreate) -> Product:
    """A new product; a SKU that exists already is a conflict (change it with ``update_product``)."""
    if get_product_by_sku(session, data.sku) is not None:
        raise Conflict(f"a product with SKU {data.sku!r} exists already")
    product = Product(sku=data.sku, name=data.name)
    session.add(product)
    session.flush()
    return update_product(session, product, data)


def update_product(session: Session, product: Product, changes: ProductUpdate) -> Product:
    given = changes.model_fields_set
    if "name" in given and changes.name is not None:
        product.name = changes.name
    if "renewal_days" in given:
        product.renewal_days = changes.renewal_days
    if "warranty_months" in given:
        product.warranty_months = changes.warranty_months
    if "return_days" in given:
        product.return_days = changes.return_days
    if "service_interval_days" in given:
        product.service_interval_days = changes.service_interval_days
    if "tags" in given and changes.tags is not None:
        wanted = sorted(set(changes.tags))
        product.tag_rows[:] = [row for row in product.tag_rows if row.tag in wanted]
        have = set(product.tags)
        product.tag_rows.extend(ProductTag(tag=tag) for tag in wanted if tag not in have)
    session.flush()
    return product


def _same_order(purchase: Purchase, data: PurchaseCreate, customer_email: str) -> bool:
    return (
        purchase.customer.email == customer_email
        and purchase.product.sku == data.sku
        and purchase.quantity == data.quantity
        and Decimal(purchase.amount) == data.amount
        and purchase.currency == data.currency
        and purchase.purchased_at == data.purchased_at
    )


def record_purchase(session: Session, data: PurchaseCreate, *, default_channel: str = "api") -> RecordResult:
    """Store one order line, or return the stored one when this order id was seen before."""
    email = normalize_email(str(data.customer_email))
    existing = session.scalar(
        select(Purchase)
        .options(joinedload(Purchase.customer), joinedload(Purchase.product))
        .where(Purchase.external_order_id == data.external_order_id)
    )
    if existing is not None:
        if existing.customer.erased_at is not None:
            return RecordResult(existing, created=False)
        if not _same_order(existing, data, email):
            raise Conflict(
                f"order {data.external_order_id} was already recorded with different details; the first version is kept"
            )
        return RecordResult(existing, created=False)
    customer = get_or_create_customer(session, email, name=data.customer_name, language=data.customer_language)
    if data.marketing_consent is not None and not (data.marketing_consent and is_erased_address(session, email)):
        # Only a new order speaks for the customer's current wish; a replayed old one never does.
        customer.consent_marketing = data.marketing_consent
    product = get_or_create_product(session, data.sku, data.product_name)
    purchase = Purchase(
        external_order_id=data.external_order_id,
        customer=customer,
        product=product,
        quantity=data.quantity,
        amount=data.amount,
        currency=data.currency,
        purchased_at=data.purchased_at,
        channel=data.channel or default_channel,
        due_at=data.due_at,
    )
    try:
        # A savepoint: a concurrent writer of the same order id loses the race without
        # poisoning the caller's transaction, and then gets the winner's row.
        with session.begin_nested():
            session.add(purchase)
            session.flush()
            # Inside the savepoint: an order that lost the race was never recorded.
            record(
                session,
                PurchaseRecorded(
                    purchase_id=purchase.id,
                    customer_id=customer.id,
                    product_id=product.id,
                ),
            )
    except IntegrityError:
        winner = session.scalar(select(Purchase).where(Purchase.external_order_id == data.external_order_id))
        if winner is None:
            raise
        return RecordResult(winner, created=False)
    return RecordResult(purchase, created=True)


def purchase_read(purchase: Purchase) -> PurchaseRead:
    return PurchaseRead(
        id=purchase.id,
        external_order_id=purchase.external_order_id,
        customer_id=purchase.customer_id,
        customer_email=purchase.customer.email,
        sku=purchase.product.sku,
        product_name=purchase.product.name,
        quantity=purchase.quantity,
        amount=purchase.amount,
        currency=purchase.currency,
        purchased_at=purchase.purchased_at,
        channel=purchase.channel,
        created_at=purchase.created_at,
        due_at=purchase.due_at,
        paid_at=purchase.paid_at,
    )


def get_purchase(session: Session, purchase_id: int) -> Purchase:
    purchase = session.get(Purchase, purchase_id, options=[joinedload(Purchase.customer), joinedload(Purchase.product)])
    if purchase is None:
        raise NotFound(f"purchase {purchase_id} not found")
    return purchase


def update_purchase(session: Session, purchase: Purchase, changes: PurchaseUpdate) -> Purchase:
    """Set a purchase's due date or payment; a payment stops its reminders (``aftersales.lifecycle``)."""
    given = changes.model_fields_set
    if "due_at" in given:
        purchase.due_at = changes.due_at
    if "paid_at" in given:
        purchase.paid_at = changes.paid_at
    session.flush()
    return purchase


def list_purchases(
    session: Session, *, customer_email: str | None = None, limit: int = 100, offset: int = 0
) -> list[Purchase]:
    query = select(Purchase).options(joinedload(Purchase.customer), joinedload(Purchase.product))
    if customer_email is not None:
        query = query.join(Customer, Customer.id == Purchase.customer_id).where(
            Customer.email == normalize_email(customer_email)
        )
    query = query.order_by(Purchase.purchased_at.desc(), Purchase.id.desc())
    return list(session.scalars(window(query, offset=offset, limit=limit)))


# --- CSV import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    # Spreadsheet numbering: the header is row 1, the first order is row 2.
    row: int
    message: str


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.unchanged + len(self.errors)


class MissingColumns(ValueError):
    pass


def read_csv_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) pairs; raises MissingColumns before the first row if the header is wrong."""
    reader = csv.DictReader(stream)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_CSV_COLUMNS if name not in header]
    if missing:
        raise MissingColumns(f"the CSV header lacks column(s): {', '.join(missing)}")
    reader.fieldnames = header
    for index, row in enumerate(reader, start=2):
        yield index, {key: (value or "").strip() for key, value in row.items() if key}


def _row_to_create(row: dict[str, str]) -> PurchaseCreate:
    values: dict[str, object] = {name: row[name] for name in CSV_COLUMNS if row.get(name)}
    return PurchaseCreate(**values)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item.get("loc", ())) or "row"
        parts.append(f"{where}: {str(item.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts)


def import_rows(
    session: Session,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    on_row: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every valid row; report each invalid one with its row number.

    Valid rows are imported even when others fail (each row in its own savepoint), because an
    export with one bad line should not block thousands of good ones; re-running after fixing
    the bad rows is safe since known order ids are skipped.
    """
    report = ImportReport()
    for number, row in rows:
        try:
            data = _row_to_create(row)
            with session.begin_nested():
                result = record_purchase(session, data, default_channel="import")
        except ValidationError as error:
            report.errors.append(RowError(number, _describe(error)))
        except Conflict as error:
            report.errors.append(RowError(number, error.message))
        else:
            if result.created:
                report.created += 1
            else:
                report.unchanged += 1
        if on_row is not None:
            on_row(number)
    return report
