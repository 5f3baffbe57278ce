"""The `prefect` execution backend against a real Prefect server (one per
module) and real Prefect process workers: a run attempt is a flow run of a
deployment, the flow runs the same connector code as a native executor.

Faults land at failpoints in the flow process (armed through its worker's
environment), so a run is certainly mid-way when it is cancelled or killed.
"""

from __future__ import annotations

import os
import signal
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from syncplane.prefect_contract import decode_result
from syncplane.server.prefect_local import LocalPrefect
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.faults import assert_exact_rows, describe, make_source, run_chain
from tests.acceptance.harness import Stack
from tests.acceptance.prefect_support import (
    SILENCE_SECONDS,
    PrefectStack,
    create_prefect_sync,
    prefect,
    prefect_stack,
)
from tests.acceptance.syncs_support import watch_until_rows
from tests.acceptance.wait_support import wait_for

pytestmark = pytest.mark.acceptance

__all__ = ["prefect"]  # the module's Prefect server fixture

ROWS = 5_000
PAGE = 250  # 20 batches
BATCH = "executor.batch.committed"
#: Prefect's state types a flow run does not leave by itself.
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


async def _backend_status(stack: Stack, run_id: str, status: str) -> dict[str, Any]:
    """Waits until the run shows Prefect's view of its flow run as `status`; the run."""

    async def shown() -> dict[str, Any] | None:
        run: dict[str, Any] = await stack.get(f"/api/v1/syncs/runs/{run_id}")
        return run if (run.get("backendStatus") or {}).get("status") == status else None

    result: dict[str, Any] = await wait_for(shown, timeout=30, what=f"backendStatus {status}")
    return result


async def test_prefect_run_succeeds_with_backend_fields(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    await make_source(second_dsn, ROWS)
    async with prefect_stack(fresh_dsn, tmp_path, prefect) as ps:
        stack = ps.stack
        offered = await stack.get("/api/v1/syncs/execution-backends")
        assert "prefect" in str(offered), offered
        sync_id = await create_prefect_sync(stack, second_dsn, dest_table="prefect_ok", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=120)
        assert done["status"] == "succeeded", done
        assert done["resultClass"] == "success" and done["resultReasonCode"] == "completed", done
        assert done["summary"]["rowsWritten"] == ROWS, done["summary"]
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "prefect_ok")

        # The backend's fields: its flow run, a link Prefect's UI answers, its view, the flow's last report.
        flow_run_id = str(uuid.UUID(done["backendRunRef"]))
        assert done["backendRunUrl"] == f"{prefect.ui_url}/runs/flow-run/{flow_run_id}", done
        browser = {"Accept": "text/html"}  # Prefect's UI serves its pages to browsers
        async with aiohttp.ClientSession() as session, session.get(done["backendRunUrl"], headers=browser) as page:
            assert page.status == 200 and "text/html" in page.headers["Content-Type"], page.status
        # The flow's finish ends the run while Prefect still says Running; its end is recorded after.
        settled = await _backend_status(stack, run["id"], "COMPLETED")
        assert settled["backendStatus"]["flowRunId"] == flow_run_id, settled["backendStatus"]
        assert done["backendHeartbeatAt"], done
        flow_run = await ps.flow_run(flow_run_id)
        assert flow_run.state is not None and flow_run.state.type.value == "COMPLETED"
        # The flow run names the attempt only: no plan, no secrets, no executor token.
        assert set(flow_run.parameters) == {"run_id", "attempt_token", "control_plane"}, flow_run.parameters
        assert flow_run.parameters["run_id"] == run["id"]
        assert stack.executor_token is not None
        stored = b"".join(p.read_bytes() for p in prefect.home.glob("*.db*"))
        assert stored and stack.executor_token.encode() not in stored


async def _run_then_kill_worker_and_flow(ps: PrefectStack, fp: Failpoints, source_dsn: str, table: str) -> dict[str, Any]:
    """Triggers a sync whose flow pauses mid-run, then SIGKILLs its worker and
    its flow process: nothing of the attempt lives, Prefect still says Running."""
    sync_id = await create_prefect_sync(ps.stack, source_dsn, dest_table=table, page_size=PAGE)
    run: dict[str, Any] = await ps.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    who = await fp.wait_hit(BATCH)
    flow_pid = fp.hit_pid(who, BATCH)
    await ps.workers[0].kill()
    os.kill(flow_pid, signal.SIGKILL)
    return run


async def test_prefect_cancel_mid_run(prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {BATCH: "2*pause"})
    async with prefect_stack(fresh_dsn, tmp_path, prefect, failpoints=fp) as ps:
        stack = ps.stack
        sync_id = await create_prefect_sync(stack, second_dsn, dest_table="prefect_cancel", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(BATCH)
        # Live progress reaches a watching client as for a native run (the flow reports it).
        live = await watch_until_rows(stack, run["id"])
        assert 0 < live["summary"]["rowsWritten"] < ROWS, live["summary"]
        await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "not now"})

        # Paused mid-batch, the flow still reports: the cancel comes back with its next report
        # (or first as SIGTERM from Prefect's worker, once the backend set the flow run Cancelling).
        async def received() -> bool:
            return "attempt.cancel_received" in ps.workers[0].log()

        await wait_for(received, timeout=30, what="the flow to receive the cancel")
        fp.release(BATCH)
        done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=60)
        assert done["status"] == "cancelled" and done["resultClass"] == "cancelled", done
        assert not done.get("nextAttemptRunId"), "a cancelled run must not be resumed"
        flow_run = await ps.wait_flow_state(done["backendRunRef"], {"CANCELLED"})
        assert flow_run.state is not None and flow_run.state.type.value == "CANCELLED"


async def test_prefect_worker_killed_flow_finishes(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """Prefect's trap: kill -9 of the worker leaves its flow process running.
    The flow reports to the control plane, not through the worker: the run
    ends with every row, once."""
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {BATCH: "3*pause"})
    async with prefect_stack(fresh_dsn, tmp_path, prefect, failpoints=fp) as ps:
        stack = ps.stack
        sync_id = await create_prefect_sync(stack, second_dsn, dest_table="prefect_worker_kill", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        who = await fp.wait_hit(BATCH)
        await ps.workers[0].kill()
        fp.release(BATCH)
        done = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        assert done["status"] == "succeeded" and len(chain) == 1, describe(chain)
        assert done["summary"]["rowsWritten"] == ROWS, done["summary"]
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "prefect_worker_kill")
        assert (await ps.flow_run(done["backendRunRef"])).state.type.value == "COMPLETED"  # type: ignore[union-attr]
        assert fp.hit_pid(who, BATCH) != ps.workers[0].pid, "the failpoint must be hit in the flow process"


async def test_prefect_worker_and_flow_killed_ends_within_bound_and_resumes(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """Prefect's other trap: worker and flow process both killed, the flow run
    stays Running forever. The silence bound ends it heartbeat_timeout (forced
    Crashed in Prefect) and the next attempt resumes to exactly the source rows."""
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {BATCH: "3*pause"})
    async with prefect_stack(fresh_dsn, tmp_path, prefect, failpoints=fp) as ps:
        stack = ps.stack
        run = await _run_then_kill_worker_and_flow(ps, fp, second_dsn, "prefect_both_kill")
        first = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        flow_run_id = first["backendRunRef"]
        assert (await ps.flow_run(flow_run_id)).state.type.value == "RUNNING"  # type: ignore[union-attr]

        first = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=SILENCE_SECONDS + 30)
        assert first["status"] == "failed" and first["resultReasonCode"] == "heartbeat_timeout", first
        assert "Prefect flow run was lost" in (first.get("error") or ""), first
        assert first["backendStatus"]["status"] == "CRASHED", first["backendStatus"]
        assert first["nextAttemptRunId"], "the lost attempt must be resumed"
        crashed = await ps.flow_run(flow_run_id)
        assert crashed.state is not None and crashed.state.type.value == "CRASHED", crashed.state

        await ps.start_worker("pworker-r", armed=False)
        done = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        assert done["status"] == "succeeded", describe(chain)
        assert chain[1]["triggeredBy"] == "auto_resume" and chain[1]["backendRunRef"] != flow_run_id, describe(chain)
        # Resumed from the destination's checkpoint, not from scratch.
        assert done["summary"]["rowsRead"] < ROWS, done["summary"]
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "prefect_both_kill")


async def test_prefect_control_plane_killed_mid_run_records_true_result(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """The control plane is not in the data path: killed mid-run, its flow
    finishes by itself (its reports and finish unanswered) and ends in
    Prefect with the attempt's result; the server that comes back records
    that result and the flow run's end time, without starting it again."""
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {BATCH: "3*pause"})
    async with prefect_stack(fresh_dsn, tmp_path, prefect, failpoints=fp) as ps:
        stack = ps.stack
        sync_id = await create_prefect_sync(stack, second_dsn, dest_table="prefect_cp_kill", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(BATCH)
        flow_run_id = (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["backendRunRef"]
        assert flow_run_id, "the flow runs: its flow run is recorded on the run"
        assert stack.server is not None
        await stack.server.kill()
        fp.release(BATCH)

        # No control plane: the flow runs to its end and leaves its result in Prefect.
        ended = await ps.wait_flow_state(flow_run_id, FINAL_STATES, timeout=120)
        assert ended.state is not None and ended.state.type.value == "COMPLETED", ended.state
        result = decode_result(ended.state.message)
        assert result is not None and result["outcome"] == "succeeded", ended.state.message
        assert not result["recorded"], "no control plane was up to record the finish"
        assert result["summary"]["rowsWritten"] == ROWS, result
        assert ended.end_time is not None and ended.run_count == 1, ended

        await stack.start_server()
        done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=60)
        assert done["status"] == "succeeded" and done["resultReasonCode"] == "completed", done
        assert done["summary"]["rowsWritten"] == result["summary"]["rowsWritten"], done["summary"]
        chain = await run_chain(stack, run["id"])
        assert len(chain) == 1 and done["backendRunRef"] == flow_run_id, describe(chain)
        assert (await ps.flow_run(flow_run_id)).run_count == 1, "the adopted flow run was not started again"
        # Its end is the flow run's, not the restart's; written with the end in
        # one statement, so the first terminal read already holds it.
        recorded = datetime.fromisoformat(done["completedAt"].replace("Z", "+00:00"))
        assert abs((recorded - ended.end_time).total_seconds()) < 0.001, (recorded, ended.end_time)
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "prefect_cp_kill")


async def test_prefect_cancel_with_worker_and_flow_dead_is_bounded(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """A cancel while nothing of the attempt lives: Prefect alone would leave
    the flow run Cancelling for good (no worker to stop it). The silence bound
    forces it Cancelled and ends the run cancelled, never resumed."""
    await make_source(second_dsn, ROWS)
    fp = Failpoints(tmp_path / "failpoints", {BATCH: "3*pause"})
    async with prefect_stack(fresh_dsn, tmp_path, prefect, failpoints=fp) as ps:
        stack = ps.stack
        run = await _run_then_kill_worker_and_flow(ps, fp, second_dsn, "prefect_dead_cancel")
        cancelling = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "nobody is there"})
        assert cancelling["status"] == "cancelling", cancelling
        flow_run_id = cancelling["backendRunRef"]
        assert flow_run_id, cancelling

        done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=SILENCE_SECONDS + 30)
        assert done["status"] == "cancelled" and done["resultClass"] == "cancelled", done
        assert done["resultReasonCode"] == "cancelled", done
        assert "the Prefect flow was gone" in (done.get("error") or ""), done
        assert not done.get("nextAttemptRunId"), "a cancelled run must not be resumed"
        assert len(await run_chain(stack, run["id"])) == 1
        assert done["backendStatus"]["status"] == "CANCELLED", done["backendStatus"]
        # Forced in Prefect before the run ended: no flow run left Cancelling.
        flow_run = await ps.flow_run(flow_run_id)
        assert flow_run.state is not None and flow_run.state.type.value == "CANCELLED", flow_run.state
        assert (flow_run.state.message or "").startswith("syncplane: no report"), flow_run.state.message


async def test_prefect_down_at_trigger_waits_then_runs(
    prefect: LocalPrefect, fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """Prefect unreachable when the run is dispatched: the run waits pending,
    saying why, is tried again, and runs once Prefect is back. (Last in the
    module: it stops and restarts the module's Prefect server.)"""
    await make_source(second_dsn, ROWS)
    async with prefect_stack(fresh_dsn, tmp_path, prefect, workers=0) as ps:
        stack = ps.stack
        sync_id = await create_prefect_sync(stack, second_dsn, dest_table="prefect_down", page_size=PAGE)
        assert prefect.server is not None
        await prefect.server.stop()
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})

        async def waiting() -> dict[str, object] | None:
            current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
            status = current.get("backendStatus") or {}
            return current if current["status"] == "pending" and status.get("status") == "UNAVAILABLE" else None

        pending = await wait_for(waiting, timeout=60, what="the run pending with Prefect unavailable")
        assert "could not start the attempt" in str(pending["backendStatus"]), pending

        await prefect.start_server()  # same port, same database
        ps.prefect.server = prefect.server
        await ps.start_worker()
        done = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        assert done["status"] == "succeeded" and len(chain) == 1, describe(chain)
        await _backend_status(stack, run["id"], "COMPLETED")
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", "prefect_down")
