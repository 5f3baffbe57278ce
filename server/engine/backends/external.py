"""The `external` execution backend: an outside orchestrator's workers
(Airflow, Dagster, cron, anything that speaks HTTP) claim pending runs of
`external` syncs and run them.

Workers pull, as native executors do over their stream, so this backend offers
the dispatcher no capacity: a worker's ClaimAttempts (server/engine/
attempt_service.py) claims with `claim_backend_runs` (optionally one queue:
the run's executor group, a sync's `executionConfig.queue`), gets each plan
with a fresh fencing token and a lease, and then reports (renewing the lease,
with its own run reference and URL) and finishes through the AttemptService
like any outside worker. Liveness is the lease: a worker that stops reporting
has its attempt ended `heartbeat_timeout` by the sweeper and, within the
run's `maxAutoResumeAttempts`, the next attempt is queued for the next claim.
A cancel reaches the worker as `cancelRequested` in the answer to its next
report.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import structlog

from syncplane.server.db import attempts as db
from syncplane.server.engine.attempts import AttemptWork, OutsideAttempts
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.lifecycle import RunEngine

log = structlog.get_logger(__name__)

NAME = "external"
#: The most runs one claim hands out.
MAX_CLAIM = 100


class ExternalBackend:
    name = NAME
    liveness = Liveness.LEASE

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, attempts: OutsideAttempts) -> None:
        self._pool = pool
        self._engine = engine
        self._attempts = attempts

    # -- the seam ----------------------------------------------------------------------
    def capacity(self) -> list[Capacity]:
        return []  # workers come and claim (see `claim`)

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        raise RuntimeError("the external backend is never handed claims: its workers claim")

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        return False  # the worker learns it from the answer to its next report

    async def poll(self, run: asyncpg.Record) -> BackendState:
        return BackendState(RunPhase.UNKNOWN)  # the lease decides

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        return BackendState(RunPhase.UNKNOWN)

    # -- external only -----------------------------------------------------------------
    async def claim(
        self, worker_id: str, queue: str, connectors: Sequence[str], limit: int
    ) -> list[AttemptWork]:
        """Claims up to `limit` pending runs for one worker."""
        limit = max(1, min(limit, MAX_CLAIM))
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                rows = await db.claim_backend_runs(
                    conn, NAME, queue, limit, worker_id, self._attempts.lease_seconds, connectors
                )
                # Dialect hooks (e.g. an outbox event) commit with the claim.
                await self._engine.started(conn, rows)
        except asyncpg.UniqueViolationError:
            # Another claim took a run of the same mutex key at the same moment.
            log.info("external.mutex_race", worker_id=worker_id)
            return []
        if not rows:
            return []
        # Until the worker names its own run, the run shows who claimed it.
        await db.record_backend_refs(self._pool, [(r["id"], r["attempt_token"], worker_id, None) for r in rows])
        work = [w for w in [await self._attempts.work_of(r) for r in rows] if w is not None]
        log.info("external.claimed", worker_id=worker_id, queue=queue or None, runs=[str(w.run_id) for w in work])
        return work


__all__ = ["ExternalBackend", "MAX_CLAIM", "NAME"]
