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

A claim may wait for work (a long poll, `wait` seconds, at most
`MAX_CLAIM_WAIT`): when nothing is pending it sleeps until a run is queued
anywhere (`wake`, subscribed to the `syncplane_runs_pending` notification
every queued run sends, whichever replica queued it) and claims again, so an
idle worker hears of a run within a round trip instead of a poll interval.
It also looks again every `RECHECK_SECONDS` (a notification lost while the
listener reconnected, a run whose `not_before` came due).
"""

from __future__ import annotations

import asyncio
import time
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
#: The longest a claim waits for work.
MAX_CLAIM_WAIT = 30.0
#: A waiting claim looks again at least this often, notified or not.
RECHECK_SECONDS = 1.0


class ExternalBackend:
    name = NAME
    liveness = Liveness.LEASE

    def __init__(
        self, pool: asyncpg.Pool, engine: RunEngine, attempts: OutsideAttempts, *, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        self._pool = pool
        self._recheck = recheck_seconds
        self._engine = engine
        self._attempts = attempts
        # Set (and replaced) each time a run is queued: what waiting claims wait on.
        self._queued = asyncio.Event()
        #: Claims waiting for work now (for operators and tests).
        self.waiting = 0
        self._closed = False

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
    def close(self) -> None:
        """The server is stopping: waiting claims answer now (with nothing), not
        at the end of their wait, so they do not hold up its shutdown."""
        self._closed = True
        self.wake()

    def wake(self, _payload: str | None = None) -> None:
        """A run was queued (the `syncplane_runs_pending` notification): waiting claims look."""
        self._queued.set()
        self._queued = asyncio.Event()

    async def claim(
        self, worker_id: str, queue: str, connectors: Sequence[str], limit: int, wait: float = 0.0
    ) -> list[AttemptWork]:
        """Claims up to `limit` pending runs for one worker; with none pending,
        waits up to `wait` seconds for some (see the module docstring)."""
        deadline = time.monotonic() + max(0.0, min(wait, MAX_CLAIM_WAIT))
        while True:
            # Taken before claiming: a run queued while the claim runs wakes the wait below.
            queued = self._queued
            work = await self._claim_once(worker_id, queue, connectors, limit)
            left = deadline - time.monotonic()
            if work or left <= 0 or self._closed:
                return work
            self.waiting += 1
            try:
                await asyncio.wait_for(queued.wait(), timeout=min(left, self._recheck))
            except TimeoutError:
                pass
            finally:
                self.waiting -= 1

    async def _claim_once(
        self, worker_id: str, queue: str, connectors: Sequence[str], limit: int
    ) -> list[AttemptWork]:
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


__all__ = ["ExternalBackend", "MAX_CLAIM", "MAX_CLAIM_WAIT", "NAME"]
