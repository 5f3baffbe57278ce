"""Ends attempts whose executor is gone, and cancels that took too long.

Rows are locked with SKIP LOCKED, so with several servers each expired attempt
is ended exactly once. A lost attempt fails with `heartbeat_timeout` and, within
its budget, the next attempt is queued in the same transaction; a cancelling
one ends `cancelled` and never starts another. Each row is ended in a
savepoint of its own: one that raises (a dialect's `on_terminal` hook) is set
aside with its reason and skipped from then on (see `poison`), never ending
the loop, the server, and then every replica that takes that row next.

Attempts of a backend whose liveness is polled (`Liveness.POLL`, an outside
engine that cannot renew a lease) are asked about each pass (`poll_once`): the
first time this process sees one it calls the backend's `adopt`, then `poll`;
running renews the lease (a longer one than an executor's: it outlives
`POLLED_LEASE_PASSES` passes whose poll timed out), ended or lost ends the
attempt through the engine (fenced by its token), unknown leaves the lease
to run out. Each poll has a
timeout (a backend that hangs answers unknown, and never holds up the pass),
and polls run a few at a time. What the backend says of the attempt (its own
view, heartbeat, link, progress) is written on the run. The first poll runs
at once when the server starts: it reconciles every running attempt of a
polled backend with the backend (adoption), so a run that ended while no
server was up is recorded with its true result and end time.

An attempt its worker ends itself (FinishAttempt) usually ends before any
poll saw the backend's final state, which would leave the run saying RUNNING
or STARTED: `final_look` asks the backend again, off the finish path, until it
says the attempt is over (a busy Prefect may take seconds to close a flow run)
or `FINAL_LOOK_SECONDS` pass, and records its view. It is the one place that
does so for every polled backend.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

import asyncpg
import structlog

from syncplane.server.db import attempts as attempts_db
from syncplane.server.db import runs as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.engine import poison, states
from syncplane.server.engine.backends.base import BackendState, ExecutionBackend, Liveness, RunPhase
from syncplane.server.engine.backends.registry import BackendRegistry
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)

LOST = Outcome(
    states.FAILED,
    "infrastructure",
    "heartbeat_timeout",
    "the executor stopped renewing its lease (crashed, frozen or cut off)",
)
CANCELLED_LOST = Outcome(states.CANCELLED, "cancelled", "cancelled", "cancelled; the executor was gone")
CANCEL_TIMEOUT = Outcome(
    states.CANCELLED, "cancelled", "cancel_timeout", "the executor did not stop within the cancel timeout"
)


#: How long one poll of an outside backend may take before it counts as unknown.
POLL_TIMEOUT_SECONDS = 5.0
#: Polls of one pass running at once.
POLL_CONCURRENCY = 8
#: A polled attempt's lease outlives this many passes whose poll timed out: a
#: busy backend (or machine) answering late once is not a lost attempt. Only
#: an answer of LOST, or that many unknowns in a row, ends it.
POLLED_LEASE_PASSES = 3
#: The first pause between the polls of a last look (doubling up to a second):
#: the backend closes its side a moment after the worker's finish.
FINAL_LOOK_FIRST_PAUSE = 0.05
#: How long a last look waits for the backend to call the attempt over.
FINAL_LOOK_SECONDS = 60.0


def polled_lease_seconds(lease_seconds: float, interval: float, poll_timeout: float = POLL_TIMEOUT_SECONDS) -> float:
    """The lease of an attempt whose liveness is polled (see POLLED_LEASE_PASSES):
    what its claim starts with (the dispatcher) and each running answer renews."""
    return max(lease_seconds, POLLED_LEASE_PASSES * (poll_timeout + interval))


class ProgressSink(Protocol):
    def report(self, run_id: uuid.UUID, token: int, progress: dict[str, Any]) -> None: ...


class Sweeper:
    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: RunEngine,
        interval: float,
        cancel_timeout: float,
        backends: BackendRegistry | None = None,
        lease_seconds: float = 30.0,
        progress: ProgressSink | None = None,
        poll_timeout: float = POLL_TIMEOUT_SECONDS,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._interval = interval
        self._cancel_timeout = cancel_timeout
        self._backends = backends if backends is not None else BackendRegistry()
        # Renewed by polls, not by the thing running the attempt: long enough
        # for a few slow passes (see POLLED_LEASE_PASSES).
        self._polled_lease = polled_lease_seconds(lease_seconds, interval, poll_timeout)
        self._progress = progress
        self._poll_timeout = poll_timeout
        # (run id, token) of polled attempts this process has adopted.
        self._adopted: set[tuple[object, int]] = set()
        # Those granted a lease while their adoption answered unknown (once each).
        self._graced: set[tuple[object, int]] = set()
        # Last looks under way (held so they are not collected mid-flight).
        self._looks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        # Reconcile polled backends at once (see the module docstring); leases
        # wait a pass, as before, so executors can reconnect and renew theirs.
        try:
            await self.poll_once()
        except TRANSIENT as exc:
            log.warning("sweeper.failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - as below
            log.error("sweeper.pass_failed", error=poison.reason(exc))
        try:
            while True:
                await asyncio.sleep(self._interval)
                try:
                    await self.poll_once()
                    await self.sweep_once()
                except TRANSIENT as exc:
                    log.warning("sweeper.failed", error=str(exc))
                except Exception as exc:  # noqa: BLE001 - rows are set aside one by one; this is the last guard
                    log.error("sweeper.pass_failed", error=poison.reason(exc))
        finally:
            # Stopping: last looks still waiting are dropped (the runs have ended).
            for task in list(self._looks):
                task.cancel()

    async def sweep_once(self) -> int:
        ended = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await db.expired_leases(conn):
                outcome = CANCELLED_LOST if row["status"] == states.CANCELLING else LOST
                ended += await self._end(conn, row, outcome)
            for row in await db.overdue_cancels(conn, self._cancel_timeout):
                ended += await self._end(conn, row, CANCEL_TIMEOUT)
        return ended

    async def poll_once(self) -> int:
        """Asks each polled backend about its attempts; returns how many ended."""
        ended = 0
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def one(backend: ExecutionBackend, row: asyncpg.Record) -> int:
            async with limit:
                return await self._poll(backend, row)

        for backend in self._backends.polled():
            rows = await db.running_of_backend(self._pool, backend.name)
            current = {(row["id"], row["attempt_token"]) for row in rows}
            self._adopted &= current
            self._graced &= current
            ended += sum(await asyncio.gather(*(one(backend, row) for row in rows)))
        return ended

    def final_look(self, backend_name: str, run_id: uuid.UUID, token: int) -> None:
        """An outside worker ended attempt `token` of `run_id`: record the
        backend's final view of it (see the module docstring), in the
        background. Backends whose liveness is a lease are not asked."""
        if not self._backends.offers(backend_name):
            return
        backend = self._backends.get(backend_name)
        if backend.liveness is not Liveness.POLL:
            return
        task = asyncio.get_running_loop().create_task(self._final_look(backend, run_id, token))
        self._looks.add(task)
        task.add_done_callback(self._looks.discard)

    async def _final_look(self, backend: ExecutionBackend, run_id: uuid.UUID, token: int) -> None:
        pause = FINAL_LOOK_FIRST_PAUSE
        phase = RunPhase.UNKNOWN
        try:
            async with asyncio.timeout(FINAL_LOOK_SECONDS):
                while phase not in (RunPhase.ENDED, RunPhase.LOST):
                    # Read again each time: the backend is asked about the run as it is now.
                    row = await attempts_db.ended_attempt(self._pool, run_id, token)
                    if row is None:
                        return  # a newer attempt took over: its own polls speak for it
                    state = await self._ask(backend, row, adopting=False)
                    phase = state.phase
                    if phase is not RunPhase.UNKNOWN and (state.detail is not None or state.url is not None):
                        await attempts_db.record_backend_state(
                            self._pool, run_id, token, status=state.detail, heartbeat_at=state.heartbeat_at, url=state.url,
                        )
                    if phase not in (RunPhase.ENDED, RunPhase.LOST):
                        await asyncio.sleep(pause)
                        pause = min(pause * 2, 1.0)
            log.info("sweeper.final_look", backend=backend.name, run_id=str(run_id), token=token, phase=phase.value)
        except TimeoutError:
            log.info("sweeper.final_look_timeout", backend=backend.name, run_id=str(run_id), token=token,
                     phase=phase.value, timeout_s=FINAL_LOOK_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a last look is a nicety: the run has ended whatever it says
            log.warning("sweeper.final_look_failed", backend=backend.name, run_id=str(run_id), error=poison.reason(exc))

    async def _ask(self, backend: ExecutionBackend, row: asyncpg.Record, adopting: bool) -> BackendState:
        """The backend's answer, or UNKNOWN when it fails or takes too long."""
        ask = backend.adopt if adopting else backend.poll
        try:
            return await asyncio.wait_for(ask(row), timeout=self._poll_timeout)
        except TimeoutError:
            log.warning("sweeper.poll_timeout", backend=backend.name, run_id=str(row["id"]), timeout_s=self._poll_timeout)
        except TRANSIENT:
            raise
        except Exception as exc:  # noqa: BLE001 - one backend's failure must not end the pass
            log.warning("sweeper.poll_failed", backend=backend.name, run_id=str(row["id"]), error=poison.reason(exc))
        return BackendState(RunPhase.UNKNOWN)

    async def _poll(self, backend: ExecutionBackend, row: asyncpg.Record) -> int:
        key = (row["id"], row["attempt_token"])
        adopting = key not in self._adopted
        state = await self._ask(backend, row, adopting)
        if adopting and state.phase is not RunPhase.UNKNOWN:
            self._adopted.add(key)
        await self._record(row, state)
        if adopting and state.phase is RunPhase.UNKNOWN and key not in self._graced:
            # Taking it over after a restart: its lease ran out while no server
            # was up, and a backend this process is still connecting to (a
            # slow import, a cold client) may not answer the first poll. One
            # polled lease of grace, once: a backend that stays silent still
            # loses the attempt when it runs out.
            self._graced.add(key)
            await db.renew_leases(self._pool, row["executor_id"], [row["attempt_token"]], self._polled_lease)
            return 0
        if state.phase in (RunPhase.RUNNING, RunPhase.STARTING):
            await db.renew_leases(self._pool, row["executor_id"], [row["attempt_token"]], self._polled_lease)
            return 0
        if state.phase is RunPhase.ENDED or state.phase is RunPhase.LOST:
            outcome = state.outcome if state.phase is RunPhase.ENDED and state.outcome is not None else LOST
            if row["status"] == states.CANCELLING and outcome is LOST:
                outcome = CANCELLED_LOST
            # An attempt that ended while no server watched is recorded with
            # its true end (state.ended_at), not the time this pass noticed.
            ended = await self._engine.finish(
                row["id"], row["attempt_token"], outcome, state.summary or {}, ended_at=state.ended_at
            )
            self._adopted.discard(key)
            return 1 if ended is not None else 0
        return 0  # UNKNOWN: the backend could not say; the lease decides

    async def _record(self, row: asyncpg.Record, state: BackendState) -> None:
        """Writes what the backend said of the attempt on the run."""
        if state.detail is not None or state.heartbeat_at is not None or state.url is not None:
            await attempts_db.record_backend_state(
                self._pool, row["id"], row["attempt_token"],
                status=state.detail, heartbeat_at=state.heartbeat_at, url=state.url,
            )
        if state.progress is not None and state.phase is RunPhase.RUNNING and self._progress is not None:
            self._progress.report(row["id"], row["attempt_token"], state.progress)

    async def _end(self, conn: Conn, row: asyncpg.Record, outcome: Outcome) -> int:
        """Ends one locked row in a savepoint; a row that cannot be ended is set aside."""
        try:
            async with conn.transaction():
                await self._engine.end_locked(conn, row, outcome)
            return 1
        except Exception as exc:  # sorted below: transient goes up, anything else sets the row aside
            if poison.transient(exc):
                raise
            why = poison.reason(exc)
            await db.set_aside_run(conn, row["id"], None, why)
            with run_context.bound(row):
                log.error("sweeper.row_set_aside", run_id=str(row["id"]), error=why)
            return 0
