"""Attempts as outside backends see them: fetched, reported, claimed by their
workers (server/engine/attempts.py, server/engine/backends/external.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("attempts")
Executor = Conn | asyncpg.Pool


async def attempt_of(db: Executor, run_id: uuid.UUID, token: int) -> asyncpg.Record | None:
    """The run if `token` is its current attempt's, with its sealed secrets."""
    return await db.fetchrow(Q["attempt_of"], run_id, token)


async def report_attempt(
    db: Executor,
    run_id: uuid.UUID,
    token: int,
    lease_s: float,
    *,
    ref: str | None,
    url: str | None,
    status: dict[str, Any] | None,
) -> asyncpg.Record | None:
    """Renews the lease; None when the token is no longer current."""
    return await db.fetchrow(Q["report_attempt"], run_id, token, lease_s, ref, url, status)


async def record_backend_refs(db: Executor, refs: Sequence[tuple[uuid.UUID, int, str, str | None]]) -> None:
    if not refs:
        return
    ids, tokens, names, urls = zip(*refs)
    await db.execute(Q["record_backend_refs"], list(ids), list(tokens), list(names), list(urls))


async def record_backend_state(
    db: Executor,
    run_id: uuid.UUID,
    token: int,
    *,
    status: dict[str, Any] | None,
    heartbeat_at: datetime | None,
    url: str | None,
) -> None:
    await db.execute(Q["record_backend_state"], run_id, token, status, heartbeat_at, url)


async def ended_attempt(db: Executor, run_id: uuid.UUID, token: int) -> asyncpg.Record | None:
    """The run if `token` is its attempt and that attempt has ended."""
    return await db.fetchrow(Q["ended_attempt"], run_id, token)


async def claim_backend_runs(
    conn: Conn,
    backend: str,
    queue: str,
    limit: int,
    worker_id: str,
    lease_s: float,
    connectors: Sequence[str],
) -> list[asyncpg.Record]:
    return await conn.fetch(Q["claim_backend_runs"], backend, queue, limit, worker_id, lease_s, list(connectors))


__all__ = [
    "attempt_of",
    "claim_backend_runs",
    "record_backend_refs",
    "record_backend_state",
    "report_attempt",
]
