"""Fault: cancel at chosen points of a run (at once, just assigned, inside a
batch, between batches, and cancel followed by the executor's death).

Each point but the first is a failpoint the executor is paused at when the
cancel comes, so the run is certainly there, whatever the machine's speed.
The run must end `cancelled` (or `succeeded` when it finished first, only
possible for "at once"), the executor must stop loading at the next batch
boundary, a replace target must never be half-swapped, and a cancel must
never start another run.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.faults import (
    Failpoints,
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
)
from tests.acceptance.tcp_proxy import TcpProxy

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 500  # 40 batches
CANCEL_TIMEOUT = float(FAST_ENGINE["SYNCPLANE_CANCEL_TIMEOUT_SECONDS"])
#: Cancel point -> the failpoint the executor waits at when the cancel comes.
POINTS = {
    "at_once": None,
    "just_assigned": "executor.run.started",
    "mid_batch": "executor.batch.in_transaction",
    "between_batches": "executor.batch.committed",
    "then_executor_killed": "executor.batch.committed",
}
STALE = [(i, f"stale-{i}") for i in range(1, 6)]


@pytest.mark.parametrize("point", list(POINTS))
async def test_cancel_at_chosen_points(point: str, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng(f"cancel_{point}")
    await make_source(second_dsn, ROWS, table="orders")
    failpoint = POINTS[point]
    nth = 1 if failpoint in (None, "executor.run.started") else rng.randrange(2, ROWS // PAGE - 5)
    fp = Failpoints(tmp_path / "failpoints", {failpoint: f"{nth}*pause"} if failpoint else {})
    mode = rng.choice(["upsert", "replace"])
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp if failpoint else None) as stack:
        dest = f"cancel_{point}_{mode}"
        if mode == "replace":
            conn = await asyncpg.connect(fresh_dsn)
            await conn.execute(f"CREATE TABLE public.{dest} (id bigint PRIMARY KEY, customer text)")
            await conn.executemany(f"INSERT INTO public.{dest} VALUES ($1, $2)", STALE)
            await conn.close()
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        holder = None
        if failpoint is not None:
            holder = executor_named(stack, await fp.wait_hit(failpoint))
            fp.release(failpoint, but=holder.name)
        before = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        if holder is not None:
            assert before["status"] == "running" and before["executorId"] == holder.name, before

        code, _, answer = await request_status(
            stack, "POST", f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": f"fault {point}"}
        )
        killed = None
        if point == "then_executor_killed":
            killed = holder
            assert killed is not None
            await killed.kill()
        elif holder is not None:
            # The executor goes on once the cancel reached it (or ended it).
            async def received() -> bool:
                return bool(log_events(holder, "run.cancel_received", run_id=run["id"]))
            await wait_for(received, 60, f"{holder.name} receives the cancel")
        if failpoint is not None:
            fp.release(failpoint)
        final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=CANCEL_TIMEOUT + 60)
        print(f"{mode}, cancel {point} ({failpoint} #{nth}) while {before['status']}"
              f" ({before['summary'].get('rowsWritten', 0)} rows) -> {code} {answer.get('status', answer)}"
              f" -> {final['status']}/{final['resultReasonCode']}")

        if code == 409:
            # Only when it had already ended (succeeded) before the cancel.
            assert point == "at_once" and final["status"] == "succeeded", (code, answer, final)
        else:
            assert code == 200, (code, answer)
            assert answer["status"] in ("cancelled", "cancelling"), answer
            if point == "at_once":
                assert final["status"] in ("cancelled", "succeeded"), final
            else:
                assert final["status"] == "cancelled", final
        if code == 200 and before["status"] == "pending" and answer["status"] == "cancelled":
            assert final["resultReasonCode"] == "cancelled_before_start"

        # A cancel never starts another run, not even after the executor died
        # (a next attempt is queued in the transaction that ends a run).
        runs = await sync_runs(stack, sync_id)
        assert len(runs) == 1 and runs[0]["nextAttemptRunId"] is None, describe(runs)

        if final["status"] == "cancelled":
            # The executor stopped loading at the next batch boundary: at most the
            # batch it was inside when the cancel came committed after it.
            for proc in stack.executors:
                if not proc.alive:
                    continue
                events = [e for e in log_events(proc) if e.get("run_id") == run["id"]
                          and e["event"] in ("run.cancel_received", "load.batch_committed", "run.ended")]
                names = [e["event"] for e in events]
                if "run.cancel_received" in names:
                    async def ended(proc=proc) -> bool:  # type: ignore[no-untyped-def]
                        return bool(log_events(proc, "run.ended", run_id=run["id"]))
                    await wait_for(ended, 60, f"{proc.name} ends the cancelled attempt")
                    names = [e["event"] for e in log_events(proc) if e.get("run_id") == run["id"]
                             and e["event"] in ("run.cancel_received", "load.batch_committed")]
                    late = names[names.index("run.cancel_received") + 1:].count("load.batch_committed")
                    assert late <= 1, f"{proc.name} committed {late} batches after it received the cancel"
            if mode == "replace":
                seen = await table_rows(fresh_dsn, f"SELECT id, customer FROM public.{dest} ORDER BY id")
                assert seen == STALE, f"a cancelled replace changed the target ({len(seen)} rows)"
        else:
            await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)


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
        assert (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "pending"  # no "parked" executor
        answer = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "not now"})
        assert answer["status"] == "cancelled" and answer["resultReasonCode"] == "cancelled_before_start", answer
        # A "parked" executor turns up, and a later run of that group: it runs
        # that one (so it has seen the queue), never the cancelled one.
        late = await stack.start_executor(group="parked", name="parked-executor")
        later = await stack.post(
            "/api/v1/syncs",
            {"connectionId": conn_body["id"], "name": "parked later", "entities": ["orders"],
             "executionConfig": {"pageSize": 500, "executorGroup": "parked"},
             "tableBindings": [{"entityKey": "orders", "tableName": "parked_later", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        later_run = await stack.post(f"/api/v1/syncs/{later['id']}/trigger", {"runMode": "full"})
        done = await stack.wait_run(later_run["id"], {"succeeded", "failed", "cancelled"}, timeout=120)
        assert done["status"] == "succeeded" and done["executorId"] == late.name, done
        assert not log_events(late, "run.started", run_id=run["id"]), "a cancelled run was started"
        assert (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "cancelled"
        runs = await sync_runs(stack, sync["id"])
        assert len(runs) == 1, describe(runs)
        # Cancelling again is a conflict, not a 500.
        again = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {}, expect=409)
        assert run["id"] in str(again)


async def test_cancel_during_a_reconnect_reaches_the_executor(fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rows = ROWS
    await make_source(second_dsn, rows, table="orders")
    point = "executor.batch.committed"
    fp = Failpoints(tmp_path / "failpoints", {point: f"{fault_rng('cancel_reconnect').randrange(2, 30)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=0) as stack:
        proxy = await TcpProxy("127.0.0.1", stack.grpc_port).start()
        try:
            executor = await stack.start_executor(name="executor-0", server=proxy.address, env=fp.env("executor-0"))
            await stack.wait_http(lambda status, body: status == 200, "/readyz")
            sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="cancel_reconnect", page_size=PAGE)
            run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
            await fp.wait_hit(point)  # the run stays in flight until released
            current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
            assert current["status"] == "running", current
            assert stack.server is not None
            server_log = stack.server
            gone = len(log_events(server_log, "executor.disconnected", executor_id="executor-0"))
            connects = len(log_events(executor, "executor.connected"))

            await proxy.cut()

            async def server_noticed() -> bool:
                return len(log_events(server_log, "executor.disconnected", executor_id="executor-0")) > gone
            await wait_for(server_noticed, 60, "the server sees the stream end")
            answer = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "while reconnecting"})
            assert answer["status"] == "cancelling", answer
            await proxy.restore()

            async def reconnected() -> bool:
                return len(log_events(executor, "executor.connected")) > connects
            await wait_for(reconnected, 60, "the executor reconnects")
            fp.release(point)

            final = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=CANCEL_TIMEOUT + 60)
            received = log_events(executor, "run.cancel_received", run_id=run["id"])
            # The executor got the Cancel and stopped at a batch boundary (not a
            # cancel timeout, not a run that went on to succeed).
            assert received and final["status"] == "cancelled" and final["resultReasonCode"] == "cancelled", (
                f"run ended {final['status']}/{final['resultReasonCode']} ({final.get('error')}) with"
                f" {final['summary'].get('rowsWritten')} of {rows} rows; the executor received the cancel: {bool(received)}"
            )
        finally:
            await proxy.close()
