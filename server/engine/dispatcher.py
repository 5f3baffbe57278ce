"""Claims pending runs for the execution backends that have room for them.

Woken by NOTIFY (a trigger on any server), by a local trigger, by a slot
freeing up, and by a poll timer as the correctness fallback. Claims are
`FOR UPDATE SKIP LOCKED`, so several servers can dispatch from one database
without ever handing one attempt out twice. Where an attempt runs is the
backend's business (server/engine/backends): the dispatcher asks each for its
`capacity()`, claims that many runs of that backend, and hands each to
`start()`. Who holds what is the backends' (for `native`, the SessionRegistry).
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import structlog

from syncplane.failpoints import failpoint
from syncplane.server.db import attempts as attempts_db
from syncplane.server.db import runs as db
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.engine import poison
from syncplane.server.engine.backends.base import BackendRef, Capacity, ExecutionBackend, Liveness
from syncplane.server.engine.backends.registry import BackendRegistry
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.observability import metrics, run_context, tracing

log = structlog.get_logger(__name__)

#: Attempts of one claim an outside backend starts at once.
START_CONCURRENCY = 16


class Dispatcher:
    def __init__(
        self, pool: asyncpg.Pool, engine: RunEngine, backends: BackendRegistry, lease_seconds: float, poll_seconds: float,
        polled_lease_seconds: float | None = None,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._backends = backends
        self._lease = lease_seconds
        # A polled backend's claims start with the lease its polls renew: a
        # flood of starts must not lose attempts before their first poll.
        self._polled_lease = polled_lease_seconds if polled_lease_seconds is not None else lease_seconds
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._rr = 0
        # Places whose last claim came back short: nothing pending there.
        self._drained: set[tuple[str, str, frozenset[str]]] = set()
        # Counts wake-ups: a claim that came back short marks its place drained
        # only if nothing woke the loop meanwhile (a NOTIFY arriving during the
        # claim names a run the claim could not see yet).
        self._wakes = 0

    def deliver_cancel(self, payload: str | None) -> None:
        """NOTIFY syncplane_cancel "<run id>:<token>": stop it if it runs here."""
        if not payload:
            return
        run_part, _, token_part = payload.partition(":")
        try:
            run_id, token = uuid.UUID(run_part), int(token_part)
        except ValueError:
            return
        self._backends.cancel(run_id, token, "cancel requested")

    # -- the loop --------------------------------------------------------------------
    def wake(self, _payload: str | None = None) -> None:
        """Something may be pending (a trigger here or, by NOTIFY, elsewhere)."""
        self._wakes += 1
        self._drained.clear()
        self._wake.set()

    def slot_freed(self) -> None:
        """A slot freed up: worth a claim only while the queue may hold work."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            except TimeoutError:
                self._drained.clear()  # the poll is the correctness fallback
            self._wake.clear()
            try:
                await self.dispatch_once()
            except TRANSIENT as exc:
                log.warning("dispatch.failed", error=str(exc))
                await asyncio.sleep(0.5)
            except asyncpg.PostgresError as exc:
                # Not an outage (a query or a hook is wrong): said as such, and
                # the poll tries again rather than ending the server.
                log.error("dispatch.query_failed", error=poison.reason(exc))
                await asyncio.sleep(0.5)

    async def dispatch_once(self) -> int:
        """Fills free capacity until no backend can take more or nothing is pending."""
        total = 0
        progress = True
        while progress:
            progress = False
            places = [
                (backend, cap)
                for backend in self._backends
                for cap in backend.capacity()
                if cap.free > 0 and _drain_key(backend, cap) not in self._drained
            ]
            if not places:
                break
            # Rotate the starting place so work spreads across executors.
            self._rr = (self._rr + 1) % len(places)
            for backend, cap in places[self._rr :] + places[: self._rr]:
                claimed = await self._claim_for(backend, cap)
                total += claimed
                progress = progress or claimed > 0
        return total

    async def _claim_for(self, backend: ExecutionBackend, offered: Capacity) -> int:
        # Asked again right before the claim: earlier claims of this pass awaited,
        # and meanwhile the place may have started draining or gone.
        cap = next((c for c in backend.capacity() if c.key == offered.key), None)
        if cap is None or cap.free <= 0:
            return 0
        wakes = self._wakes
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                lease = self._polled_lease if backend.liveness is Liveness.POLL else self._lease
                rows = await db.claim_runs(
                    conn, cap.group, sorted(cap.connectors), cap.free, cap.worker_id, lease, backend.name
                )
                # Dialect hooks (e.g. an outbox event) commit with the claim.
                await self._engine.started(conn, rows)
        except asyncpg.UniqueViolationError:
            # Another server claimed a run of the same mutex key at the same
            # moment; the unique index refused ours. The poll retries.
            log.info("dispatch.mutex_race", executor_id=cap.worker_id)
            return 0
        if rows:
            await failpoint("engine.dispatch.claimed")  # claimed and committed, not yet assigned
        refs: list[tuple[uuid.UUID, int, BackendRef]] = []
        failure: BaseException | None = None
        results: list[BackendRef | None | BaseException]
        if backend.liveness is Liveness.POLL:
            # An outside engine's start is a round trip to it: the claim's
            # attempts start together (a few at a time), not one after another.
            limit = asyncio.Semaphore(START_CONCURRENCY)

            async def start_one(row: asyncpg.Record) -> BackendRef | None:
                async with limit:
                    return await _start(backend, cap, row)

            results = list(await asyncio.gather(*(start_one(row) for row in rows), return_exceptions=True))
        else:
            # Leased backends hand work to their executors in queue order.
            results = [await _start(backend, cap, row) for row in rows]
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failure = failure or result
            elif result is not None:
                refs.append((row["id"], row["attempt_token"], result))
        if refs and backend.liveness is Liveness.POLL:
            # An outside engine's own id for the attempt is how it is found
            # again (polls, adoption after a restart): kept on the run, in one
            # statement per claim, once every start of the claim has answered
            # (each run's ref after its own start). A leased attempt is found
            # by its lease.
            await attempts_db.record_backend_refs(
                self._pool, [(run_id, token, ref.external_id, ref.url) for run_id, token, ref in refs]
            )
        if failure is not None:
            # The refs of the attempts that did start are kept first; the
            # others stay claimed, and their lease or poll decides.
            raise failure
        if len(rows) < cap.free and self._wakes == wakes:
            # This group's queue is drained; a trigger or the poll timer says
            # when to look again, so freed slots do not each cost a query.
            self._drained.add(_drain_key(backend, cap))
        return len(rows)


async def _start(backend: ExecutionBackend, cap: Capacity, row: asyncpg.Record) -> BackendRef | None:
    """Hands one claimed attempt to its backend (start is only ever called
    here, on a fresh claim: never twice for one attempt)."""
    ids = run_context.remember(row)
    started, created = row["started_at"], row["created_at"]
    metrics.run_started(ids.kind, backend.name, (started - created).total_seconds() if started else None)
    with run_context.bound(ids), tracing.dispatching(row, backend.name):
        return await backend.start(cap, row)


def _drain_key(backend: ExecutionBackend, cap: Capacity) -> tuple[str, str, frozenset[str]]:
    # Per backend, group and connector set (not per place): every place of one
    # shape sees the same queue.
    return (backend.name, cap.group, cap.connectors)


