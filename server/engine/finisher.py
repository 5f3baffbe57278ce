"""Ends attempts in batches: many results, one commit.

Every commit waits for a WAL flush; one per finished attempt caps throughput
at the disk's fsync rate. Results that arrive within a couple of
milliseconds share a transaction instead (group commit in the application),
and each caller still learns its own outcome. If a batch fails, its items
are retried one by one so one bad item cannot fail the others; an item that
fails on its own with an error that is not the database being away is set
aside (see `poison`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from syncplane.failpoints import failpoint
from syncplane.server.db import runs as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.models import Run
from syncplane.server.engine import poison
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)

EndFn = Callable[[Conn, "FinishItem"], Awaitable[Run | None]]


@dataclass
class FinishItem:
    run_id: uuid.UUID
    token: int
    outcome: Any
    summary: dict[str, Any]
    #: When the attempt really ended, if not now (it ended in its backend while no server watched).
    ended_at: datetime | None = None
    done: asyncio.Future[Run | None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Finisher:
    def __init__(self, pool: asyncpg.Pool, end: EndFn, *, window: float = 0.002, max_batch: int = 128) -> None:
        self._pool = pool
        self._end = end
        self._window = window
        self._max = max_batch
        self._queue: asyncio.Queue[FinishItem] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: FinishItem) -> Run | None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="run-finisher")
        self._queue.put_nowait(item)
        return await item.done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(self._window)
            while len(batch) < self._max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[FinishItem]) -> None:
        await failpoint("engine.finish")  # results received, not yet persisted
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                results = [await self._end(conn, item) for item in batch]
        except Exception:  # noqa: BLE001 - retried item by item below
            for item in batch:
                try:
                    async with self._pool.acquire() as conn, conn.transaction():
                        result = await self._end(conn, item)
                except Exception as exc:  # noqa: BLE001 - handed to its caller, or set aside
                    await self._failed(item, exc)
                else:
                    if not item.done.done():
                        item.done.set_result(result)
            return
        for item, result in zip(batch, results):
            if not item.done.done():
                item.done.set_result(result)

    async def _failed(self, item: FinishItem, exc: Exception) -> None:
        """An item that failed alone: a transient error goes to its caller (the
        lease runs out and the sweeper ends the attempt); one that would fail
        every time (a hook raised) sets the attempt aside, so neither this
        server nor the sweeper of any replica trips on it again."""
        if not poison.transient(exc):
            why = poison.reason(exc)
            try:
                async with self._pool.acquire() as conn:
                    row = await db.set_aside_run(conn, item.run_id, item.token, why)
            except Exception as inner:  # noqa: BLE001 - handed to its caller
                exc = inner
            else:
                with run_context.bound(row) if row is not None else run_context.bound(run_id=item.run_id):
                    log.error("finisher.row_set_aside", run_id=str(item.run_id), error=why)
                if not item.done.done():
                    item.done.set_result(row)
                return
        if not item.done.done():
            item.done.set_exception(exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
