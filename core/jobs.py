"""One lifecycle for every job row: claim, lease and heartbeat, retry, fail, cancel, recover.

A job row is a model built on `core.models.jobs.JobRow` (indexing tasks, classification
runs, generation jobs, and whatever comes next). Its app describes it once as a `JobKind`
and registers it (`register`, from the app's `AppConfig.ready`), so the one maintenance job
(`library.tasks.maintenance`, every minute) recovers every kind without `library`
importing the apps that use it.

A worker entry point looks like this:

    lease = jobs.claim(KIND, row_id)       # conditional UPDATE: of two deliveries one wins
    if lease is None:
        return                             # done, cancelled, or held by a live worker
    with lease:                            # heartbeat thread; exceptions are handled on exit
        row = lease.row
        ...long work, calling lease.renew(progress=...) (or lease.check()) now and then...
        with transaction.atomic():
            lease.lock()                   # SELECT ... FOR UPDATE: still ours, or LostClaim
            ...write the results...
            lease.complete(KIND_READY, progress=100.0)

The lease: a claim is valid while `heartbeat_at` is younger than
FRAMEWISE_TASK_LEASE_SECONDS. A background thread renews it every quarter lease with a
conditional UPDATE while the worker is inside long calls (download, decode, waiting for
speech, scoring, an LLM request) that cannot report progress; when that UPDATE matches no
row, the job was cancelled, deleted or taken over, the thread flags the loss and the
worker's next `renew`/`check`/`lock` raises `LostClaim`: it stops without writing.

Leaving the `with` block with an exception never propagates it:
* `LostClaim`: nothing is written (the row is someone else's now);
* a transient error (`is_transient`: a database blip, a full disk, an engine or LLM
  timeout) releases the row for retry, re-enqueued on commit, until
  FRAMEWISE_TASK_MAX_ATTEMPTS claims were made; then it fails with the error's code;
* an error that carries a code (`EngineError`, `GenerationError`, `ApplicationError`)
  fails the row with that code and message;
* anything else is a bug: logged with its traceback, the row fails with `kind.crash_code`.

`recover_stale` (the maintenance job) resumes rows whose lease expired (the worker was
killed) and re-enqueues waiting rows whose broker message was lost; after the attempt
limit it fails them with `worker_lost`. `cancel` ends active rows; their workers stop at
the next heartbeat. Every write is conditional on the claim, so re-delivered or late
messages are harmless.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from core.models.jobs import JobRow
from engines.errors import FramewiseError

logger = logging.getLogger(__name__)

Row = TypeVar("Row", bound=JobRow)


class LostClaim(Exception):
    """The row is no longer ours (lease taken over, job cancelled or deleted): stop without writing."""


@dataclass(frozen=True)
class JobKind(Generic[Row]):
    """What the lifecycle needs to know about one kind of job row."""

    name: str  # "indexing"; also the broker task-name prefix
    title: str  # "Indexing", for messages
    model: type[Row]
    function: str  # dotted path of the django-q2 entry point, called with the row's id
    waiting: tuple[str, ...]  # statuses of a row handed to the workers, unclaimed; a release goes to waiting[0]
    running: str  # the status while a worker holds it
    failed: str
    crash_code: str  # the error code of an unexpected exception
    related: tuple[str, ...] = ()  # select_related of the claimed row
    reset: Mapping[str, Any] = field(default_factory=dict)  # fields a release or resume sets (e.g. progress)
    on_fail: Callable[[Row], None] | None = None  # runs inside the failing transaction

    @property
    def active(self) -> tuple[str, ...]:
        return (*self.waiting, self.running)


_KINDS: dict[str, JobKind[Any]] = {}


def register(kind: JobKind[Any]) -> JobKind[Any]:
    """Make `recover_stale` cover this kind (call from the owning app's AppConfig.ready)."""
    _KINDS[kind.name] = kind
    return kind


def registered() -> list[JobKind[Any]]:
    return list(_KINDS.values())


def worker_id() -> str:
    """This process; computed per call because cluster workers are forked after import."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)


def heartbeat_interval() -> float:
    # Four beats per lease: one or two lost to a database blip do not expire it.
    return max(0.5, settings.FRAMEWISE_TASK_LEASE_SECONDS / 4)


def enqueue(kind: JobKind[Any], row_id: Any) -> None:
    """Hand the row to the workers once the current transaction commits (never an uncommitted id)."""
    transaction.on_commit(lambda: hand_over(kind, row_id))


def hand_over(kind: JobKind[Any], row_id: Any) -> None:
    """Give a committed row's id to the broker; a broker that fails now changes nothing committed.

    This runs after the commit, so the row and its files are already the truth: a failure here
    (Redis down, the SQLite broker table locked) must neither escape into the request (a 500 for
    work that was accepted) nor undo anything. The row waits unclaimed, and `recover_stale`
    hands it over again once it has waited FRAMEWISE_TASK_REQUEUE_SECONDS, as for a lost message.
    """
    try:
        async_task(kind.function, row_id, task_name=f"{kind.name}:{row_id}")
    except Exception:
        logger.warning(
            "%s %s could not be enqueued (the broker failed after the commit); the maintenance job "
            "hands it over again after FRAMEWISE_TASK_REQUEUE_SECONDS",
            kind.name,
            row_id,
            exc_info=True,
        )


def describe(exc: BaseException) -> tuple[str, str, bool] | None:
    """(code, message, transient) of an error the lifecycle understands; None for a crash."""
    if isinstance(exc, FramewiseError):  # engines, generators, the fetcher, refusals: one shape
        return exc.code, exc.message, exc.transient
    if isinstance(exc, OperationalError | InterfaceError):
        # The driver's text can name the database file or host: it goes to the log, not the row.
        return "database_unavailable", "The database could not be reached; the job will be retried.", True
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "disk_full", "The disk is full; the job will be retried.", True
    return None


def is_transient(exc: BaseException) -> bool:
    described = describe(exc)
    return described is not None and described[2]


def claim(kind: JobKind[Row], row_id: Any, *, worker: str | None = None) -> Lease[Row] | None:
    """Take the row if it is waiting, or if its holder's lease expired; None when it is not ours to run."""
    worker = worker or worker_id()
    now = timezone.now()
    waiting = Q(status__in=kind.waiting, claimed_by="")
    abandoned = Q(status__in=kind.active, heartbeat_at__lt=now - lease_duration())
    claimed = (
        kind.model._default_manager.filter(pk=row_id)
        .filter(waiting | abandoned)
        .update(
            status=kind.running,
            claimed_by=worker,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", Value(now, output_field=DateTimeField())),
            updated_at=now,
        )
    )
    if claimed != 1:
        logger.info("%s %s: not claimable (done, cancelled, or held by another worker)", kind.name, row_id)
        return None
    row = kind.model._default_manager.select_related(*kind.related).get(pk=row_id)
    return Lease(kind, row, worker)


class Lease(Generic[Row]):
    """A worker's claim on one row; see the module docstring for how to use it."""

    def __init__(self, kind: JobKind[Row], row: Row, worker: str) -> None:
        self.kind = kind
        self.row = row
        self.worker = worker
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- while working -------------------------------------------------------------------

    def mine(self) -> QuerySet[Row]:
        """The row, if we still hold it: every write of the worker goes through this."""
        return self.kind.model._default_manager.filter(pk=self.row.pk, claimed_by=self.worker, status=self.kind.running)

    def check(self) -> None:
        if self.lost.is_set():
            raise LostClaim(self.row.pk)

    def renew(self, **fields: Any) -> None:
        """Write progress fields and renew the lease; LostClaim if the row is no longer ours."""
        self.check()
        now = timezone.now()
        if not self.mine().update(heartbeat_at=now, updated_at=now, **fields):
            self.lost.set()
            raise LostClaim(self.row.pk)

    def lock(self) -> None:
        """Inside the transaction that writes results: hold the row, or raise LostClaim (rolling it back)."""
        self.check()
        if not self.mine().select_for_update().exists():
            self.lost.set()
            raise LostClaim(self.row.pk)

    # --- ending the claim -----------------------------------------------------------------

    def complete(self, status: str, **fields: Any) -> None:
        """The job is done: a terminal status, the claim cleared. LostClaim if it was not ours any more."""
        self._end(status, finished_at=timezone.now(), **fields)

    def hand_over(self, status: str, **fields: Any) -> None:
        """The row goes on to another phase (e.g. validated -> queued for indexing), unclaimed."""
        self._end(status, heartbeat_at=None, **fields)

    def _end(self, status: str, **fields: Any) -> None:
        if not self.mine().update(status=status, claimed_by="", updated_at=timezone.now(), **fields):
            self.lost.set()
            raise LostClaim(self.row.pk)

    def fail(self, code: str, message: str) -> None:
        """End the job failed with a reason (and run the kind's clean-up); no effect if it is not ours."""
        with transaction.atomic():
            now = timezone.now()
            updated = self.mine().update(
                status=self.kind.failed,
                error_code=code,
                error_message=message,
                claimed_by="",
                finished_at=now,
                updated_at=now,
            )
            if updated and self.kind.on_fail is not None:
                self.kind.on_fail(self.row)
        logger.warning("%s %s failed: %s: %s", self.kind.name, self.row.pk, code, message)

    def release(self, code: str, message: str) -> None:
        """A transient error: give the row back and enqueue it again, or fail once the attempts are used up."""
        attempts = self.row.attempts
        if attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
            self.fail(code, f"{message} (gave up after {attempts} attempts)")
            return
        with transaction.atomic():
            if self.mine().update(
                status=self.kind.waiting[0],
                claimed_by="",
                heartbeat_at=None,
                error_message=message,
                updated_at=timezone.now(),
                **self.kind.reset,
            ):
                enqueue(self.kind, self.row.pk)
        logger.info("%s %s: %s; released for retry", self.kind.name, self.row.pk, message)

    # --- the context manager: heartbeat, and what an exception means -------------------------

    def __enter__(self) -> Lease[Row]:
        # A claim made inside an outer transaction (tests, sync mode) is invisible to another
        # connection, so the heartbeat thread could not renew it: renew() in line suffices there.
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.row.pk}", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if exc is None or not isinstance(exc, Exception):
            return False  # done, or the process is being stopped: the lease expires and recovery resumes it
        try:
            self._handle(exc)
        except Exception:  # the database is gone entirely: the lease will expire and recovery resumes the job
            logger.exception("%s %s: could not record the outcome", self.kind.name, self.row.pk)
        return True

    def _handle(self, exc: Exception) -> None:
        if isinstance(exc, LostClaim):
            logger.info(
                "%s %s: no longer ours (cancelled, deleted or taken over); stopping", self.kind.name, self.row.pk
            )
            return
        described = describe(exc)
        if described is None:
            # The exception's text (paths, internals) is for the operator's log only: the stored
            # message reaches the API and webhook payloads.
            logger.error("%s %s crashed", self.kind.name, self.row.pk, exc_info=exc)
            message = f"{self.kind.title} failed unexpectedly (error {self.kind.crash_code}); the details were logged."
            self.fail(self.kind.crash_code, message)
            return
        code, message, transient = described
        if not isinstance(exc, FramewiseError):  # a database or disk error: its text is logged only
            logger.warning("%s %s: %s", self.kind.name, self.row.pk, code, exc_info=exc)
        if transient:
            self.release(code, message)
        else:
            self.fail(code, message)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(heartbeat_interval()):
                try:
                    if not self.mine().update(heartbeat_at=timezone.now()):
                        self.lost.set()
                        return
                except DatabaseError:  # a blip: the next beat may get through before the lease runs out
                    logger.warning("%s %s: heartbeat failed", self.kind.name, self.row.pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only


# --- outside the workers ------------------------------------------------------------------------


def cancel(kind: JobKind[Row], rows: QuerySet[Row], *, code: str, message: str) -> int:
    """End the active rows of `rows` as failed; a worker holding one stops at its next heartbeat or write."""
    now = timezone.now()
    return rows.filter(status__in=kind.active).update(
        status=kind.failed,
        claimed_by="",
        heartbeat_at=None,
        error_code=code,
        error_message=message,
        finished_at=now,
        updated_at=now,
    )


def lease_expired(row: JobRow, *, running: str, now: datetime | None = None) -> bool:
    """Claimed, but its worker stopped renewing: nobody is doing the work it shows."""
    if getattr(row, "status", None) != running or not row.claimed_by or row.heartbeat_at is None:
        return False
    return row.heartbeat_at < (now or timezone.now()) - lease_duration()


def recover_stale(*, now: datetime | None = None, kinds: Iterable[JobKind[Any]] | None = None) -> dict[str, int]:
    """Resume (or, after the attempt limit, fail) rows whose worker died or whose message was lost."""
    now = now or timezone.now()
    counts = {"resumed": 0, "failed": 0}
    for kind in registered() if kinds is None else kinds:
        for name, number in _recover(kind, now).items():
            counts[name] += number
    return counts


def _recover(kind: JobKind[Any], now: datetime) -> dict[str, int]:
    counts = {"resumed": 0, "failed": 0}
    manager = kind.model._default_manager
    abandoned = Q(status=kind.running, heartbeat_at__lt=now - lease_duration())
    # A waiting row nobody claimed for this long lost its broker message (or the broker is
    # far behind, when the extra message is harmless): hand it to the workers again.
    lost = Q(
        status__in=kind.waiting,
        claimed_by="",
        updated_at__lt=now - timedelta(seconds=settings.FRAMEWISE_TASK_REQUEUE_SECONDS),
    )
    for row in manager.filter(abandoned | lost):
        # Conditional on the row being unchanged since we read it: a worker that wakes up and
        # renews its lease in between wins, and we leave the row alone.
        unchanged = manager.filter(
            pk=row.pk, status=row.status, claimed_by=row.claimed_by, heartbeat_at=row.heartbeat_at
        ).filter(updated_at=row.updated_at)
        with transaction.atomic():
            if row.attempts >= settings.FRAMEWISE_TASK_MAX_ATTEMPTS:
                message = (
                    f"The worker stopped responding during {kind.title.lower()} ({row.attempts} attempts); giving up."
                )
                if unchanged.update(
                    status=kind.failed,
                    claimed_by="",
                    error_code="worker_lost",
                    error_message=message,
                    finished_at=now,
                    updated_at=now,
                ):
                    if kind.on_fail is not None:
                        kind.on_fail(row)
                    counts["failed"] += 1
            elif unchanged.update(
                status=kind.waiting[0], claimed_by="", heartbeat_at=None, updated_at=now, **kind.reset
            ):
                enqueue(kind, row.pk)
                counts["resumed"] += 1
    if any(counts.values()):
        logger.warning("%s: recovered stale jobs: %s", kind.name, counts)
    return counts
