"""Jobs queued before an upgrade moved their module (helpdesk.aftersales -> aftersales, workers.tasks ->
helpdesk.email.tasks) still run,
and a queued job this version does not know is reported, never a crash of ``worker --once``."""

from __future__ import annotations

from huey.api import Task

from workers import queue


def _enqueue_under_name(huey, task_class: type[Task], name: str) -> None:
    """Put a message on the queue exactly as an older version (or another program) wrote it."""
    message = huey._registry.create_message(task_class())._replace(name=name)
    huey.storage.enqueue(huey.serializer.serialize(message))


def _aftersales_task(huey) -> type[Task]:
    return huey._registry.string_to_task("aftersales.tasks.schedule_tip_steps")


def test_a_job_queued_under_its_old_module_is_read_as_the_moved_job(memory_queue):
    task_class = _aftersales_task(memory_queue)
    _enqueue_under_name(memory_queue, task_class, "helpdesk.aftersales.tasks.schedule_tip_steps")

    assert type(memory_queue.dequeue()) is task_class


def test_a_queued_job_nobody_knows_is_reported_not_a_crash(memory_queue):
    _enqueue_under_name(memory_queue, _aftersales_task(memory_queue), "retired.module.some_job")

    summary = queue.run_once(memory_queue, drain=False)

    assert any("retired.module.some_job" in error for error in summary.errors)
    assert memory_queue.pending_count() == 0


def test_an_outbox_job_queued_before_mail_left_workers_is_read_as_the_moved_job(memory_queue):
    task_class = memory_queue._registry.string_to_task("helpdesk.email.tasks.send_outbox_now")
    _enqueue_under_name(memory_queue, task_class, "workers.tasks.send_outbox_now")

    assert type(memory_queue.dequeue()) is task_class
