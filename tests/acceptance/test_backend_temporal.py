"""The `temporal` execution backend against a real Temporal dev server (one per
module), a real syncplane server and real `syncplane temporal-worker`
processes. Faults land on failpoints in the worker's connector (a batch
committed at the destination), never on sleeps.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from temporalio import workflow
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from syncplane.server.temporal_dev import TemporalDevServer
from syncplane.temporal_contract import WORKFLOW
from tests.acceptance.faults import Failpoints, assert_exact_rows, log_events, make_source, run_chain, wait_for
from tests.acceptance.syncs_support import watch_until_rows
from tests.acceptance.tcp_proxy import TcpProxy
from tests.acceptance.temporal_support import (
    create_temporal_sync,
    temporal,  # noqa: F401 - the module's dev server fixture
    temporal_stack,
    workflow_of,
)

pytestmark = pytest.mark.acceptance

ROWS = 5_000
PAGE = 250  # 20 batches
TERMINAL = {"succeeded", "failed", "cancelled"}
PAUSE_AT = "executor.batch.committed"


async def test_run_on_temporal_succeeds_with_backend_fields(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, ROWS)
    async with temporal_stack(fresh_dsn, tmp_path, temporal, workers=0) as ts:
        # The sync names its own task queue; only a worker on that queue runs it.
        queue = f"{ts.task_queue}-own"
        ts.task_queue = queue
        await ts.start_worker("own-queue-worker")
        marker = f"pw-{uuid.uuid4().hex}"  # the source's password (the test server trusts any)
        sync_id = await create_temporal_sync(
            ts.stack, second_dsn, dest_table="t_ok", page_size=PAGE, execution_config={"taskQueue": queue},
            secrets={"password": marker},
        )
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=120)

        assert done["status"] == "succeeded", done
        assert done["resultClass"] == "success" and done["summary"]["rowsWritten"] == ROWS, done
        assert done["executionBackend"] == "temporal"
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "t_ok")

        wid = workflow_of(done)
        temporal_run = done["backendRunRef"].split("/")[1]
        described = await ts.describe(wid)
        assert described.status == WorkflowExecutionStatus.COMPLETED and described.run_id == temporal_run
        assert described.task_queue == queue
        assert done["backendStatus"]["workflowId"] == wid, done["backendStatus"]
        # The worker ended the attempt before any poll saw the workflow close:
        # the engine's last look records Temporal's final view all the same.
        async def completed() -> dict[str, Any] | None:
            run = await ts.stack.get(f"/api/v1/syncs/runs/{done['id']}")
            return run if run["backendStatus"].get("status") == "COMPLETED" else None

        final = await wait_for(completed, 30, "backendStatus COMPLETED after the run succeeded")
        assert final["backendStatus"]["result"] == {"outcome": "succeeded", "reasonCode": "completed"}, final
        assert done["backendHeartbeatAt"], done
        # The link opens the workflow's history in the dev server's UI.
        url = done["backendRunUrl"]
        assert url == f"{temporal.ui_url}/namespaces/default/workflows/{wid}/{temporal_run}/history"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200 and "<html" in (await resp.text()).lower()
        # Secrets never enter Temporal's history: the argument names the attempt only.
        history = [e async for e in (await ts.client()).get_workflow_handle(wid).fetch_history_events()]
        started = history[0].workflow_execution_started_event_attributes
        arg = (await (await ts.client()).data_converter.decode(started.input.payloads))[0]
        assert set(arg) == {"run_id", "attempt_token", "heartbeat_timeout_s", "max_activity_attempts"}, arg
        assert marker not in str(history)
        # Nor anywhere in Temporal's own store.
        stored = b"".join(f.read_bytes() for f in temporal.data_dir.glob("temporal.db*"))
        assert wid.encode() in stored and marker.encode() not in stored


async def test_cancel_mid_run_ends_cancelled(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {PAUSE_AT: "3*pause"})
    async with temporal_stack(fresh_dsn, tmp_path, temporal, failpoints=fp) as ts:
        sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_cancel", page_size=PAGE)
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(PAUSE_AT)
        # Live progress reaches a watching client as for a native run (the worker reports it).
        live = await watch_until_rows(ts.stack, run["id"])
        assert 0 < live["summary"]["rowsWritten"] < ROWS, live["summary"]
        await ts.stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {})
        # Held at the batch until the cancel has reached the attempt (through
        # Temporal's heartbeat or the control plane's report answer).
        worker = ts.workers[0]
        await wait_for(
            lambda: _async(log_events(worker, "temporal.cancel_requested") or log_events(worker, "attempt.cancel_received")),
            timeout=60, what="the cancel reached the worker",
        )
        fp.release(PAUSE_AT)

        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=60)
        assert done["status"] == "cancelled" and done["resultClass"] == "cancelled", done
        assert done["summary"].get("rowsWritten", 0) < ROWS, done
        wid = workflow_of(done)
        described = await wait_for(
            lambda: _closed(ts, wid), timeout=60, what="the workflow closed after the cancel"
        )
        # CANCELED when Temporal's cancel stopped the activity first; when the
        # control plane's answer to a report did, the workflow completed with
        # the attempt's cancelled result. Either way it stopped, saying so.
        if described.status == WorkflowExecutionStatus.COMPLETED:
            assert (await ts.workflow_result(wid))["outcome"] == "cancelled"
        else:
            assert described.status == WorkflowExecutionStatus.CANCELED, described.status


async def test_worker_killed_mid_run_temporal_retries_exact_rows(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {PAUSE_AT: "4*pause"})
    async with temporal_stack(fresh_dsn, tmp_path, temporal, workers=2, failpoints=fp) as ts:
        sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_kill", page_size=PAGE)
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        victim = ts.worker(await fp.wait_hit(PAUSE_AT))
        await victim.kill()
        fp.release(PAUSE_AT)  # the other worker passes when Temporal retries the activity there

        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=120)
        assert done["status"] == "succeeded", done
        # One syncplane attempt; Temporal's activity retry recovered the lost worker.
        chain = await run_chain(ts.stack, run["id"])
        assert len(chain) == 1 and done["attemptNumber"] == 1, chain
        assert await ts.activity_attempts(workflow_of(done)) == [2], "the activity ran again after the kill"
        # Resumed from the destination's checkpoint, not from scratch.
        assert done["summary"]["rowsRead"] < ROWS, done["summary"]
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "t_kill")


async def test_control_plane_killed_mid_run_records_true_result(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {PAUSE_AT: "3*pause"})
    async with temporal_stack(fresh_dsn, tmp_path, temporal, failpoints=fp) as ts:
        sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_cp", page_size=PAGE)
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(PAUSE_AT)
        wid = workflow_of(await ts.stack.get(f"/api/v1/syncs/runs/{run['id']}"))
        assert ts.stack.server is not None
        await ts.stack.server.kill()
        fp.release(PAUSE_AT)

        # The attempt goes on without any control plane and ends in Temporal.
        result = await ts.workflow_result(wid)
        assert result["outcome"] == "succeeded" and not result["recorded"], result
        await ts.stack.start_server()
        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=60)
        assert done["status"] == "succeeded" and done["summary"]["rowsWritten"] == result["summary"]["rowsWritten"], done
        assert len(await run_chain(ts.stack, run["id"])) == 1, "the adopted attempt was not started again"
        # Its end is when the workflow closed, not when the control plane came back.
        closed = (await ts.describe(wid)).close_time
        assert closed is not None
        # Written with the end in one statement: the first terminal read already holds it.
        recorded = datetime.fromisoformat(done["completedAt"].replace("Z", "+00:00"))
        assert abs((recorded - closed).total_seconds()) < 0.001, (recorded, closed)
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "t_cp")


async def test_temporal_down_at_trigger_waits_then_succeeds(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, 1_000)
    host, port = temporal.address.split(":")
    proxy = await TcpProxy(host, int(port)).start()
    try:
        await proxy.cut(refuse=True)
        async with temporal_stack(fresh_dsn, tmp_path, temporal, address=proxy.address) as ts:
            sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_down", page_size=PAGE)
            run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})

            async def unavailable() -> dict[str, object] | None:
                current = await ts.stack.get(f"/api/v1/syncs/runs/{run['id']}")
                said = current["backendStatus"].get("status") == "UNAVAILABLE"
                # Queued again between two tries (each try claims it for a moment).
                return current if said and current["status"] == "pending" else None

            waiting = await wait_for(unavailable, timeout=60, what="the run waits, saying Temporal is unavailable")
            assert "could not start the attempt" in waiting["backendStatus"]["error"], waiting
            assert waiting["backendStatus"]["retryAt"], waiting

            await proxy.restore()
            done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=120)
            assert done["status"] == "succeeded", done
            assert done["backendStatus"].get("status") != "UNAVAILABLE", done
            await assert_exact_rows(second_dsn, fresh_dsn, "orders", "t_down")
    finally:
        await proxy.close()


async def test_workflow_terminated_by_hand_fails_the_run(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {PAUSE_AT: "2*pause"})
    async with temporal_stack(fresh_dsn, tmp_path, temporal, failpoints=fp) as ts:
        sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_term", page_size=PAGE)
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(PAUSE_AT)
        wid = workflow_of(await ts.stack.get(f"/api/v1/syncs/runs/{run['id']}"))
        await (await ts.client()).get_workflow_handle(wid).terminate(reason="operator stopped it")

        # Still paused: only the control plane's poll can end the run.
        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=60)
        fp.release(PAUSE_AT)
        assert done["status"] == "failed" and done["resultReasonCode"] == "backend_terminated", done
        assert "operator stopped it" in done["error"], done
        assert not done.get("nextAttemptRunId"), "a hand-terminated run is not resumed automatically"
        assert done["backendStatus"]["status"] == "TERMINATED", done["backendStatus"]


async def test_cancel_with_no_worker_listening_is_bounded(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, 100)
    # The engine's own cancel timeout is far away: the backend's grace ends it.
    env = {"SYNCPLANE_CANCEL_TIMEOUT_SECONDS": "300", "SYNCPLANE_TEMPORAL_CANCEL_GRACE_SECONDS": "1"}
    async with temporal_stack(fresh_dsn, tmp_path, temporal, workers=0, env=env) as ts:
        sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_nobody", page_size=PAGE)
        run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})

        async def started() -> dict[str, object] | None:
            current = await ts.stack.get(f"/api/v1/syncs/runs/{run['id']}")
            return current if current.get("backendRunRef") else None

        wid = workflow_of(await wait_for(started, timeout=60, what="the workflow was started"))
        await ts.stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {})
        done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=60)
        assert done["status"] == "cancelled" and done["resultClass"] == "cancelled", done
        assert "no Temporal worker acknowledged the cancel" in done["error"], done
        assert (await ts.describe(wid)).status == WorkflowExecutionStatus.TERMINATED


@workflow.defn(name=WORKFLOW, sandboxed=False)
class BrokenAttemptWorkflow:
    """A bad deploy: the workflow code raises, so its workflow task fails and
    Temporal retries it forever while the workflow stays RUNNING."""

    @workflow.run
    async def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("broken deploy: cannot run SyncplaneAttempt")


async def test_failing_workflow_task_fails_the_run(
    temporal: TemporalDevServer, fresh_dsn: str, second_dsn: str, tmp_path: Path  # noqa: F811
) -> None:
    await make_source(second_dsn, 100)
    async with temporal_stack(fresh_dsn, tmp_path, temporal, workers=0) as ts:
        broken = Worker(await ts.client(), task_queue=ts.task_queue, workflows=[BrokenAttemptWorkflow],
                        workflow_runner=UnsandboxedWorkflowRunner())
        async with broken:
            sync_id = await create_temporal_sync(ts.stack, second_dsn, dest_table="t_broken", page_size=PAGE)
            run = await ts.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
            done = await ts.stack.wait_run(run["id"], TERMINAL, timeout=120)
        assert done["status"] == "failed" and done["resultReasonCode"] == "backend_workflow_task_failed", done
        assert "broken deploy" in done["error"], done
        assert (await ts.describe(workflow_of(done))).status == WorkflowExecutionStatus.TERMINATED


async def _async(value: object) -> object:
    return value


async def _closed(ts: object, wid: str) -> object:
    described = await ts.describe(wid)  # type: ignore[attr-defined]
    return described if described.status != WorkflowExecutionStatus.RUNNING else None
