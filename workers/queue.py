"""The task queue: Huey, with a registry so that every domain adds jobs by module.

Why Huey: it is small (one package, no broker daemon of its own) and well kept; ``SqliteHuey``
keeps the queue in a SQLite file under the data dir, so the embedded default needs no server
at all; ``RedisHuey`` lets several worker processes on several machines share one queue; it has
periodic (crontab) tasks, delays and retries built in. Celery needs a broker and far more
moving parts; Dramatiq has no embedded backend and no scheduler of its own.

``AFTERCARE_QUEUE_URL``:

- ``""`` (default): SqliteHuey on ``data_dir/queue.db``; ``sqlite:///path`` for another file.
- ``redis://host:port/db``: RedisHuey (several workers, several machines).
- ``memory://``: in-process MemoryHuey; ``immediate://`` runs every job at once where it is
  enqueued (tests, debugging).

**Registry contract.** A domain decorates plain functions in a module of its own, and the entry
layer (``entry.jobs``) names that module with ``register_task_modules``; the queue knows no
domain. The functions stay plain (call them directly in tests)::

    from workers.queue import crontab, job, periodic, worker_database

    @periodic(crontab(minute="0", hour="3"))      # naive UTC, as Huey evaluates crontabs
    def schedule_tip_steps() -> None:
        with worker_database().session(write=True) as session:  # commits at the end of the block
            ...

    @job(retries=3, retry_delay=60)
    def rebuild_something(item_id: int) -> None: ...

    enqueue_job("aftersales.tasks.rebuild_something", 42)   # by "module.function" name

Periodic jobs must be idempotent (safe to run twice, or in two workers at once): a consumer
runs them by their crontab, ``aftercare worker --once`` runs each one whose crontab fired since
its last run (cron-style deployments), and with several consumers only one should run the
scheduler (``--no-periodic`` on the others).

**Writing on SQLite.** A job's unit of work that writes opens with ``session(write=True)``: it
takes SQLite's write lock before its first read and waits for the current writer up to the busy
timeout (``aftercare.db`` explains why a plain ``BEGIN`` that reads first fails at once instead).
Keep those units short (no SMTP, no embedding inside them); a job with much to do commits in
batches. If the lock is still busy after the timeout, the job is not failed: it is run again,
whole, ``BUSY_RETRY_DELAY_SECONDS`` later (a Huey retry; jobs are idempotent, so a repeat of the
part that committed adds nothing).
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Task
from huey.exceptions import HueyException, RetryTask
from huey.signals import SIGNAL_ERROR, SIGNAL_RETRYING

from aftercare.config import Settings, get_settings
from aftercare.db import Database, is_database_busy

__all__ = [
    "Job",
    "RunSummary",
    "build_huey",
    "crontab",
    "enqueue_job",
    "get_huey",
    "job",
    "periodic",
    "run_once",
    "register_task_modules",
    "set_huey",
    "use_database",
    "worker_database",
]

logger = logging.getLogger(__name__)

QUEUE_NAME = "aftercare"
_LAST_RUN_PREFIX = "periodic-last-run:"
# How far back ``run_once`` looks for a crontab that fired while nothing ran.
CATCH_UP_WINDOW = timedelta(days=7)
MAX_TASKS_PER_RUN = 10_000
# A job that found SQLite's write lock still taken after the busy timeout runs again this much
# later: long enough for whatever held the lock (an import, a backup) to move on.
BUSY_RETRY_DELAY_SECONDS = 30


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Any]
    schedule: Callable[[datetime], bool] | None = None
    retries: int = 0
    retry_delay: int = 0
    # False for periodic jobs that ``run_once`` covers by other means (the outbox drain).
    in_run_once: bool = True
    # Set for a job that ``run_once`` calls last, after the others queued their work (sending mail);
    # its result is reported under this label.
    finishes_run_once_as: str | None = None


_JOBS: dict[str, Job] = {}
# Huey queues a job under "module.function". When a module moves, messages queued before the
# upgrade still carry the old module's name, and Huey drops a name it does not know.
_FORMER_MODULES: dict[str, str] = {}


def formerly(old_module: str, module: str) -> None:
    """Declare that ``module``'s jobs were queued as ``old_module``'s before it moved."""
    _FORMER_MODULES[old_module] = module


def _job_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__name__}"


def job(
    *, retries: int = 0, retry_delay: int = 0, finishes_run_once_as: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a job that can be enqueued by name (``enqueue_job``).

    ``finishes_run_once_as``: ``run_once`` also calls it (with no arguments) after every other job,
    and reports its result under that label.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _JOBS[_job_name(func)] = Job(
            _job_name(func), func, None, retries, retry_delay, finishes_run_once_as=finishes_run_once_as
        )
        return func

    return register


def periodic(
    schedule: Callable[[datetime], bool], *, in_run_once: bool = True
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a no-argument function to run on a Huey ``crontab`` schedule."""

    def register(func: Callable[[], Any]) -> Callable[[], Any]:
        _JOBS[_job_name(func)] = Job(_job_name(func), func, schedule, in_run_once=in_run_once)
        return func

    return register


def registered_jobs() -> dict[str, Job]:
    _import_task_modules()
    return dict(_JOBS)


_TASK_MODULES: list[str] = []


def register_task_modules(*module_names: str) -> None:
    """Name modules whose jobs this process enqueues or runs (imported when the queue is built)."""
    global _huey
    added = [name for name in module_names if name not in _TASK_MODULES]
    _TASK_MODULES.extend(added)
    if added and _huey is not None:
        _huey = None  # rebuilt with the new jobs on next use


def _import_task_modules() -> None:
    for module_name in _TASK_MODULES:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            logger.warning("task module %s is listed but does not exist", module_name)


# --- the Huey instance --------------------------------------------------------------------------


def _instance_for(queue_url: str, data_dir: Path) -> Huey:
    if queue_url in ("", "sqlite://"):
        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(data_dir / "queue.db"), results=False)
    if queue_url.startswith("sqlite:///"):
        path = Path(queue_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(QUEUE_NAME, url=queue_url, results=False)
    if queue_url == "memory://":
        return MemoryHuey(QUEUE_NAME, results=False)
    if queue_url == "immediate://":
        return MemoryHuey(QUEUE_NAME, results=False, immediate=True)
    raise ValueError(
        f"unsupported AFTERCARE_QUEUE_URL {queue_url!r}: use '', sqlite:///, redis://, memory:// or immediate://"
    )


def retry_when_busy(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as a job body: a database still locked after the busy timeout is a retry, not a failure."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as error:
            if not is_database_busy(error):
                raise
            logger.warning(
                "%s: the database stayed locked; running it again in %s s", _job_name(func), BUSY_RETRY_DELAY_SECONDS
            )
            raise RetryTask("database busy", delay=BUSY_RETRY_DELAY_SECONDS) from error

    return run


def _periodic_body(huey: Huey, spec: Job) -> Callable[[], Any]:
    def run() -> Any:
        result = retry_when_busy(spec.func)()
        # Recorded so that ``run_once`` knows what is due, whoever ran it last.
        huey.put(_LAST_RUN_PREFIX + spec.name, datetime.now(UTC).timestamp())
        return result

    run.__name__ = spec.func.__name__
    run.__module__ = spec.func.__module__
    run.__doc__ = spec.func.__doc__
    return run


def build_huey(queue_url: str, data_dir: Path) -> Huey:
    """A Huey instance on ``queue_url`` with every registered job on it."""
    huey = _instance_for(queue_url, data_dir)
    for spec in registered_jobs().values():
        if spec.schedule is None:
            huey.task(retries=spec.retries, retry_delay=spec.retry_delay, name=spec.func.__name__)(
                retry_when_busy(spec.func)
            )
        else:
            huey.periodic_task(spec.schedule, name=spec.func.__name__)(_periodic_body(huey, spec))
    tasks_by_name = huey._registry._registry
    for old_module, module in _FORMER_MODULES.items():
        for name, task_class in list(tasks_by_name.items()):
            if name.startswith(module + "."):
                tasks_by_name.setdefault(old_module + name[len(module) :], task_class)
    return huey


_huey: Huey | None = None


def get_huey(settings: Settings | None = None) -> Huey:
    """This process's queue, built from settings on first use."""
    global _huey
    if _huey is None:
        settings = settings or get_settings()
        _huey = build_huey(settings.queue_url, settings.data_dir)
    return _huey


def set_huey(huey: Huey | None) -> None:
    """Use ``huey`` as this process's queue (tests); None rebuilds it from settings next time."""
    global _huey
    _huey = huey


def enqueue_job(name: str, *args: Any, delay: float | None = None, huey: Huey | None = None, **kwargs: Any) -> None:
    """Put job ``name`` ("module.function") on the queue, optionally after ``delay`` seconds."""
    huey = huey or get_huey()
    task_class = huey._registry.string_to_task(name)
    eta = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=delay) if delay else None
    huey.enqueue(task_class(args, kwargs, eta=eta))


# --- the database jobs use ------------------------------------------------------------------------


_database: Database | None = None


def worker_database() -> Database:
    """The database for jobs in this process (one engine, opened on first use)."""
    global _database
    if _database is None:
        _database = Database(get_settings().database_url_resolved)
    return _database


@contextmanager
def use_database(database: Database) -> Iterator[Database]:
    """Run jobs against ``database`` inside this block (tests, benchmarks)."""
    global _database
    previous, _database = _database, database
    try:
        yield database
    finally:
        _database = previous


# --- running what is due, once ----------------------------------------------------------------


@dataclass
class RunSummary:
    executed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Jobs that will run again later (the database stayed locked): not failures.
    retrying: list[str] = field(default_factory=list)
    # What the finishing jobs returned, by their label (e.g. "outbox": what the drain sent).
    results: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        errors = f"; {len(self.errors)} failed: {', '.join(self.errors)}" if self.errors else ""
        retrying = f"; {len(self.retrying)} to retry: {', '.join(self.retrying)}" if self.retrying else ""
        results = "".join(f"; {label}: {result}" for label, result in self.results.items())
        return f"ran {len(self.executed)} jobs{errors}{retrying}{results}"


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _fired_since(schedule: Callable[[datetime], bool], last_run: datetime | None, now: datetime) -> bool:
    """Whether the crontab matched any minute after ``last_run`` up to ``now`` (naive UTC)."""
    if last_run is None:
        return True
    minute = max(last_run, now - CATCH_UP_WINDOW).replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = now.replace(second=0, microsecond=0)
    while minute <= end:
        if schedule(minute):
            return True
        minute += timedelta(minutes=1)
    return False


def _execute(huey: Huey, task: Task, summary: RunSummary, moment: datetime) -> None:
    name = type(task).__name__
    if not huey.ready_to_run(task, moment):
        huey.add_schedule(task)
        return
    failed: list[Task] = []
    retrying: list[Task] = []

    def on_error(signal: str, failed_task: Task, *args: Any) -> None:
        failed.append(failed_task)

    def on_retry(signal: str, retried_task: Task, *args: Any) -> None:
        retrying.append(retried_task)

    # Huey's own execute, so retries and scheduling behave exactly as in the consumer; it logs
    # and swallows a job's exception, so the signals are how we learn of it.
    huey.signal(SIGNAL_ERROR)(on_error)
    huey.signal(SIGNAL_RETRYING)(on_retry)
    try:
        huey.execute(task, moment)
    finally:
        huey.disconnect_signal(on_error, SIGNAL_ERROR)
        huey.disconnect_signal(on_retry, SIGNAL_RETRYING)
    if failed:
        summary.errors.append(name)
    elif retrying:
        summary.retrying.append(name)
    else:
        summary.executed.append(name)


def run_once(huey: Huey | None = None, *, now: datetime | None = None, drain: bool = True) -> RunSummary:
    """Run everything due now and return: scheduled and queued jobs, due periodic jobs, the outbox.

    For cron-style deployments (``aftercare worker --once`` every few minutes) and for tests.
    """
    huey = huey or get_huey()
    moment = _naive_utc(now or datetime.now(UTC))
    summary = RunSummary()
    for task in huey.read_schedule(moment):
        _execute(huey, task, summary, moment)
    _run_queued(huey, summary, moment)
    jobs = registered_jobs()
    for task in huey._registry.periodic_tasks:
        name = f"{type(task).__module__}.{type(task).__name__}"
        if name in jobs and not jobs[name].in_run_once:
            continue
        key = _LAST_RUN_PREFIX + name
        stamp = huey.get(key, peek=True)
        last_run = datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None) if stamp else None
        if _fired_since(task.validate_datetime, last_run, moment):
            _execute(huey, task, summary, moment)
    if drain:
        for spec in jobs.values():
            if spec.finishes_run_once_as is not None:
                _finish(spec, summary)
    # Jobs the periodic ones queued (outbox nudges after their commits, follow-up work).
    _run_queued(huey, summary, moment)
    return summary


def _finish(spec: Job, summary: RunSummary) -> None:
    short_name = spec.func.__name__
    try:
        summary.results[spec.finishes_run_once_as or short_name] = spec.func()
        summary.executed.append(short_name)
    except Exception as error:
        if is_database_busy(error):
            # Nothing lost: the job's work waits (e.g. mail in the outbox) for the next run.
            logger.warning("%s: the database stayed locked; the next run does it", short_name)
            summary.retrying.append(short_name)
        else:
            logger.exception("%s failed", short_name)
            summary.errors.append(short_name)


def _run_queued(huey: Huey, summary: RunSummary, moment: datetime) -> None:
    for _ in range(MAX_TASKS_PER_RUN):
        try:
            task = huey.dequeue()
        except HueyException as error:  # a job this version does not have (already off the queue)
            logger.error("dropped a queued job: %s", error)
            summary.errors.append(str(error))
            continue
        if task is None:
            return
        _execute(huey, task, summary, moment)
