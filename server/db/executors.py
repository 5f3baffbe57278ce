"""Executors as the engine last saw them, shared by every server (a daemon's
live status in the jobs dialect). Each write names the stream (session) it
comes from, so a dead stream's late write never undoes a reconnect."""

from __future__ import annotations

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("executors")
Executor = Conn | asyncpg.Pool


async def connected(db: Executor, executor_id: str, group: str, session_id: str) -> None:
    await db.execute(Q["executor_connected"], executor_id, group, session_id)


async def seen(db: Executor, executor_id: str, session_id: str, draining: bool) -> None:
    await db.execute(Q["executor_seen"], executor_id, session_id, draining)


async def disconnected(db: Executor, executor_id: str, session_id: str) -> None:
    await db.execute(Q["executor_disconnected"], executor_id, session_id)
