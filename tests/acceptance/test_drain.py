"""Draining an executor (SIGTERM): its runs finish, it takes no new work, it leaves.

The SIGTERM comes while the executor is paused at a failpoint in its run
(`executor.batch.committed`), so the run is certainly in flight when the
drain starts; the point is released once the server knows of the drain.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.acceptance.conftest import SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.faults import Failpoints, executor_named, fault_stack, log_events, wait_for
from tests.acceptance.harness import Proc, Stack
from tests.acceptance.syncs_support import create_sync

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 2_000
POINT = "executor.batch.committed"


async def _drain(stack: Stack, proc: Proc) -> None:
    """SIGTERM, then waits until the server has the executor's Draining."""
    assert stack.server is not None
    server = stack.server
    before = len(log_events(server, "executor.draining", executor_id=proc.name))
    proc.signal(signal.SIGTERM)

    async def told() -> bool:
        return len(log_events(server, "executor.draining", executor_id=proc.name)) > before
    await wait_for(told, 60, f"the server knows {proc.name} drains")


async def test_sigterm_drains_without_failing_the_run(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {POINT: "2*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        draining = executor_named(stack, await fp.wait_hit(POINT))
        fp.release(POINT, but=draining.name)
        await _drain(stack, draining)
        fp.release(POINT)
        final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=120)
        assert final["status"] == "succeeded" and final["attemptNumber"] == 1, final
        assert final["executorId"] == draining.name, final
        await asyncio.wait_for(draining.process.wait(), timeout=60)
        assert draining.process.returncode == 0
        source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
        assert await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id") == source
        # New work goes to the executor that stayed.
        again = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
        done = await stack.wait_run(again["id"], {"succeeded", "failed"}, timeout=120)
        assert done["status"] == "succeeded" and done["executorId"] != draining.name


async def test_draining_executor_takes_no_new_work(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {POINT: "pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        busy = executor_named(stack, await fp.wait_hit(POINT))
        idle = next(p for p in stack.executors if p is not busy)
        idle.signal(signal.SIGTERM)  # nothing running there: it leaves at once
        await asyncio.wait_for(idle.process.wait(), timeout=60)
        await _drain(stack, busy)  # draining with a run in flight (paused)
        other = await stack.post("/api/v1/connections", {"name": "o", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201)
        waiting = await stack.post(
            "/api/v1/syncs", {"connectionId": other["id"], "name": "later", "entities": ["orders"],
                              "tableBindings": [{"entityKey": "orders", "tableName": "later", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        queued = await stack.post(f"/api/v1/syncs/{waiting['id']}/trigger", {})
        # The draining executor has a free slot for the whole rest of its run
        # (its trigger woke the dispatcher): it must not be given the new run.
        fp.release(POINT)
        assert (await stack.wait_run(run["id"], {"succeeded", "failed"}, timeout=120))["status"] == "succeeded"
        await asyncio.wait_for(busy.process.wait(), timeout=60)
        assert busy.process.returncode == 0
        assert not log_events(busy, "run.started", run_id=queued["id"]), "the draining executor started new work"
        assert (await stack.get(f"/api/v1/syncs/runs/{queued['id']}"))["status"] == "pending"
        await stack.start_executor(name="fresh")
        assert (await stack.wait_run(queued["id"], {"succeeded", "failed"}, timeout=120))["status"] == "succeeded"
