"""Lifecycle messages: welcome, purchase confirmation, payment and service reminders, win-back.

Each kind is a step an admin can switch off (``lifecycle_steps``; no row = the defaults below) and,
for reminders, give a number of days. A quarter-hourly pass (``aftersales.tasks``) finds what each
event calls for, from the rows the events left behind:

- a purchase recorded: the **purchase confirmation** (transactional: sent without marketing
  consent, carries no marketing content), and the **welcome** when it is the customer's first
  purchase ever (marketing mail: needs consent). Both only within ``RECENT_DAYS`` of the purchase,
  so an import of last year's orders mails nobody.
- a ``due_at`` on an unpaid purchase: a **payment reminder** ``days_before`` days before the due
  day and one on the due day (UTC days; transactional). ``paid_at`` (``PATCH /api/v1/purchases/{id}``)
  stops them: the pass only looks at unpaid purchases.
- a product's service interval (``products.service_interval_days``, every so many days after the
  purchase; a subscription product without one uses ``renewal_days`` once, as a renewal
  reminder): a **service reminder** ``days_before`` days before each service date, for the
  customer's latest purchase of that product (marketing: needs consent).
- a lapsed buyer (``aftersales.lapsed``): one **win-back** per lapse (per last purchase) with
  a link to the one-question "why did you stop?" survey (``aftersales.winback``; marketing).

Every message has a dedupe key, used by the outbox and as the unique key of ``lifecycle_messages``:
an occasion is mailed once, however often the pass runs. A message the outbox declines (no
consent, suppressed, frequency cap) is not recorded, so a later pass tries again while it is due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from accounts.models import Customer
from aftercare.db import utcnow
from aftersales import lifecycle_emails as emails
from aftersales.emails import EmailContent
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage, LifecycleStep
from aftersales.lifecycle_schemas import LifecycleStepUpdate
from aftersales.models import LapsedBuyer, Product, Purchase
from aftersales.tips import customer_language
from aftersales.winback import winback_url
from helpdesk.email.models import EmailKind
from helpdesk.email.outbox import enqueue_email

RECENT_DAYS = 7
# Purchases older than this get no service reminder (the lapsed-buyer horizon).
SERVICE_HORIZON_DAYS = 730

EMAIL_KINDS: dict[LifecycleKind, EmailKind] = {
    LifecycleKind.WELCOME: EmailKind.MARKETING,
    LifecycleKind.PURCHASE_CONFIRMATION: EmailKind.TRANSACTIONAL,
    LifecycleKind.PAYMENT_REMINDER: EmailKind.TRANSACTIONAL,
    LifecycleKind.SERVICE_REMINDER: EmailKind.MARKETING,
    LifecycleKind.WIN_BACK: EmailKind.MARKETING,
}
# Days before, for the kinds that have them; None for the others.
DEFAULT_DAYS_BEFORE: dict[LifecycleKind, int | None] = {
    LifecycleKind.WELCOME: None,
    LifecycleKind.PURCHASE_CONFIRMATION: None,
    LifecycleKind.PAYMENT_REMINDER: 3,
    LifecycleKind.SERVICE_REMINDER: 14,
    LifecycleKind.WIN_BACK: None,
}


@dataclass(frozen=True)
class StepSetting:
    kind: LifecycleKind
    enabled: bool
    days_before: int | None

    @property
    def has_days(self) -> bool:
        return DEFAULT_DAYS_BEFORE[self.kind] is not None


def step_settings(session: Session) -> dict[LifecycleKind, StepSetting]:
    rows = {LifecycleKind(row.kind): row for row in session.scalars(select(LifecycleStep))}
    settings: dict[LifecycleKind, StepSetting] = {}
    for kind in LifecycleKind:
        row = rows.get(kind)
        default_days = DEFAULT_DAYS_BEFORE[kind]
        if row is None:
            settings[kind] = StepSetting(kind, True, default_days)
        else:
            days = row.days_before if row.days_before is not None else default_days
            settings[kind] = StepSetting(kind, row.enabled, days if default_days is not None else None)
    return settings


def update_step(session: Session, kind: LifecycleKind, changes: LifecycleStepUpdate) -> StepSetting:
    row = session.scalar(select(LifecycleStep).where(LifecycleStep.kind == kind))
    if row is None:
        row = LifecycleStep(kind=kind, enabled=True, days_before=DEFAULT_DAYS_BEFORE[kind])
        session.add(row)
    if changes.enabled is not None:
        row.enabled = changes.enabled
    if changes.days_before is not None and DEFAULT_DAYS_BEFORE[kind] is not None:
        row.days_before = changes.days_before
    session.flush()
    return step_settings(session)[kind]


def sent_counts(session: Session) -> dict[LifecycleKind, int]:
    """Messages handed to the outbox per kind, counted from our rows."""
    rows = session.execute(select(LifecycleMessage.kind, func.count()).group_by(LifecycleMessage.kind))
    return {LifecycleKind(kind): count for kind, count in rows}


# --- sending ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occasion:
    kind: LifecycleKind
    customer: Customer
    purchase: Purchase | None
    dedupe_key: str
    # Builds the e-mail once the row exists (the win-back link names the row).
    compose: Callable[[LifecycleMessage], EmailContent]


def _already_sent(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(LifecycleMessage.dedupe_key).where(LifecycleMessage.dedupe_key.in_(keys))))


def send(session: Session, occasions: list[Occasion], *, now: datetime) -> int:
    """Hand each occasion not yet sent to the outbox; record those it accepted."""
    done = _already_sent(session, [occasion.dedupe_key for occasion in occasions])
    sent = 0
    for occasion in occasions:
        if occasion.dedupe_key in done:
            continue
        done.add(occasion.dedupe_key)
        row = LifecycleMessage(
            kind=occasion.kind,
            customer_id=occasion.customer.id,
            purchase_id=occasion.purchase.id if occasion.purchase is not None else None,
            dedupe_key=occasion.dedupe_key,
            language=customer_language(occasion.customer),
            created_at=now,
        )
        session.add(row)
        session.flush()
        content = occasion.compose(row)
        message = enqueue_email(
            session,
            to=occasion.customer.email,
            subject=content.subject,
            text=content.text,
            html=content.html,
            kind=EMAIL_KINDS[occasion.kind],
            dedupe_key=occasion.dedupe_key,
            customer_id=occasion.customer.id,
            language=content.language,
            now=now,
        )
        if message is None:
            session.delete(row)
            session.flush()
            continue
        row.language = content.language
        row.outbox_message_id = message.id
        sent += 1
    session.flush()
    return sent


def _purchases(session: Session, *conditions) -> list[Purchase]:
    return list(
        session.scalars(
            select(Purchase)
            .options(joinedload(Purchase.customer), joinedload(Purchase.product))
            .join(Customer, Customer.id == Purchase.customer_id)
            .where(Customer.erased_at.is_(None), *conditions)
            .order_by(Purchase.purchased_at, Purchase.id)
        )
    )


def _consenting() -> object:
    return Customer.consent_marketing.is_(True)


def confirmation_occasions(session: Session, *, now: datetime) -> list[Occasion]:
    recent = _purchases(
        session, Purchase.purchased_at > now - timedelta(days=RECENT_DAYS), Purchase.purchased_at <= now
    )
    return [
        Occasion(
            LifecycleKind.PURCHASE_CONFIRMATION,
            p.customer,
            p,
            f"lifecycle:confirmation:purchase:{p.id}",
            lambda _row, p=p: emails.confirmation_email(p.customer, p),
        )
        for p in recent
    ]


def welcome_occasions(session: Session, *, now: datetime) -> list[Occasion]:
    earlier = aliased(Purchase)
    # The customer's first purchase ever: no purchase before it (ties broken by id).
    has_earlier = exists().where(
        earlier.customer_id == Purchase.customer_id,
        (earlier.purchased_at < Purchase.purchased_at)
        | ((earlier.purchased_at == Purchase.purchased_at) & (earlier.id < Purchase.id)),
    )
    firsts = _purchases(
        session,
        Purchase.purchased_at > now - timedelta(days=RECENT_DAYS),
        Purchase.purchased_at <= now,
        _consenting(),
        ~has_earlier,
    )
    return [
        Occasion(
            LifecycleKind.WELCOME,
            p.customer,
            p,
            f"lifecycle:welcome:customer:{p.customer_id}",
            lambda _row, p=p: emails.welcome_email(p.customer, p),
        )
        for p in firsts
    ]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def payment_occasions(session: Session, *, now: datetime, days_before: int) -> list[Occasion]:
    today = now.astimezone(UTC).date()
    unpaid = _purchases(
        session,
        Purchase.due_at.is_not(None),
        Purchase.paid_at.is_(None),
        Purchase.due_at >= _day_start(today),
        Purchase.due_at < _day_start(today + timedelta(days=days_before + 1)),
    )
    occasions = []
    for p in unpaid:
        assert p.due_at is not None
        due_day = p.due_at.astimezone(UTC).date()
        due_today = due_day == today
        if not due_today and days_before == 0:
            continue
        occasion = "due-day" if due_today else f"before-{days_before}"
        occasions.append(
            Occasion(
                LifecycleKind.PAYMENT_REMINDER,
                p.customer,
                p,
                f"lifecycle:payment:purchase:{p.id}:{occasion}",
                lambda _row, p=p, due_today=due_today: emails.payment_reminder_email(
                    p.customer, p, due_today=due_today
                ),
            )
        )
    return occasions


def service_occasions(session: Session, *, now: datetime, days_before: int) -> list[Occasion]:
    later = aliased(Purchase)
    newer_of_same_product = exists().where(
        later.customer_id == Purchase.customer_id,
        later.product_id == Purchase.product_id,
        later.purchased_at > Purchase.purchased_at,
        later.purchased_at <= now,
    )
    candidates = _purchases(
        session,
        Purchase.product_id.in_(
            select(Product.id).where(Product.service_interval_days.is_not(None) | Product.renewal_days.is_not(None))
        ),
        Purchase.purchased_at > now - timedelta(days=SERVICE_HORIZON_DAYS),
        Purchase.purchased_at <= now,
        _consenting(),
        ~newer_of_same_product,
    )
    occasions = []
    for p in candidates:
        repeating = p.product.service_interval_days is not None
        interval = p.product.service_interval_days if repeating else p.product.renewal_days
        assert interval is not None
        # The next service date after now: the first one for a renewal, the coming cycle's otherwise.
        cycle = (now - p.purchased_at).days // interval + 1
        if not repeating and cycle > 1:
            continue
        service_at = p.purchased_at + timedelta(days=interval * cycle)
        if now < service_at - timedelta(days=days_before):
            continue
        service_on = service_at.astimezone(UTC).date()
        occasions.append(
            Occasion(
                LifecycleKind.SERVICE_REMINDER,
                p.customer,
                p,
                f"lifecycle:service:purchase:{p.id}:cycle:{cycle}",
                lambda _row, p=p, service_on=service_on: emails.service_reminder_email(p.customer, p, service_on),
            )
        )
    return occasions


def winback_occasions(
    session: Session, *, now: datetime, link_for: Callable[[LifecycleMessage], str]
) -> list[Occasion]:
    lapsed = session.scalars(
        select(LapsedBuyer)
        .options(joinedload(LapsedBuyer.customer))
        .join(Customer, Customer.id == LapsedBuyer.customer_id)
        .where(Customer.erased_at.is_(None), _consenting())
        .order_by(LapsedBuyer.id)
    ).all()
    return [
        Occasion(
            LifecycleKind.WIN_BACK,
            row.customer,
            None,
            # One win-back per lapse: buying again and lapsing again is a new one.
            f"lifecycle:winback:customer:{row.customer_id}:last:{row.last_purchase_at.date().isoformat()}",
            lambda message, row=row: emails.winback_email(row.customer, link_for(message)),
        )
        for row in lapsed
    ]


def run_lifecycle_pass(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Send every lifecycle message that is due and enabled; re-running adds nothing."""
    now = now or utcnow()
    settings = step_settings(session)
    sent: dict[str, int] = {}

    def on(kind: LifecycleKind) -> bool:
        return settings[kind].enabled

    if on(LifecycleKind.PURCHASE_CONFIRMATION):
        sent["purchase_confirmation"] = send(session, confirmation_occasions(session, now=now), now=now)
    if on(LifecycleKind.WELCOME):
        sent["welcome"] = send(session, welcome_occasions(session, now=now), now=now)
    if on(LifecycleKind.PAYMENT_REMINDER):
        days = settings[LifecycleKind.PAYMENT_REMINDER].days_before or 0
        sent["payment_reminder"] = send(session, payment_occasions(session, now=now, days_before=days), now=now)
    if on(LifecycleKind.SERVICE_REMINDER):
        days = settings[LifecycleKind.SERVICE_REMINDER].days_before or 0
        sent["service_reminder"] = send(session, service_occasions(session, now=now, days_before=days), now=now)
    if on(LifecycleKind.WIN_BACK):
        occasions = winback_occasions(session, now=now, link_for=winback_url)
        sent["win_back"] = send(session, occasions, now=now)
    return sent
