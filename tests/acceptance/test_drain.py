"""Draining an executor (SIGTERM): its runs finish, it takes no new work, it leaves."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from tests.acceptance.conftest import SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.harness import Stack
from tests.acceptance.test_sync_runs import create_sync

pytestmark = pytest.mark.acceptance


async def test_sigterm_drains_without_failing_the_run(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 150_000)
    sync_id = await create_sync(stack, second_dsn, page_size=2_000)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    current = await stack.wait_run(run["id"], {"running"})
    while current["summary"].get("rowsWritten", 0) == 0 and current["status"] == "running":
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        await asyncio.sleep(0.02)
    draining = next(p for p in stack.executors if p.name == current["executorId"])
    draining.signal(signal.SIGTERM)
    final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=60)
    assert final["status"] == "succeeded" and final["attemptNumber"] == 1, final
    await asyncio.wait_for(draining.process.wait(), timeout=15)
    assert draining.process.returncode == 0
    source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
    assert await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id") == source
    # New work goes to the executor that stayed.
    again = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
    done = await stack.wait_run(again["id"], {"succeeded", "failed"}, timeout=60)
    assert done["status"] == "succeeded" and done["executorId"] != draining.name


async def test_draining_executor_takes_no_new_work(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 300_000)
    sync_id = await create_sync(stack, second_dsn, page_size=2_000)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    current = await stack.wait_run(run["id"], {"running"})
    busy = next(p for p in stack.executors if p.name == current["executorId"])
    idle = next(p for p in stack.executors if p is not busy)
    idle.signal(signal.SIGTERM)  # nothing running there: it leaves at once
    await asyncio.wait_for(idle.process.wait(), timeout=15)
    busy.signal(signal.SIGTERM)  # draining with a run in flight
    await asyncio.sleep(0.5)
    other = await stack.post("/api/v1/connections", {"name": "o", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201)
    waiting = await stack.post(
        "/api/v1/syncs", {"connectionId": other["id"], "name": "later", "entities": ["orders"],
                          "tableBindings": [{"entityKey": "orders", "tableName": "later", "primaryKeyColumns": ["id"]}]},
        expect=201,
    )
    queued = await stack.post(f"/api/v1/syncs/{waiting['id']}/trigger", {})
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2:
        assert (await stack.get(f"/api/v1/syncs/runs/{queued['id']}"))["status"] == "pending"
        await asyncio.sleep(0.2)
    assert (await stack.wait_run(run["id"], {"succeeded", "failed"}, timeout=60))["status"] == "succeeded"
    await stack.start_executor(name="fresh")
    assert (await stack.wait_run(queued["id"], {"succeeded", "failed"}, timeout=60))["status"] == "succeeded"
