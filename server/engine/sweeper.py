"""Ends attempts whose executor is gone, and cancels that took too long.

Rows are locked with SKIP LOCKED, so with several servers each expired attempt
is ended exactly once. A lost attempt fails with `heartbeat_timeout` and, within
its budget, the next attempt is queued in the same transaction; a cancelling
one ends `cancelled` and never starts another. Each row is ended in a
savepoint of its own: one that raises (a dialect's `on_terminal` hook) is set
aside with its reason and skipped from then on (see `poison`), never ending
the loop, the server, and then every replica that takes that row next.
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from server.db import runs as db
from server.db.errors import TRANSIENT
from server.engine import poison, states
from server.engine.lifecycle import Outcome, RunEngine

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


class Sweeper:
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, interval: float, cancel_timeout: float) -> None:
        self._pool = pool
        self._engine = engine
        self._interval = interval
        self._cancel_timeout = cancel_timeout

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep_once()
            except TRANSIENT as exc:
                log.warning("sweeper.failed", error=str(exc))
            except Exception as exc:  # noqa: BLE001 - rows are set aside one by one; this is the last guard
                log.error("sweeper.pass_failed", error=poison.reason(exc))

    async def sweep_once(self) -> int:
        ended = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await db.expired_leases(conn):
                outcome = CANCELLED_LOST if row["status"] == states.CANCELLING else LOST
                ended += await self._end(conn, row, outcome)
            for row in await db.overdue_cancels(conn, self._cancel_timeout):
                ended += await self._end(conn, row, CANCEL_TIMEOUT)
        return ended

    async def _end(self, conn: asyncpg.Connection, row: asyncpg.Record, outcome: Outcome) -> int:
        """Ends one locked row in a savepoint; a row that cannot be ended is set aside."""
        try:
            async with conn.transaction():
                await self._engine.end_locked(conn, row, outcome)
            return 1
        except Exception as exc:
            if poison.transient(exc):
                raise
            why = poison.reason(exc)
            await db.set_aside_run(conn, row["id"], None, why)
            log.error("sweeper.row_set_aside", run_id=str(row["id"]), error=why)
            return 0
