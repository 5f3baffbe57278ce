"""Sets the gauges that are read rather than recorded: queue depth and outbox lag from the database,
executor sessions and free slots from the session registry, the connection pool's use.

A task under the server's supervisor (`metrics-sampler`), every `interval` seconds, so a scrape never
queries the database and a slow database never slows a scrape. Each replica samples what it sees: the
queue and the outbox are shared (every replica reports the same figure: use max() across replicas, not
sum()), sessions and the pool are its own.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import Iterable
from typing import Protocol

import asyncpg
import structlog

from syncplane.server.db import observability as db
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.observability import metrics

log = structlog.get_logger(__name__)


class _Session(Protocol):
    group: str
    free_slots: int


class Sampler:
    def __init__(self, pool: asyncpg.Pool, sessions: Iterable[_Session], interval: float) -> None:
        self._pool = pool
        self._sessions = sessions
        self._interval = interval
        self._groups: set[str] = set()
        self._queues: set[tuple[str, str]] = set()

    async def run(self) -> None:
        while True:
            try:
                await self.sample_once()
            except TRANSIENT as exc:
                log.debug("metrics.sample_failed", error=str(exc))
            await asyncio.sleep(self._interval)

    async def sample_once(self) -> None:
        self.sample_memory()
        # The groups executors serve read 0 when nothing waits (a series, not a gap).
        depth = {**{(group, "native"): 0 for group in self._groups}, **await db.queue_depth(self._pool)}
        for key in self._queues - depth.keys():
            metrics.QUEUE_DEPTH.labels(*key).set(0)
        for key, waiting in depth.items():
            metrics.QUEUE_DEPTH.labels(*key).set(waiting)
        self._queues |= depth.keys()
        pending, lag = await db.outbox_lag(self._pool)
        metrics.OUTBOX_PENDING.set(pending)
        metrics.OUTBOX_LAG.set(lag)

    def sample_memory(self) -> None:
        """What needs no query: sessions, free slots and the pool."""
        connected: Tally[str] = Tally()
        free: Tally[str] = Tally()
        for session in list(self._sessions):
            connected[session.group] += 1
            free[session.group] += session.free_slots
        self._groups = metrics.set_by_label(metrics.EXECUTORS_CONNECTED, dict(connected), self._groups)
        metrics.set_by_label(metrics.EXECUTOR_FREE_SLOTS, {g: free[g] for g in self._groups}, self._groups)
        size, idle = self._pool.get_size(), self._pool.get_idle_size()
        metrics.DB_POOL.labels("in_use").set(size - idle)
        metrics.DB_POOL.labels("idle").set(idle)
        metrics.DB_POOL.labels("max").set(self._pool.get_max_size())


__all__ = ["Sampler"]
