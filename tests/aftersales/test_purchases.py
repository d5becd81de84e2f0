"""Recording purchases: idempotency by external order id, unknown SKUs, CSV rows and their errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aftercare.errors import Conflict
from aftersales.models import Product, Purchase
from aftersales.purchases import MissingColumns, import_rows, read_csv_rows, record_purchase
from tests.aftersales.factories import purchase_data

HEADER = "external_order_id,customer_email,customer_name,sku,product_name,quantity,amount,currency,purchased_at\n"


def purchase_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Purchase))


def test_unknown_sku_creates_the_product_and_customer(session):
    result = record_purchase(
        session,
        purchase_data(
            sku="AURORA-9", product_name="Aurora vacuum", customer_email="New.Buyer@Example.com", customer_language="pl"
        ),
    )
    assert result.created
    assert result.purchase.product.name == "Aurora vacuum"
    assert result.purchase.customer.email == "new.buyer@example.com"
    assert result.purchase.customer.language == "pl"


def test_the_same_order_twice_is_one_purchase(session):
    data = purchase_data()
    first = record_purchase(session, data)
    second = record_purchase(session, data)
    assert not second.created and second.purchase.id == first.purchase.id
    assert purchase_count(session) == 1


def test_a_replay_with_other_details_is_a_conflict(session):
    data = purchase_data()
    record_purchase(session, data)
    with pytest.raises(Conflict):
        record_purchase(session, data.model_copy(update={"amount": Decimal("1.00")}))


def test_amount_is_kept_exactly(session):
    purchase = record_purchase(session, purchase_data(amount=Decimal("0.10"))).purchase
    session.expire(purchase)
    assert purchase.amount == Decimal("0.10")


def test_import_reports_invalid_rows_with_their_numbers_and_imports_the_rest(session):
    csv_text = HEADER + (
        "A-1,ann@example.com,Ann,NIM-1,Nimbus,1,129.00,EUR,2026-01-05T10:00:00Z\n"
        "A-2,not-an-email,Bob,NIM-1,Nimbus,1,129.00,EUR,2026-01-05T10:00:00Z\n"
        "A-3,cid@example.com,Cid,NIM-1,Nimbus,1,-5,EUR,2026-01-05T10:00:00Z\n"
        "A-4,dee@example.com,Dee,NIM-1,Nimbus,2,258.00,eur,2026-01-06 09:30\n"
    )
    report = import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    assert report.created == 2
    assert [error.row for error in report.errors] == [3, 4]
    assert "customer_email" in report.errors[0].message and "amount" in report.errors[1].message


def test_reimporting_the_same_file_adds_nothing(session):
    csv_text = HEADER + "B-1,ann@example.com,Ann,NIM-1,Nimbus,1,129.00,EUR,2026-01-05T10:00:00Z\n"
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    again = import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    assert (again.created, again.unchanged, again.errors) == (0, 1, [])
    assert purchase_count(session) == 1


def test_a_time_without_zone_is_taken_as_utc(session):
    csv_text = HEADER + "C-1,ann@example.com,Ann,NIM-1,Nimbus,1,129.00,EUR,2026-01-06 09:30\n"
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    stored = session.scalar(select(Purchase).where(Purchase.external_order_id == "C-1"))
    assert stored.purchased_at == datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
    assert stored.channel == "import"


def test_a_header_without_required_columns_is_refused(session):
    with pytest.raises(MissingColumns, match="sku"):
        list(read_csv_rows(io.StringIO("external_order_id,customer_email,amount,currency,purchased_at\n")))


def test_a_failed_row_leaves_no_half_written_product(session):
    csv_text = HEADER + "D-1,not-an-email,Ann,NEW-SKU,New thing,1,1.00,EUR,2026-01-05T10:00:00Z\n"
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    assert session.scalar(select(Product).where(Product.sku == "NEW-SKU")) is None


def test_a_new_order_records_the_checkouts_marketing_consent(session):
    purchase = record_purchase(session, purchase_data(marketing_consent=True)).purchase
    assert purchase.customer.consent_marketing is True


def test_a_replayed_order_does_not_change_consent(session):
    data = purchase_data(marketing_consent=True)
    customer = record_purchase(session, data).purchase.customer
    customer.consent_marketing = False  # the customer unsubscribed since
    record_purchase(session, data)
    assert customer.consent_marketing is False


def test_the_csv_consent_column_is_read(session):
    csv_text = (
        HEADER.strip() + ",marketing_consent\n" + "E-1,eve@example.com,Eve,NIM-1,Nimbus,1,1.00,EUR,2026-01-05,yes\n"
    )
    import_rows(session, read_csv_rows(io.StringIO(csv_text)))
    assert session.scalar(select(Purchase).where(Purchase.external_order_id == "E-1")).customer.consent_marketing
