"""What metrics and traces read from and write to the control-plane database."""

from __future__ import annotations

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("observability")


async def queue_depth(db: asyncpg.Pool | Conn) -> dict[tuple[str, str], int]:
    """(group, backend) -> pending runs that are due."""
    return {(r["executor_group"], r["execution_backend"]): r["waiting"] for r in await db.fetch(Q["queue_depth"])}


async def outbox_lag(db: asyncpg.Pool | Conn) -> tuple[int, float]:
    """(undelivered rows, age of the oldest in seconds)."""
    row = await db.fetchrow(Q["outbox_lag"])
    return int(row["pending"]), float(row["lag_seconds"])


async def set_trace_parent(db: asyncpg.Pool | Conn, run_id: object, trace_parent: str) -> None:
    await db.execute(Q["set_trace_parent"], run_id, trace_parent)
