"""Fault: cancel at random points of a run (pending, just assigned, mid-batch,
and cancel followed by the executor's death).

The run must end `cancelled` within the cancel timeout (or `succeeded` when it
finished first), the executor must stop loading, a replace target must never
be half-swapped, and a cancel must never start another run.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.faults import (
    assert_exact_rows,
    create_sync,
    describe,
    executor_named,
    fault_rng,
    fault_stack,
    log_events,
    make_source,
    request_status,
    sync_runs,
    table_rows,
    wait_for,
    wait_rows,
)
from tests.acceptance.tcp_proxy import TcpProxy

pytestmark = pytest.mark.acceptance

ROWS = 100_000
PAGE = 1_000
CANCEL_TIMEOUT = float(FAST_ENGINE["SYNCPLANE_CANCEL_TIMEOUT_SECONDS"])
POINTS = ("at_once", "random_delay", "just_assigned", "mid_batch", "then_executor_killed")
STALE = [(i, f"stale-{i}") for i in range(1, 6)]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_cancel_at_random_points(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = fault_rng("cancel")
    await make_source(second_dsn, ROWS, table="orders")
    points = list(POINTS) + [rng.choice(["random_delay", "mid_batch"])]
    rng.shuffle(points)
    async with fault_stack(fresh_dsn, tmp_path, executors=2) as stack:
        for i, point in enumerate(points):
            mode = rng.choice(["upsert", "replace"])
            dest = f"cancel_{i}_{mode}"
            if mode == "replace":
                conn = await asyncpg.connect(fresh_dsn)
                await conn.execute(f"CREATE TABLE public.{dest} (id bigint PRIMARY KEY, customer text)")
                await conn.executemany(f"INSERT INTO public.{dest} VALUES ($1, $2)", STALE)
                await conn.close()
            sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
            run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
            at_rows = int(ROWS * rng.uniform(0.05, 0.7))
            if point == "random_delay":
                await asyncio.sleep(rng.uniform(0.0, 0.6))
            elif point == "just_assigned":
                await wait_rows(stack, run["id"], 0)
            elif point in ("mid_batch", "then_executor_killed"):
                await wait_rows(stack, run["id"], at_rows)
            before = await stack.get(f"/api/v1/syncs/runs/{run['id']}")

            t0 = time.monotonic()
            code, _, answer = await request_status(
                stack, "POST", f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": f"fault {point}"}
            )
            killed = None
            if point == "then_executor_killed" and before["status"] == "running":
                killed = executor_named(stack, before["executorId"])
                await killed.kill()
            final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=CANCEL_TIMEOUT + 5)
            took = time.monotonic() - t0
            print(f"iteration {i}: {mode}, cancel {point} while {before['status']}"
                  f" ({before['summary'].get('rowsWritten', 0)} rows) -> {code} {answer.get('status', answer)}"
                  f" -> {final['status']}/{final['resultReasonCode']} after {took:.1f}s")

            if code == 409:
                # Only when it had already ended (succeeded) before the cancel.
                assert final["status"] == "succeeded", (code, answer, final)
            else:
                assert code == 200, (code, answer)
                assert answer["status"] in ("cancelled", "cancelling"), answer
                assert final["status"] in ("cancelled", "succeeded"), final
            assert took < CANCEL_TIMEOUT + 1.5, f"the cancel took {took:.1f}s"
            if code == 200 and before["status"] == "pending" and answer["status"] == "cancelled":
                assert final["resultReasonCode"] == "cancelled_before_start"

            # A cancel never starts another run, not even after the executor died.
            await asyncio.sleep(1.0 if killed is None else 3.0)
            runs = await sync_runs(stack, sync_id)
            assert len(runs) == 1 and runs[0]["nextAttemptRunId"] is None, describe(runs)

            if final["status"] == "cancelled":
                # The executor stopped loading: no batch committed after the run was cancelled.
                ended = _ts(final["completedAt"])
                late = [e for p in stack.executors for e in log_events(p, "load.batch_committed", run_id=run["id"])
                        if _ts(e["timestamp"]) > ended + timedelta(seconds=1)]
                assert not late, f"{len(late)} batches committed after the run ended cancelled (last {late[-1]['timestamp']})"
                if mode == "replace":
                    seen = await table_rows(fresh_dsn, f"SELECT id, customer FROM public.{dest} ORDER BY id")
                    assert seen == STALE, f"a cancelled replace changed the target ({len(seen)} rows)"
            else:
                await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)
            if killed is not None:
                await stack.start_executor(name=f"executor-r{i}")


async def test_cancel_pending_run_never_starts(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A run that no executor could take yet: cancelled at once, and an executor
    that turns up afterwards does not run it."""
    await make_source(second_dsn, 1_000, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=1) as stack:
        conn_body = await stack.post(
            "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201
        )
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": conn_body["id"], "name": "parked", "entities": ["orders"],
             "executionConfig": {"pageSize": 500, "executorGroup": "parked"},
             "tableBindings": [{"entityKey": "orders", "tableName": "parked_copy", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        await asyncio.sleep(0.5)
        assert (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "pending"
        answer = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "not now"})
        assert answer["status"] == "cancelled" and answer["resultReasonCode"] == "cancelled_before_start", answer
        late = await stack.start_executor(group="parked", name="parked-executor")
        await asyncio.sleep(2.0)
        assert not log_events(late, "run.started"), "a cancelled run was started"
        assert (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "cancelled"
        runs = await sync_runs(stack, sync["id"])
        assert len(runs) == 1, describe(runs)
        # Cancelling again is a conflict, not a 500.
        again = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {}, expect=409)
        assert run["id"] in str(again)


async def test_cancel_during_a_reconnect_reaches_the_executor(fresh_dsn: str, second_dsn: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = 100_000
    await make_source(second_dsn, rows, table="orders")
    async with fault_stack(fresh_dsn, tmp_path, executors=0) as stack:
        proxy = await TcpProxy("127.0.0.1", stack.grpc_port).start()
        try:
            executor = await stack.start_executor(name="executor-0", server=proxy.address)
            await stack.wait_http(lambda status, body: status == 200, "/readyz")
            # Small batches: the run lasts a few seconds.
            sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="cancel_reconnect", page_size=250)
            run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
            current = await wait_rows(stack, run["id"], 5_000)
            assert current["status"] == "running"
            assert stack.server is not None
            server_log = stack.server
            gone = len(log_events(server_log, "executor.disconnected", executor_id="executor-0"))
            connects = len(log_events(executor, "executor.connected"))

            await proxy.cut()

            async def server_noticed() -> bool:
                return len(log_events(server_log, "executor.disconnected", executor_id="executor-0")) > gone
            await wait_for(server_noticed, 5, "the server sees the stream end")
            answer = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "while reconnecting"})
            assert answer["status"] == "cancelling", answer
            await proxy.restore()

            async def reconnected() -> bool:
                return len(log_events(executor, "executor.connected")) > connects
            await wait_for(reconnected, 5, "the executor reconnects")

            final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=CANCEL_TIMEOUT + 5)
            received = log_events(executor, "run.cancel_received", run_id=run["id"])
            # The executor got the Cancel and stopped at a batch boundary (not a
            # cancel timeout, not a run that went on to succeed).
            assert received and final["status"] == "cancelled" and final["resultReasonCode"] == "cancelled", (
                f"run ended {final['status']}/{final['resultReasonCode']} ({final.get('error')}) with"
                f" {final['summary'].get('rowsWritten')} of {rows} rows; the executor received the cancel: {bool(received)}"
            )
        finally:
            await proxy.close()
