"""Shared pieces of the syncs acceptance tests: a postgres → postgres sync over the REST API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from tests.acceptance.harness import ADMIN_KEY, Stack


async def create_sync(
    stack: Stack,
    source_dsn: str,
    *,
    table: str = "orders",
    dest_table: str = "orders_copy",
    load_mode: str = "upsert",
    page_size: int = 500,
) -> str:
    """A connection to `source_dsn` and a sync of its `table` into `dest_table`; returns the sync's id."""
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {dest_table}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"{table} to {dest_table}",
            "entities": [table],
            "executionConfig": {"pageSize": page_size},
            "tableBindings": [
                {"entityKey": table, "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": load_mode}
            ],
        },
        expect=201,
    )
    return str(sync["id"])


async def watch_until_rows(stack: Stack, run_id: str, timeout: float = 30) -> dict[str, Any]:
    """Reads the run's watch stream (NDJSON over REST, as a client would) until
    an update of the running run shows rows written; returns that update."""
    headers = {"X-API-Key": ADMIN_KEY, "Accept": "application/x-ndjson"}
    async with asyncio.timeout(timeout), aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{stack.base}/api/v1/syncs/runs/{run_id}/watch") as resp:
            assert resp.status == 200, resp.status
            async for line in resp.content:
                if not line.strip():
                    continue
                run: dict[str, Any] = json.loads(line)["result"]
                if run["status"] == "running" and (run.get("summary") or {}).get("rowsWritten", 0) > 0:
                    return run
    raise AssertionError(f"the watch of run {run_id} ended without showing progress")
