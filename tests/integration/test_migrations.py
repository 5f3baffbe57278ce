"""Migrations on a real PostgreSQL: applied once, idempotent, concurrent-safe."""

from __future__ import annotations

import asyncio

import asyncpg

from syncplane.server.db.migrate import available, migrate


async def test_migrate_applies_all_then_nothing(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        first = await migrate(conn)
        assert first == [name for _, name, _ in available()]
        assert await migrate(conn) == []
        tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'syncplane'")}
        assert {"runs", "syncs", "connections", "credentials", "api_keys", "migrations"} <= tables
    finally:
        await conn.close()


async def test_concurrent_migrations_run_each_step_once(fresh_dsn: str) -> None:
    conns = [await asyncpg.connect(fresh_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(available())]
    finally:
        for c in conns:
            await c.close()
