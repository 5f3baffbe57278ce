"""Schedule rows."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("schedules")
Executor = Conn | asyncpg.Pool


async def upsert_schedule(
    db: Executor, kind: str, subject_id: uuid.UUID, cron: str, tz: str, overlap: str, enabled: bool, next_fire_at: datetime
) -> None:
    await db.execute(Q["upsert_schedule"], kind, subject_id, cron, tz, overlap, enabled, next_fire_at)


async def delete_schedule(db: Executor, kind: str, subject_id: uuid.UUID) -> None:
    await db.execute(Q["delete_schedule"], kind, subject_id)


async def due_schedules(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(Q["due_schedules"])


async def fired(conn: Conn, kind: str, subject_id: uuid.UUID, at: datetime, next_at: datetime) -> None:
    await conn.execute(Q["fired"], kind, subject_id, at, next_at)


async def skipped(conn: Conn, kind: str, subject_id: uuid.UUID, at: datetime, next_at: datetime) -> None:
    await conn.execute(Q["skipped"], kind, subject_id, at, next_at)


async def get_schedule(db: Executor, kind: str, subject_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(Q["get_schedule"], kind, subject_id)


async def set_aside_schedule(conn: Conn, kind: str, subject_id: uuid.UUID, reason: str) -> None:
    await conn.execute(Q["set_aside_schedule"], kind, subject_id, reason)
