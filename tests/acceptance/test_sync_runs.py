"""A user's path through the syncs API with real processes: connection ->
sync -> trigger -> watch -> exact rows; cancel; an executor killed mid-run."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

import grpc
import pytest

from tests.acceptance.conftest import SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.syncs_support import create_sync

pytestmark = pytest.mark.acceptance


async def watch_ndjson(stack: Stack, run_id: str) -> list[dict[str, Any]]:
    assert stack.session is not None
    seen = []
    async with stack.session.get(f"{stack.base}/api/v1/syncs/runs/{run_id}/watch") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/x-ndjson")
        async for line in resp.content:
            if line.strip():
                seen.append(json.loads(line))
    return seen


async def test_trigger_watch_and_exact_rows(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 5_000)
    sync_id = await create_sync(stack, second_dsn, page_size=700)

    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    assert run["status"] == "pending" and run["runMode"] == "full" and run["triggeredBy"] == "manual"
    events = await watch_ndjson(stack, run["id"])

    final = events[-1]["result"]
    assert final["status"] == "succeeded", final
    assert final["resultClass"] == "success"
    assert final["summary"]["rowsWritten"] == 5_000
    assert any(e["result"]["status"] == "running" for e in events[:-1])
    source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
    copied = await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id")
    assert copied == source

    sync = await stack.get(f"/api/v1/syncs/{sync_id}")
    assert sync["lastSuccessAt"] is not None and sync["lastError"] is None
    runs = await stack.get(f"/api/v1/syncs/{sync_id}/runs")
    assert runs["total"] == 1 and runs["runs"][0]["id"] == run["id"]


async def test_incremental_run_picks_up_changes(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 1_000)
    sync_id = await create_sync(stack, second_dsn)
    first = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "incremental"})
    assert (await stack.wait_chain(first["id"]))["status"] == "succeeded"
    await table_rows(
        second_dsn,
        "UPDATE orders SET customer = 'changed', updated_at = '2027-01-01' WHERE id <= 10 RETURNING id",
    )
    await table_rows(
        second_dsn,
        "INSERT INTO orders (id, customer, updated_at) VALUES (5001, 'new', '2027-01-02') RETURNING id",
    )
    second = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
    done = await stack.wait_chain(second["id"])
    assert done["status"] == "succeeded"
    # Only the changed rows (and the closed-boundary row) were read again.
    assert done["summary"]["rowsRead"] < 20
    source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
    copied = await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id")
    assert copied == source


async def test_trigger_and_watch_over_grpc(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    from syncplane.syncs.v1 import service_pb2 as pb
    from syncplane.syncs.v1 import service_pb2_grpc

    await make_source(second_dsn, 2_000)
    sync_id = await create_sync(stack, second_dsn)
    md = [("x-api-key", ADMIN_KEY)]
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = service_pb2_grpc.SyncsServiceStub(channel)
        run = await stub.TriggerSync(pb.TriggerSyncRequest(sync_id=sync_id, run_mode="full"), metadata=md)
        statuses = [r.status async for r in stub.WatchSyncRun(pb.WatchSyncRunRequest(run_id=run.id), metadata=md)]
        assert statuses[-1] == "succeeded"
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.GetSync(pb.GetSyncRequest(sync_id=sync_id))
        assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert len(await table_rows(fresh_dsn, "SELECT id FROM public.orders_copy")) == 2_000


async def test_second_trigger_while_active_is_409(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 100_000)
    sync_id = await create_sync(stack, second_dsn, page_size=1_000)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    conflict = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {}, expect=409)
    assert run["id"] in conflict["detail"]
    await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "test over"})
    await stack.wait_run(run["id"], {"cancelled", "succeeded"})


async def test_cancel_mid_run_stops_and_starts_nothing(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 300_000)
    sync_id = await create_sync(stack, second_dsn, page_size=2_000)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        if current["status"] == "running" and current["summary"].get("rowsWritten", 0) > 0:
            break
        await asyncio.sleep(0.05)
    cancelled = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "wrong table"})
    assert cancelled["status"] in ("cancelling", "succeeded")
    assert cancelled["cancelReason"] == "wrong table" and cancelled["cancelRequestedBy"] == "bootstrap"
    final = await stack.wait_run(run["id"], {"cancelled", "succeeded", "failed"}, timeout=30)
    assert final["status"] == "cancelled", final
    # A successor (retry, auto-resume) is queued and linked in the transaction that ends the
    # attempt: a terminal attempt without a next attempt has none, now or later.
    assert final["nextAttemptRunId"] is None
    runs = await stack.get(f"/api/v1/syncs/{sync_id}/runs")
    assert runs["total"] == 1
    copied = await table_rows(fresh_dsn, "SELECT count(*) FROM public.orders_copy")
    assert 0 < copied[0][0] < 300_000


async def test_executor_killed_mid_run_resumes_with_exact_rows(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 200_000)
    sync_id = await create_sync(stack, second_dsn, page_size=2_000)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    deadline = time.monotonic() + 30
    current: dict[str, Any] = {}
    while time.monotonic() < deadline:
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        if current["status"] == "running" and current["summary"].get("rowsWritten", 0) >= 10_000:
            break
        await asyncio.sleep(0.02)
    victim = next(p for p in stack.executors if p.name == current["executorId"])
    victim.signal(signal.SIGKILL)
    killed_at = time.monotonic()

    first = await stack.wait_run(run["id"], {"failed", "succeeded"}, timeout=15)
    assert first["status"] == "failed", "the attempt must not be reported done after its executor died"
    assert first["resultReasonCode"] == "heartbeat_timeout"
    assert time.monotonic() - killed_at < 10
    assert first["nextAttemptRunId"]

    final = await stack.wait_chain(first["nextAttemptRunId"], timeout=60)
    assert final["status"] == "succeeded", final
    assert final["attemptNumber"] == 2 and final["triggeredBy"] == "auto_resume"
    assert final["attemptRootRunId"] == run["id"] and final["previousAttemptRunId"] == run["id"]
    assert final["executorId"] != victim.name
    # Resumed from the checkpoint: the second attempt did not read everything again.
    assert final["summary"]["rowsRead"] < 200_000
    source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
    copied = await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id")
    assert copied == source


async def test_retry_creates_next_attempt(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 100)
    sync_id = await create_sync(stack, second_dsn)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
    await stack.wait_run(run["id"], {"succeeded"})
    retried = await stack.post(f"/api/v1/syncs/runs/{run['id']}/retry", {"runMode": "full"})
    assert retried["attemptNumber"] == 2 and retried["triggeredBy"] == "retry"
    assert retried["previousAttemptRunId"] == run["id"] and retried["runMode"] == "full"
    assert (await stack.wait_run(retried["id"], {"succeeded", "failed"}))["status"] == "succeeded"
    again = await stack.post(f"/api/v1/syncs/runs/{run['id']}/retry", {}, expect=409)
    assert retried["id"] in again["detail"]


async def test_fan_out_entity_loads_entities_in_parallel(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    for table in ("orders", "refunds", "invoices"):
        await make_source(second_dsn, 50_000, table=table)
    connection = await stack.post(
        "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": "three at once", "entities": ["orders", "refunds", "invoices"],
         "executionMode": "fan_out_entity", "executionConfig": {"maxParallelism": 3, "pageSize": 2_000},
         "tableBindings": [{"entityKey": t, "primaryKeyColumns": ["id"], "loadMode": "upsert"}
                           for t in ("orders", "refunds", "invoices")]},
        expect=201,
    )
    run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
    seen_parallel = False
    while True:
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        entities = current["summary"].get("entities", {})
        loading = [e for e in entities.values() if 0 < e.get("rowsWritten", 0) < 50_000]
        seen_parallel = seen_parallel or len(loading) >= 2
        if current["status"] in ("succeeded", "failed", "cancelled"):
            break
        await asyncio.sleep(0.02)
    assert current["status"] == "succeeded", current
    assert current["executionMode"] == "fan_out_entity"
    assert {k: v["rowsWritten"] for k, v in current["summary"]["entities"].items()} == {
        "orders": 50_000, "refunds": 50_000, "invoices": 50_000}
    assert seen_parallel, "no two entities were ever loading at the same time"
    for table in ("orders", "refunds", "invoices"):
        source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM {table} ORDER BY id")
        assert await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.{table} ORDER BY id") == source
