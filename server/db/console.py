"""The console's read-only views across dialects: runs of every kind and executors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("console")
Executor = Conn | asyncpg.Pool


@dataclass(frozen=True, slots=True)
class RunFilter:
    kinds: Sequence[str]
    statuses: Sequence[str] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def runs_page(
    db: Executor, where: RunFilter, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    after_at, after_id = after if after is not None else (None, None)
    return list(await db.fetch(
        Q["console_runs_page"], list(where.kinds), list(where.statuses) if where.statuses else None,
        where.created_from, where.created_to, after_at, after_id, limit,
    ))


async def runs_by_id(db: Executor, ids: Sequence[uuid.UUID], kinds: Sequence[str]) -> list[asyncpg.Record]:
    return list(await db.fetch(Q["console_runs_by_id"], list(ids), list(kinds)))


async def runs_updated_since(db: Executor, since: datetime, kinds: Sequence[str]) -> list[asyncpg.Record]:
    return list(await db.fetch(Q["console_runs_updated_since"], since, list(kinds)))


async def executors(db: Executor) -> list[asyncpg.Record]:
    return list(await db.fetch(Q["console_executors"]))


async def executor_runs(db: Executor) -> list[asyncpg.Record]:
    return list(await db.fetch(Q["console_executor_runs"]))


async def now(db: Executor) -> datetime:
    """The database's clock: run timestamps are compared with it, never with this host's."""
    value: datetime = await db.fetchval(Q["console_now"])
    return value
