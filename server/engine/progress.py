"""Coalesces executor progress and persists it in batches.

Executors may report many times a second; watchers need a few updates a
second. The latest report per attempt wins, and one UPDATE writes them all.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Protocol

import asyncpg
import structlog

from syncplane.server.db import runs as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.engine import poison

log = structlog.get_logger(__name__)


class ProgressHook(Protocol):
    async def progressed(self, conn: Conn, rows: list[asyncpg.Record]) -> None: ...


class ProgressWriter:
    def __init__(self, pool: asyncpg.Pool, interval: float, hook: ProgressHook | None = None) -> None:
        self._pool = pool
        self._interval = interval
        # The engine: dialects that derive state from progress (e.g. a jobs
        # run turning rate_limited) record it in the transaction that saves it.
        self._hook = hook
        self._pending: dict[uuid.UUID, tuple[int, dict[str, Any]]] = {}
        self._wake = asyncio.Event()

    def report(self, run_id: uuid.UUID, token: int, progress: dict[str, Any]) -> None:
        self._pending[run_id] = (token, progress)
        self._wake.set()

    def discard(self, run_id: uuid.UUID) -> None:
        """The attempt ended; its final summary supersedes any pending progress."""
        self._pending.pop(run_id, None)

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            await asyncio.sleep(self._interval)

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        items = [(run_id, token, progress) for run_id, (token, progress) in batch.items()]
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                saved = await db.save_progress(conn, items)
                if saved and self._hook is not None:
                    await self._hook.progressed(conn, saved)
            if saved:
                await db.notify_run_changed(self._pool, [r["id"] for r in saved])
        except TRANSIENT as exc:
            # Progress is advisory: the next report carries the newer counters.
            log.warning("progress.flush_failed", error=str(exc), runs=len(items))
        except asyncpg.PostgresError as exc:
            # Not an outage (a query or an on_progress hook is wrong): this batch
            # is dropped, loudly; the next reports carry the newer counters.
            log.error("progress.flush_refused", error=poison.reason(exc), runs=len(items))
