"""The control plane's connection pool: JSON codecs set once per connection."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn


async def _init_connection(conn: Conn) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _no_reset(conn: Conn) -> None:
    """Skips asyncpg's reset query (UNLISTEN, RESET ALL, ...) on every release:
    an extra round trip per query. The control plane keeps no session state
    on pooled connections (no LISTEN, SET or advisory locks; transactions are
    always closed by their context managers), so there is nothing to reset."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_no_reset, **kwargs
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> Conn:
    """A single connection with the same codecs (LISTEN, migrations)."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn
