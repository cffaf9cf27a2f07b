"""Background work: the one home of a job's life, whatever the job does.

A job (an import, a bulk change, an export) is a row of a
:class:`~outdials.models.BackgroundWork` model that people watch, and a task
of Django's Tasks API (``tasks.py``) that a worker (``manage.py db_worker``)
runs. The row moves ``queued → running → done | failed | cancelled``, each
step a conditional UPDATE, so a cancel and a worker never both win:

- :func:`begin` takes a queued job (a cancelled one is left alone);
- while it runs, a :class:`Tracker` writes its progress and a heartbeat from
  a thread of its own, and notices when the job was cancelled meanwhile;
- :func:`finish` / :func:`fail` end it; :func:`cancel` ends it from outside;
- :func:`sweep_stale` fails a running job whose heartbeat stopped (its worker
  was killed or crashed), so no job stays "running" for ever. Each kind of
  job registers what must be undone then (``on_lost``).
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import (
    BackgroundWork,
    ImportBatch,
    JobStatus,
    JobWorker,
    SuppressionUpload,
    TargetsJob,
)

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
WORKER_BEAT_SECONDS = 5.0  # a worker's own heartbeat (``JobWorker``)
WORKERS_KEPT = timedelta(days=1)  # rows of workers gone without a goodbye
EXPORTS_KEPT = timedelta(days=1)  # an export's file, for downloading
OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)
MODELS: tuple[type[BackgroundWork], ...] = (
    ImportBatch,
    TargetsJob,
    SuppressionUpload,
)
# What to undo when a job of a model is lost mid-way, and what that means.
_ON_LOST: dict[type, tuple[Callable[[BackgroundWork], None], str]] = {}

WORKER_LOST = "The worker running this job stopped (it was killed or crashed)."


class JobCancelled(Exception):
    """Raised inside a job whose row was cancelled (or failed) meanwhile."""


def on_lost(model: type[BackgroundWork], message: str):
    """Register the clean-up of ``model``'s jobs that end half-way, and the
    words that tell what is left of such a job."""

    def register(function):
        _ON_LOST[model] = (function, message)
        return function

    return register


def lost_message(model: type[BackgroundWork]) -> str:
    return f"{WORKER_LOST} {_ON_LOST[model][1]}" if model in _ON_LOST else WORKER_LOST


def enqueue(work: BackgroundWork, task) -> None:
    """Queue ``task(work.pk)`` and note the task's id on ``work``.

    With the database backend the task row commits with the caller's
    transaction, so a job and its row are never one without the other. (A
    backend outside the database, RQ or Celery, would want this to run in
    ``transaction.on_commit``.)"""
    result = task.enqueue(str(work.pk))
    type(work).objects.filter(pk=work.pk).update(task_id=str(result.id))
    work.task_id = str(result.id)


def begin(work: BackgroundWork) -> bool:
    """Mark ``work`` running; ``False`` when it is no longer queued."""
    now = timezone.now()
    taken = (
        type(work)
        .objects.filter(pk=work.pk, status=JobStatus.QUEUED)
        .update(status=JobStatus.RUNNING, tm_start=now, tm_heartbeat=now)
    )
    if taken:
        work.status, work.tm_start, work.tm_heartbeat = JobStatus.RUNNING, now, now
    return bool(taken)


def finish_fields(work: BackgroundWork, **fields) -> dict:
    """The fields that end a job as done (for the job's own final UPDATE,
    which must share the transaction of what the job wrote)."""
    return {"status": JobStatus.DONE, "tm_end": timezone.now(), **fields}


def finish(work: BackgroundWork, **fields) -> bool:
    """Mark running ``work`` done with ``fields``; ``False`` if it was not
    running any more (cancelled or given up meanwhile)."""
    values = finish_fields(work, **fields)
    ended = (
        type(work).objects.filter(pk=work.pk, status=JobStatus.RUNNING).update(**values)
    )
    if ended:
        for name, value in values.items():
            setattr(work, name, value)
    return bool(ended)


def fail(
    work: BackgroundWork, reason: str, message: str, http_status: int = 0, **fields
) -> bool:
    """Mark open ``work`` failed with why; ``False`` if it had ended already."""
    values = {
        "status": JobStatus.FAILED,
        "error_reason": reason[:64],
        "error_message": message,
        "error_status": http_status,
        "tm_end": timezone.now(),
        **fields,
    }
    ended = type(work).objects.filter(pk=work.pk, status__in=OPEN).update(**values)
    if ended:
        for name, value in values.items():
            setattr(work, name, value)
    return bool(ended)


def cancel(work: BackgroundWork) -> bool:
    """Cancel queued or running ``work``. A queued job never starts; a running
    one stops at its next progress step and undoes what it wrote. ``False``
    when it had ended already."""
    now = timezone.now()
    ended = (
        type(work)
        .objects.filter(pk=work.pk, status__in=OPEN)
        .update(status=JobStatus.CANCELLED, tm_end=now)
    )
    if ended:
        was_queued = work.status == JobStatus.QUEUED
        work.status, work.tm_end = JobStatus.CANCELLED, now
        if was_queued:
            remove_file(work)
    return bool(ended)


def remove_file(work: BackgroundWork) -> None:
    if work.file:
        try:
            default_storage.delete(work.file)
        except OSError:
            logger.warning("could not remove %s", work.file)


def wait(work: BackgroundWork, seconds: float, step: float = 0.1) -> bool:
    """Wait up to ``seconds`` for ``work`` to end; reload it; answer whether
    it ended."""
    deadline = time.monotonic() + seconds
    while True:
        work.refresh_from_db()
        if work.is_finished:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(step, max(0.0, deadline - time.monotonic())))
        step = min(step * 1.5, 0.5)


class Tracker:
    """A running job's progress and heartbeat.

    ``update(checked=…, written=…, total=…)`` notes progress; a thread with its
    own database connection writes it once a second with the heartbeat, by a
    conditional UPDATE that also tells when the job was cancelled or given up
    (then :meth:`check` raises :class:`JobCancelled` in the job). A job run
    inside a transaction (by a test's in-process backend) writes inline.

    Stop it before the job's final UPDATE of its row: on PostgreSQL that
    UPDATE locks the row until commit, and the thread would wait on it.
    """

    def __init__(self, work: BackgroundWork):
        self.work = work
        self.values: dict = {}
        self.ended = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = 0.0

    def __enter__(self) -> "Tracker":
        if not connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._beat, name=f"heartbeat-{self.work.pk}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def update(self, **values) -> None:
        self.values.update(values)
        if self._thread is None and not self._stop.is_set():
            now = time.monotonic()
            if now - self._last >= HEARTBEAT_SECONDS:
                self._last = now
                self._write()
        self.check()

    def check(self) -> None:
        if self.ended:
            raise JobCancelled

    def stop(self) -> None:
        """Stop the heartbeat and write the last progress (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._write()

    def _write(self) -> None:
        work = self.work
        written = (
            type(work)
            .objects.filter(pk=work.pk, status=JobStatus.RUNNING)
            .update(tm_heartbeat=timezone.now(), **self.values)
        )
        if not written:
            self.ended = True

    def _beat(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self._write()
                except DatabaseError:
                    # A busy database: the next beat tries again, well
                    # within the time after which the job counts as lost.
                    logger.warning("heartbeat of %s not written", self.work.pk)
        finally:
            connection.close()


def sweep_stale(now=None) -> int:
    """Fail every running job whose heartbeat is older than
    ``OUTDIALS["JOB_STALE_AFTER"]`` and undo what it left; answers how many.

    Safe to run from several workers at once: each job is failed by one
    conditional UPDATE, and only its winner cleans up."""
    now = now or timezone.now()
    cutoff = now - settings.OUTDIALS["JOB_STALE_AFTER"]
    lost = 0
    for model in MODELS:
        for work in model.objects.filter(
            status=JobStatus.RUNNING, tm_heartbeat__lt=cutoff
        ):
            if model.objects.filter(
                pk=work.pk, status=JobStatus.RUNNING, tm_heartbeat__lt=cutoff
            ).update(
                status=JobStatus.FAILED,
                error_reason="WORKER_LOST",
                error_message=lost_message(model),
                error_status=500,
                tm_end=now,
            ):
                lost += 1
                logger.warning("job %s lost its worker; marked failed", work.pk)
                clean_up(work)
                _fail_task(work)
    return lost


def clean_up(work: BackgroundWork) -> None:
    """Undo what a job that ended half-way left, and drop its file."""
    remove_file(work)
    if type(work) in _ON_LOST:
        _ON_LOST[type(work)][0](work)


def _fail_task(work: BackgroundWork) -> None:
    """The task row of a lost job stays "running" in the queue's table; mark
    it failed too so that the queue tells the same story."""
    if not work.task_id:
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=work.task_id, status="RUNNING").update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="outdials.jobs.WorkerLost",
        traceback=lost_message(type(work)),
    )


def housekeeping() -> dict:
    """What every worker does on the side, now and then: settle dialing
    claims whose lease passed, fail jobs whose worker was lost, and write
    the addresses the search reads of targets that have none yet."""
    from . import bulk, dialing, targets

    return {
        "expired_claims": dialing.settle_expired(),
        "lost_jobs": sweep_stale(),
        "addresses_written": targets.write_missing_addresses(),
        "exports_removed": bulk.prune_exports(timezone.now() - EXPORTS_KEPT),
        "workers_forgotten": JobWorker.objects.filter(
            tm_seen__lt=timezone.now() - WORKERS_KEPT
        ).delete()[0],
    }


def worker_seen(name: str, now=None) -> None:
    """Note that the worker ``name`` is alive (one row, updated in place)."""
    now = now or timezone.now()
    if not JobWorker.objects.filter(name=name).update(tm_seen=now):
        JobWorker.objects.update_or_create(name=name, defaults={"tm_seen": now})


def worker_gone(name: str) -> None:
    JobWorker.objects.filter(name=name).delete()


def unattended(now=None) -> str | None:
    """Why jobs wait with no worker to run them, or ``None``: jobs are queued
    or running and no worker was seen within ``OUTDIALS["WORKER_SEEN_WITHIN"]``.

    Cheap enough for every readiness probe: while a worker is alive it is one
    indexed look-up; only without one are the queue's waiting and running
    tasks looked for."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    within = settings.OUTDIALS["WORKER_SEEN_WITHIN"]
    if JobWorker.objects.filter(tm_seen__gte=now - within).exists():
        return None
    queue = DBTaskResult.objects
    waiting = queue.ready().exists() or queue.running().exists()
    if not waiting:
        return None
    last = JobWorker.objects.order_by("-tm_seen").values_list("tm_seen", flat=True)
    seen = last.first()
    ago = f"last seen {int((now - seen).total_seconds())} s ago" if seen else "none"
    return (
        f"jobs are waiting and no worker was seen for {int(within.total_seconds())}"
        f" s ({ago}); start manage.py db_worker."
    )


class Housekeeper:
    """In a thread of a worker: writes the worker's heartbeat every
    :data:`WORKER_BEAT_SECONDS` (or ``interval`` if shorter) and runs
    :func:`housekeeping` every ``interval`` seconds. Stopped, it removes the
    worker's row, so a worker shut down on purpose is not waited for."""

    def __init__(self, interval: float, worker_id: str):
        self.interval = interval
        self.name = f"{socket.gethostname()}:{os.getpid()}:{worker_id}"[:200]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            worker_gone(self.name)
        except DatabaseError:
            logger.warning("could not remove worker %s's heartbeat", self.name)
        finally:
            connection.close()

    def _run(self) -> None:
        beat = min(WORKER_BEAT_SECONDS, self.interval)
        next_round = 0.0
        try:
            while True:
                try:
                    worker_seen(self.name)
                    if time.monotonic() >= next_round:
                        next_round = time.monotonic() + self.interval
                        done = housekeeping()
                        if any(done.values()):
                            logger.info("housekeeping: %s", done)
                except DatabaseError:
                    logger.exception("housekeeping failed; trying again later")
                    connection.close()
                finally:
                    connection.close_if_unusable_or_obsolete()
                if self._stop.wait(beat):
                    return
        finally:
            connection.close()
