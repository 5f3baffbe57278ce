"""Attempts run by outside workers (a Temporal activity, a Prefect flow, an
external orchestrator's worker): what they fetch, report and finish.

The AttemptService (server/engine/attempt_service.py) turns its messages into
these calls. Every call is fenced by the attempt's token: anything for a token
that is no longer the run's current one is refused (`FailedPrecondition`), as
the ExecutorService refuses a stale executor. A worker only ever receives
the plan and the secrets from here, at run time, so neither enters the
backend's own history or database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from syncplane.server.db import attempts as db
from syncplane.server.db import credentials
from syncplane.server.db import runs as runs_db
from syncplane.server.db.models import Run
from syncplane.server.engine import states
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.server.engine.progress import ProgressWriter
from syncplane.server.errors import FailedPrecondition
from syncplane.server.sealing import SealError

log = structlog.get_logger(__name__)

STALE = "the attempt is no longer current (a newer attempt took over, or it ended)"


@dataclass(frozen=True)
class AttemptWork:
    """What a worker needs to run one attempt (secrets included: never logged)."""

    run_id: uuid.UUID
    token: int
    attempt_number: int
    kind: str
    connector: str
    spec: dict[str, Any]
    secrets: dict[str, Any]
    checkpoint: dict[str, Any]
    root_run_id: uuid.UUID
    lease_seconds: float
    queue: str


@dataclass(frozen=True)
class Reported:
    cancel_requested: bool
    lease_expires_at: datetime


@dataclass(frozen=True)
class Report:
    """One report of an outside worker; every part optional."""

    progress: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    backend_ref: str | None = None
    backend_url: str | None = None
    backend_status: dict[str, Any] | None = None


class OutsideAttempts:
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, progress: ProgressWriter, lease_seconds: float) -> None:
        self._pool = pool
        self._engine = engine
        self._progress = progress
        self._lease = lease_seconds
        #: Called (backend name, run id, token) when a worker's finish ended an
        #: attempt: the sweeper takes a last look at the backend (its final view
        #: of the attempt, which no poll saw when the worker ended it first).
        self.on_finished: Callable[[str, uuid.UUID, int], None] | None = None

    @property
    def lease_seconds(self) -> float:
        return self._lease

    async def fetch(self, run_id: uuid.UUID, token: int) -> AttemptWork:
        row = await db.attempt_of(self._pool, run_id, token)
        if row is None:
            raise FailedPrecondition(STALE)
        work = await self.work_of(row)
        if work is None:
            raise FailedPrecondition("the attempt's credentials could not be opened; it has ended failed")
        log.info("attempt.fetched", run_id=str(run_id), token=token, backend=row["execution_backend"])
        return work

    async def work_of(self, row: asyncpg.Record) -> AttemptWork | None:
        """The plan of a claimed attempt; None (the attempt ended failed) when
        its secrets cannot be opened."""
        run_id, token = row["id"], row["attempt_token"]
        try:
            opened = credentials.open_roles(row["secrets"])
        except SealError as exc:
            # Sealed under a key no server holds: every fetch would fail alike.
            log.error("run.secrets_unopenable", run_id=str(run_id), error=str(exc))
            await self._engine.finish(run_id, token, Outcome(states.FAILED, "failure", "config_error", str(exc)), {})
            return None
        run = Run.from_record(row)
        spec, secrets = self._engine.hooks(run.subject_kind).prepare_assignment(run, opened)
        return AttemptWork(
            run_id=run_id,
            token=token,
            attempt_number=run.attempt_number,
            kind=run.subject_kind,
            connector=run.connector,
            spec=spec,
            secrets=secrets,
            checkpoint=dict(run.checkpoint or {}),
            # Resume state is keyed by the chain's state root (as for native).
            root_run_id=run.state_root,
            lease_seconds=self._lease,
            queue=run.executor_group,
        )

    async def report(self, run_id: uuid.UUID, token: int, report: Report) -> Reported:
        """Renews the lease and records what the worker reports (progress is
        coalesced like an executor's)."""
        row = await db.report_attempt(
            self._pool, run_id, token, self._lease,
            ref=report.backend_ref or None, url=report.backend_url or None, status=report.backend_status,
        )
        if row is None:
            raise FailedPrecondition(STALE)
        if report.checkpoint is not None:
            await runs_db.save_checkpoint(self._pool, run_id, token, report.checkpoint)
        if report.progress is not None:
            self._progress.report(run_id, token, report.progress)
        return Reported(cancel_requested=row["status"] == states.CANCELLING, lease_expires_at=row["lease_expires_at"])

    async def finish(
        self, run_id: uuid.UUID, token: int, outcome: Outcome, summary: dict[str, Any], report: Report | None = None
    ) -> Run:
        """Ends the attempt (first recording the backend's reference, link and
        view, when the result names them). The same result sent again (a
        worker retrying a finish whose answer it lost) is answered with the
        ended run."""
        self._progress.discard(run_id)
        if report is not None and (report.backend_ref or report.backend_url or report.backend_status is not None):
            await db.report_attempt(
                self._pool, run_id, token, self._lease,
                ref=report.backend_ref or None, url=report.backend_url or None, status=report.backend_status,
            )
        row = await self._engine.finish(run_id, token, outcome, summary)
        if row is not None:
            if self.on_finished is not None:
                self.on_finished(row.execution_backend, run_id, token)
            return row
        current = await runs_db.get_run(self._pool, run_id)
        if current is not None and current.attempt_token == token and current.status == outcome.status:
            return current
        raise FailedPrecondition(STALE)


__all__ = ["AttemptWork", "OutsideAttempts", "Report", "Reported", "STALE"]
