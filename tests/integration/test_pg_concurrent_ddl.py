"""Runs of different syncs creating the same target at once must not race."""

from __future__ import annotations

import asyncio

import asyncpg

from syncplane.executor.destinations.pg_loader import TableName, prepare_target


async def test_concurrent_first_loads_create_one_table(fresh_dsn: str) -> None:
    conns = [await asyncpg.connect(fresh_dsn) for _ in range(8)]
    try:
        table = TableName("fresh_schema", "shared_target")
        columns = [("id", "bigint"), ("v", "text")]
        results = await asyncio.gather(
            *(prepare_target(c, table, columns, (), ("id",)) for c in conns), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        assert sum(1 for r in results if r.created) == 1  # type: ignore[union-attr]
        count = await conns[0].fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'fresh_schema' AND tablename = 'shared_target'"
        )
        assert count == 1
    finally:
        for c in conns:
            await c.close()
