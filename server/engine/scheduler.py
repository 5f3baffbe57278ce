"""Starts scheduled runs on time, once per slot, across restarts and replicas.

Due schedule rows are locked with SKIP LOCKED and advanced in the same
transaction that queues the run, so two servers never fire one slot and a
crash between the two is impossible. A server that was down fires a missed
slot once when it comes back (not once per missed slot). A slot that finds the
subject's previous run still going is skipped (overlap "skip") or fires as
soon as that run ends (overlap "wait"): never two runs at once. A kind may
answer a slot with a run graph (`NewGraph`) instead of a run: the same rules
hold for its graphs (a slot that finds the previous graph active skips). A schedule
whose hook raises is set aside (see `poison`) until it is saved again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import asyncpg
import structlog

from syncplane.server.db import schedules as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import poison
from syncplane.server.engine.cron import next_after
from syncplane.server.engine.graphs import NewGraph
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.errors import Conflict

log = structlog.get_logger(__name__)


class ScheduleHooks(Protocol):
    async def scheduled_run(
        self, conn: Conn, subject_id: object, slot: datetime
    ) -> NewRun | NewGraph | None:
        """The run (or run graph) a slot starts, or None when the subject should not run now."""
        ...


@runtime_checkable
class RefusedSlotHooks(Protocol):
    async def slot_refused(self, conn: Conn, subject_id: object, slot: datetime, reason: str) -> None:
        """A slot of the subject queued nothing, for `reason`: say so where
        the subject's own errors are shown."""
        ...


class Scheduler:
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, interval: float) -> None:
        self._pool = pool
        self._engine = engine
        self._interval = interval
        self._hooks: dict[str, ScheduleHooks] = {}

    def register_kind(self, kind: str, hooks: ScheduleHooks) -> None:
        self._hooks[kind] = hooks

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.tick()
            except TRANSIENT as exc:
                log.warning("scheduler.failed", error=str(exc))
            except Exception as exc:  # noqa: BLE001 - rows are set aside one by one; this is the last guard
                log.error("scheduler.pass_failed", error=poison.reason(exc))

    async def tick(self) -> int:
        """Fires every due slot; returns how many runs were queued."""
        queued = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await db.due_schedules(conn):
                try:
                    async with conn.transaction():  # a savepoint per schedule
                        queued += await self._fire(conn, row)
                except Exception as exc:  # sorted below: transient goes up, a poison row is set aside
                    if poison.transient(exc):
                        raise
                    # Its hook raises on every pass: set aside, or it stops the
                    # scheduler here and on every replica that takes it next.
                    why = poison.reason(exc)
                    await db.set_aside_schedule(conn, row["subject_kind"], row["subject_id"], why)
                    log.error(
                        "scheduler.row_set_aside", kind=row["subject_kind"], subject_id=str(row["subject_id"]), error=why
                    )
        return queued

    async def _fire(self, conn: Conn, row: asyncpg.Record) -> int:
        kind, subject = row["subject_kind"], row["subject_id"]
        slot: datetime = row["next_fire_at"]
        now = datetime.now(UTC)
        following = next_after(row["cron"], row["timezone"], max(now, slot))
        hooks = self._hooks.get(kind)
        new = await hooks.scheduled_run(conn, subject, slot) if hooks else None
        if new is None:
            await db.skipped(conn, kind, subject, slot, following)
            return 0
        refused = self._engine.unoffered_backend(new.execution_backend) if isinstance(new, NewRun) else None
        if refused is not None:
            # As a trigger by the API is refused: a run queued now would wait
            # for a backend nobody runs. The slot passes; the subject says why.
            await db.skipped(conn, kind, subject, slot, following)
            if isinstance(hooks, RefusedSlotHooks):
                await hooks.slot_refused(conn, subject, slot, refused)
            log.warning("schedule.slot_refused", kind=kind, subject_id=str(subject), slot=slot.isoformat(),
                        reason=refused)
            return 0
        try:
            async with conn.transaction():  # a savepoint: a refused queue leaves the rest intact
                if isinstance(new, NewGraph):
                    await self._engine.graphs.start(new, conn, exclusive=True)
                else:
                    await self._engine.queue(new, conn)
        except Conflict:
            if row["overlap"] == "wait":
                return 0  # stays due; fires once the running one has ended
            await db.skipped(conn, kind, subject, slot, following)
            log.info("schedule.slot_skipped", kind=kind, subject_id=str(subject), slot=slot.isoformat(), reason="run still active")
            return 0
        await db.fired(conn, kind, subject, slot, following)
        log.info("schedule.fired", kind=kind, subject_id=str(subject), slot=slot.isoformat(), next=following.isoformat())
        return 1
