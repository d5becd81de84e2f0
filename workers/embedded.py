"""The task queue's worker inside ``aftercare serve``: the embedded default needs no second command.

Without it, ``make run`` queued the confirmation e-mails, tips, surveys and scans and nothing ever
ran them (they waited for ``aftercare worker``). ``AFTERCARE_EMBEDDED_WORKER``:

- ``auto`` (default): on when the queue is the embedded SQLite file (``AFTERCARE_QUEUE_URL`` empty
  or ``sqlite://...``); off for Redis, where separate ``aftercare worker`` processes are expected.
- ``on`` / ``off``: always / never.

One process runs it: ``aftercare serve`` starts it in the process that runs uvicorn, which with
``--workers N`` is the supervisor (the web processes are its children), so N web processes still
mean one worker. A file lock in the data dir also keeps a second ``serve`` on the same data dir
from running another copy; a separate ``aftercare worker`` is not excluded (its jobs are written to
be safe to run twice, see workers.queue), but there is no reason to run both.

It is Huey's own consumer (one worker thread plus the periodic scheduler), started without the
consumer's signal handlers: uvicorn owns the process's signals, and ``stop()`` is called when
uvicorn returns.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from huey.consumer import Consumer

from aftercare.config import EmbeddedWorker, Settings

logger = logging.getLogger(__name__)

LOCK_FILE = "embedded-worker.lock"
# Seconds a stop waits for a job in progress (an outbox drain stops itself within its own limit).
SHUTDOWN_TIMEOUT = 30.0
# How often a dead worker or scheduler thread is replaced, as ``aftercare worker`` does.
HEALTH_CHECK_SECONDS = 10.0


def wanted(settings: Settings) -> bool:
    """Whether ``aftercare serve`` should run the worker, by ``AFTERCARE_EMBEDDED_WORKER``."""
    if settings.embedded_worker is EmbeddedWorker.AUTO:
        return settings.queue_url == "" or settings.queue_url.startswith("sqlite:")
    return settings.embedded_worker is EmbeddedWorker.ON


def _take_lock(path: Path) -> IO[str] | None:
    """An exclusive lock on ``path`` held while the returned file stays open; None if another process has it."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


@dataclass
class EmbeddedConsumer:
    consumer: Consumer
    lock: IO[str]
    _stop: threading.Event
    _monitor: threading.Thread

    def stop(self) -> None:
        """Let a job in progress finish (up to SHUTDOWN_TIMEOUT), then stop the threads and release the lock."""
        self._stop.set()
        self._monitor.join(timeout=5)
        try:
            self.consumer.stop(graceful=True)
            self.consumer.huey.notify_interrupted_tasks()
        finally:
            self.lock.close()
        logger.info("embedded worker stopped")


def start(settings: Settings) -> EmbeddedConsumer | None:
    """Start the worker in this process when the settings want it and no other process runs it."""
    if not wanted(settings):
        return None
    lock = _take_lock(settings.data_dir / LOCK_FILE)
    if lock is None:
        logger.warning("embedded worker not started: another process on %s runs it", settings.data_dir)
        return None
    from workers.queue import get_huey

    try:
        huey = get_huey(settings)
        consumer = huey.create_consumer(
            workers=1, periodic=True, worker_type="thread", shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        # Consumer.start() would also take over SIGINT/SIGTERM/SIGHUP, which are uvicorn's here.
        consumer.scheduler.start()
        for _, thread in consumer.worker_threads:
            thread.start()
    except BaseException:
        lock.close()
        raise
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(HEALTH_CHECK_SECONDS):
            consumer.check_worker_health()

    monitor = threading.Thread(target=watch, name="embedded-worker-health", daemon=True)
    monitor.start()
    logger.info(
        "embedded worker started: queued mail, tips, surveys and scans run in this process "
        "(AFTERCARE_EMBEDDED_WORKER=off where separate 'aftercare worker' processes run them)"
    )
    return EmbeddedConsumer(consumer, lock, stop, monitor)
