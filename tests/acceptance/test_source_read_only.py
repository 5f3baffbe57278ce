"""A postgres source is read in READ ONLY transactions: a source query that calls a
writing function fails its run with a clear error and changes nothing in the source."""

from __future__ import annotations

import asyncpg
import pytest

from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance

SETUP = """
CREATE TABLE src (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now(), v text);
INSERT INTO src (id, v) SELECT g, 'row ' || g FROM generate_series(1, 50) g;
CREATE TABLE loot (n int);
CREATE SEQUENCE counter;
CREATE FUNCTION leak() RETURNS int LANGUAGE sql VOLATILE AS 'INSERT INTO loot VALUES (1) RETURNING 1';
"""


@pytest.mark.parametrize(
    ("query", "mode"),
    [
        ("SELECT id, updated_at, leak() AS x FROM src", "sequential"),
        ("SELECT id, updated_at, nextval('counter') AS n FROM src", "sequential"),
        # A full upsert read takes the cursor's high-water mark before the first batch, and
        # fan_out_window cuts its windows: both read the query outside the batches.
        ("SELECT id, updated_at, leak() AS x FROM src", "fan_out_window"),
    ],
)
async def test_a_writing_source_query_fails_and_writes_nothing(
    stack: Stack, fresh_dsn: str, second_dsn: str, query: str, mode: str
) -> None:
    conn = await asyncpg.connect(second_dsn)
    try:
        await conn.execute(SETUP)
    finally:
        await conn.close()
    connection = await stack.post(
        "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201
    )
    sync = await stack.post("/api/v1/syncs", {
        "connectionId": connection["id"], "name": "writes", "entities": ["leaky"],
        "sourceConfig": {"queries": {"leaky": query}},
        "executionMode": mode,
        "executionConfig": {"pageSize": 10, "maxAutoResumeAttempts": 0, **({"maxParallelism": 2} if mode != "sequential" else {})},
        "tableBindings": [{"entityKey": "leaky", "tableName": "leaky", "primaryKeyColumns": ["id"],
                           "cursorField": "updated_at", "loadMode": "upsert"}],
    }, expect=201)
    run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
    final = await stack.wait_run(run["id"], {"failed", "succeeded", "cancelled"})
    assert final["status"] == "failed", final
    assert "read-only transaction" in (final.get("error") or ""), final
    conn = await asyncpg.connect(second_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM loot") == 0
        assert await conn.fetchval("SELECT is_called FROM counter") is False
    finally:
        await conn.close()
    dest = await asyncpg.connect(fresh_dsn)
    try:
        assert await dest.fetchval("SELECT to_regclass('public.leaky') IS NULL OR NOT EXISTS (SELECT 1 FROM public.leaky)")
    finally:
        await dest.close()
