"""How much an execution backend holds (server/engine/backends/temporal.py
bounds its in-flight attempts by it)."""

from __future__ import annotations

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("backend_load")


async def active_of_backend(db: asyncpg.Pool | Conn, backend: str) -> int:
    return int(await db.fetchval(Q["active_of_backend"], backend))


__all__ = ["active_of_backend"]
