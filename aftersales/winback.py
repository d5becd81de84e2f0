"""The win-back message's one-question survey: "why did you stop?" (fixed reasons and free text).

The link in the e-mail is signed and names one win-back message of one customer; opening it only
shows the question, a POST (a click) answers. One answer per message, which the customer may
change; the lapsed-buyer page shows each customer's latest answer and counts the reasons.
"""

from __future__ import annotations

from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftercare.config import get_settings
from aftercare.db import utcnow
from aftercare.errors import NotFound
from aftersales.lifecycle_models import LifecycleKind, LifecycleMessage, WinbackAnswer, WinbackReason
from aftersales.lifecycle_schemas import WinbackAnswerCreate

_SALT = "aftercare.winback-link"


def winback_token(message: LifecycleMessage) -> str:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT).dumps([message.id, message.customer_id])


def winback_url(message: LifecycleMessage) -> str:
    return f"{get_settings().base_url}/winback/{winback_token(message)}"


def message_from_token(session: Session, token: str) -> LifecycleMessage:
    """The win-back message a signed link names; NotFound for anything forged or altered."""
    try:
        message_id, customer_id = URLSafeSerializer(get_settings().secret_key, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("this link is not valid") from None
    message = session.get(LifecycleMessage, message_id) if isinstance(message_id, int) else None
    if message is None or message.customer_id != customer_id or message.kind != LifecycleKind.WIN_BACK:
        raise NotFound("this link is not valid")
    return message


def answer_of(session: Session, message: LifecycleMessage) -> WinbackAnswer | None:
    return session.scalar(select(WinbackAnswer).where(WinbackAnswer.message_id == message.id))


def submit_answer(
    session: Session, message: LifecycleMessage, data: WinbackAnswerCreate, *, now: datetime | None = None
) -> WinbackAnswer:
    now = now or utcnow()
    answer = answer_of(session, message)
    if answer is None:
        answer = WinbackAnswer(message_id=message.id, customer_id=message.customer_id, created_at=now)
        session.add(answer)
    answer.reason = data.reason
    answer.comment = data.comment.strip()
    answer.updated_at = now
    session.flush()
    return answer


def latest_answers(session: Session, customer_ids: list[int]) -> dict[int, WinbackAnswer]:
    """Each customer's most recent answer (for the lapsed-buyer list)."""
    if not customer_ids:
        return {}
    latest: dict[int, WinbackAnswer] = {}
    rows = session.scalars(
        select(WinbackAnswer)
        .where(WinbackAnswer.customer_id.in_(customer_ids))
        .order_by(WinbackAnswer.customer_id, WinbackAnswer.updated_at.desc(), WinbackAnswer.id.desc())
    )
    for row in rows:
        latest.setdefault(row.customer_id, row)
    return latest


def reason_counts(session: Session) -> dict[WinbackReason, int]:
    rows = session.execute(select(WinbackAnswer.reason, func.count()).group_by(WinbackAnswer.reason))
    return {WinbackReason(reason): count for reason, count in rows}
