"""Every migration, applied in order to an empty database, gives exactly the
schema in server/db/schema.sql (regenerate it with `make schema`)."""

from __future__ import annotations

import asyncio
import difflib

import asyncpg

from syncplane.server.db import schema_snapshot
from syncplane.server.db.migrate import migrate


async def test_the_migrations_give_exactly_the_schema_snapshot(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    dumped = await asyncio.to_thread(schema_snapshot.dump, fresh_dsn)
    expected = schema_snapshot.read_snapshot()
    diff = "".join(difflib.unified_diff(
        expected.splitlines(keepends=True), dumped.splitlines(keepends=True), "server/db/schema.sql", "migrated",
    ))
    assert not diff, "the migrations and server/db/schema.sql differ (run `make schema`):\n" + diff


def test_normalising_drops_what_varies_with_nothing_that_matters() -> None:
    raw = (
        "--\n-- PostgreSQL database dump\n--\n\\restrict AbC123\nSET statement_timeout = 0;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n\n\n\n"
        "CREATE TABLE syncplane.t (\n    id uuid NOT NULL\n);\n\n\n-- Name: t\n\\unrestrict AbC123\n"
    )
    body = schema_snapshot.normalise(raw).split("\n\n", 1)[1]
    assert body == "CREATE TABLE syncplane.t (\n    id uuid NOT NULL\n);\n"
