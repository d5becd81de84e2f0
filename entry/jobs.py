"""Every module whose functions the queue runs as jobs; the queue itself knows no domain.

A domain with jobs decorates functions in its own module with ``workers.queue.job`` or
``workers.queue.periodic`` and adds the module here. Every process that enqueues or runs jobs (web
processes, the worker, CLI commands) registers this list first.
"""

from __future__ import annotations

from workers import queue

TASK_MODULES: tuple[str, ...] = (
    "helpdesk.email.tasks",
    "helpdesk.operations.tasks",
    "kb.feedback.tasks",
    "aftersales.tasks",
    "privacy.tasks",
)


def register_jobs() -> None:
    queue.register_task_modules(*TASK_MODULES)
