"""The periodic jobs do their work in their own unit of work and are safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from aftercare.db import utcnow
from aftersales import segments, tasks
from aftersales.models import BroadcastStatus, LapsedBuyer, TipDelivery
from aftersales.schemas import BroadcastCreate, SegmentCreate, SegmentFilters
from tests.aftersales import factories as f
from workers.queue import registered_jobs, use_database


def test_the_jobs_are_registered_with_the_worker():
    names = set(registered_jobs())
    assert {
        "aftersales.tasks.schedule_tip_steps",
        "aftersales.tasks.send_survey_invitations",
        "aftersales.tasks.scan_lapsed_buyers",
        "aftersales.tasks.send_broadcasts",
    } <= names


def test_the_tip_job_enqueues_due_steps_once(database, session):
    f.article(session)
    f.programme(session)
    f.buy(session, f.customer(session), f.product(session), at=utcnow() - timedelta(hours=1))
    session.commit()
    with use_database(database):
        assert tasks.schedule_tip_steps().enqueued == 1
        assert tasks.schedule_tip_steps().enqueued == 0
    assert session.scalar(select(func.count()).select_from(TipDelivery)) == 1


def test_the_lapsed_job_stores_its_findings(database, session):
    item = f.product(session, renewal_days=30)
    f.buy(session, f.customer(session), item, at=utcnow() - timedelta(days=90))
    session.commit()
    with use_database(database):
        assert tasks.scan_lapsed_buyers() == 1
    assert session.scalar(select(func.count()).select_from(LapsedBuyer)) == 1


def test_the_broadcast_job_sends_queued_broadcasts(database, session):
    f.customer(session)
    segment = segments.create_segment(session, SegmentCreate(name="Everyone", filters=SegmentFilters()))
    broadcast = segments.create_broadcast(session, segment, BroadcastCreate(subject="Hi", body="News"), author=None)
    session.commit()
    with use_database(database):
        assert tasks.send_broadcasts() >= 1
    session.refresh(broadcast)
    assert broadcast.status == BroadcastStatus.SENT


def test_the_survey_job_runs(database, session):
    with use_database(database):
        assert tasks.send_survey_invitations() == {"csat": 0, "nps": 0}
