"""Each jobs outbox row names its sync-job run (migration 0016): rows queued before it get their run from
the event they carry, and a run's deliveries are read a page at a time with their attempts."""

from __future__ import annotations

import json
import uuid

import asyncpg

from syncplane.server.db import outbox as db
from syncplane.server.db.migrate import available


async def _webhook(conn: asyncpg.Connection, url: str) -> uuid.UUID:
    credential = await conn.fetchval("INSERT INTO syncplane.credentials (id) VALUES ($1) RETURNING id", uuid.uuid4())
    return await conn.fetchval(
        "INSERT INTO syncplane.jobs_webhooks (id, target_url, event_types, environment_id, credential_id)"
        " VALUES ($1, $2, '{*}', $3, $4) RETURNING id", uuid.uuid4(), url, uuid.UUID(int=0), credential)


async def test_rows_queued_before_the_migration_get_their_run_from_the_event(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await conn.execute("CREATE SCHEMA syncplane")
        for version, _, sql in available():
            if version < 16:
                await conn.execute(sql)
        webhook = await _webhook(conn, "http://127.0.0.1:9/hook")
        run_id = uuid.uuid4()
        event = json.dumps({"id": str(uuid.uuid4()), "event": "sync_job_run:created", "payload": {"id": str(run_id)}})
        await conn.execute(
            "INSERT INTO syncplane.jobs_outbox (event_id, webhook_id, event, body) VALUES ($1, $2, $3, $4), ($5, $2, $3, $6)",
            uuid.uuid4(), webhook, "sync_job_run:created", event, uuid.uuid4(), json.dumps({"payload": {"id": "not-a-run"}}))
        [migration] = [sql for version, _, sql in available() if version == 16]
        await conn.execute(migration)
        got = [r["run_id"] for r in await conn.fetch("SELECT run_id FROM syncplane.jobs_outbox ORDER BY id")]
        assert got == [run_id, None]
    finally:
        await conn.close()


async def test_a_runs_deliveries_page_by_page_with_their_attempts(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        first, second = await _webhook(conn, "http://127.0.0.1:9/a"), await _webhook(conn, "http://127.0.0.1:9/b")
    run, other = uuid.uuid4(), uuid.uuid4()
    for webhook in (first, second):
        for name in ("created", "completed"):
            assert await db.enqueue(pool, uuid.uuid4(), webhook, f"sync_job_run:{name}", "{}", run)
    assert await db.enqueue(pool, uuid.uuid4(), first, "sync_job_run:created", "{}", other)
    rows = await db.run_deliveries(pool, run, 0, None, None, 100)
    assert len(rows) == 4 and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    await db.log_attempt(pool, rows[0]["id"], 1, 500, "HTTP 500", 12)
    await db.log_attempt(pool, rows[0]["id"], 2, 200, None, 7)
    await db.delivered(pool, rows[0]["id"])
    [done] = await db.run_deliveries(pool, run, 0, None, "delivered", 100)
    assert done["id"] == rows[0]["id"] and done["target_url"] == "http://127.0.0.1:9/a"
    assert [(a["attempt"], a["http_status"], a["error"]) for a in done["log"]] == [(1, 500, "HTTP 500"), (2, 200, None)]
    # After the first row, two at a time: the rest in order; one webhook's only.
    page = await db.run_deliveries(pool, run, rows[0]["id"], None, None, 2)
    assert [r["id"] for r in page] == [rows[1]["id"], rows[2]["id"]]
    assert [r["webhook_id"] for r in await db.run_deliveries(pool, run, 0, second, None, 100)] == [second, second]
    assert all(r["log"] == [] for r in page)
