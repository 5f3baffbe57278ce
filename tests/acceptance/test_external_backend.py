"""The `external` execution backend end to end: a real server with
SYNCPLANE_EXTERNAL_BACKEND=on and no native executor, and the example worker
(examples/external_worker.py, plain HTTP) as real processes.

- a run of an external sync is claimed by the worker of its queue (not by a
  worker of another queue), succeeds with exactly the source rows, and shows
  the backend fields from the worker's reports;
- the worker SIGKILLed mid-run (paused at a failpoint after its 3rd committed
  batch): the lease runs out, the attempt ends heartbeat_timeout, the next
  attempt is claimed by another worker, resumes, and the table holds exactly
  the source rows; the dead attempt's token is refused from then on;
- a cancel reaches the worker in the answer to its heartbeat: the run ends cancelled;
- the control plane SIGKILLed and restarted mid-run: the worker keeps going, the table ends exact;
- a backend this server is not configured for is refused with 422 naming the setting;
- executor.attempt_runner (the Temporal and Prefect workers' runtime) runs a claimed attempt over gRPC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from syncplane.executor.attempt_runner import AttemptRefused, AttemptResult, AttemptTicket, run_attempt
from syncplane.server.db.dsn import with_database
from tests.acceptance.conftest import FAST_ENGINE, make_source
from tests.acceptance.external_support import external_sync, start_worker
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.faults import assert_exact_rows, run_chain
from tests.acceptance.harness import Proc, Stack
from tests.acceptance.wait_support import wait_for
from tests.conftest import _create_database, _drop_database

pytestmark = pytest.mark.acceptance

ROWS = 6_000
PAGE = 500  # 12 batches


@pytest.fixture(scope="module")
async def dbs(pg_root_dsn: str) -> AsyncIterator[tuple[str, str]]:
    """The control plane's database and a source database, for the whole module."""
    names = [await _create_database(pg_root_dsn), await _create_database(pg_root_dsn)]
    try:
        control, source = (with_database(pg_root_dsn, n) for n in names)
        await make_source(source, ROWS, table="orders")
        yield control, source
    finally:
        for name in names:
            await _drop_database(pg_root_dsn, name)


@pytest.fixture(scope="module")
async def stack(dbs: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    s = Stack(
        database_url=dbs[0], log_dir=tmp_path_factory.mktemp("external") / "logs",
        env={**FAST_ENGINE, "SYNCPLANE_EXTERNAL_BACKEND": "on"},
    )
    try:
        yield await s.start(executors=0)
    finally:
        await s.stop()


@pytest.fixture
async def workers(stack: Stack) -> AsyncIterator[list[Proc]]:
    """Workers a test starts; killed at its end (their logs are printed if it failed)."""
    started: list[Proc] = []
    yield started
    for proc in started:
        await proc.kill()


async def _token_of(dsn: str, run_id: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT attempt_token FROM syncplane.runs WHERE id = $1::uuid", run_id))
    finally:
        await conn.close()


async def _contains(proc: Proc, text: str) -> bool:
    return text in proc.log()


async def _raw_post(stack: Stack, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
    """A call as an outside worker makes it (executor token, no API key)."""
    headers = {"Authorization": f"Bearer {stack.executor_token}"}
    async with aiohttp.ClientSession(headers=headers) as http, http.post(stack.base + path, json=body) as resp:
        return resp.status, await resp.json()


async def test_backends_offered_and_refused(stack: Stack) -> None:
    listed = await stack.get("/api/v1/syncs/execution-backends")
    assert listed["backends"] == [
        {"name": "native", "available": True, "setting": ""},
        {"name": "prefect", "available": False, "setting": "SYNCPLANE_PREFECT_API_URL"},
        {"name": "temporal", "available": False, "setting": "SYNCPLANE_TEMPORAL_ADDRESS"},
        {"name": "external", "available": True, "setting": ""},
    ]
    connection = await stack.post(
        "/api/v1/connections", {"name": "c", "providerKey": "postgres", "config": {"dsn": "postgresql://x/y"}}, expect=201
    )
    body = {"connectionId": connection["id"], "name": "s", "entities": ["orders"], "executionBackend": "temporal"}
    refused = await stack.post("/api/v1/syncs", body, expect=422)
    [problem] = refused["detail"]
    assert problem["loc"] == ["body", "executionBackend"], refused
    assert "SYNCPLANE_TEMPORAL_ADDRESS" in problem["msg"], refused
    syncs = await stack.get("/api/v1/syncs")
    assert all(s["executionBackend"] != "temporal" for s in syncs["syncs"]), "a refused sync was stored"

    # A sync stored while a backend was offered (here: set behind the API's back) cannot be triggered
    # once it is not: 409 naming the setting, no run queued.
    stored = await stack.post("/api/v1/syncs", {**body, "executionBackend": "native"}, expect=201)
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute("UPDATE syncplane.syncs SET execution_backend = 'prefect' WHERE id = $1::uuid", stored["id"])
    finally:
        await conn.close()
    refused = await stack.post(f"/api/v1/syncs/{stored['id']}/trigger", {}, expect=409)
    assert "SYNCPLANE_PREFECT_API_URL" in refused["detail"], refused
    assert not (await stack.get(f"/api/v1/syncs/{stored['id']}/runs")).get("runs"), "a run was queued"


async def test_worker_of_the_queue_runs_it_with_exact_rows(stack: Stack, dbs: tuple[str, str], workers: list[Proc]) -> None:
    control, source = dbs
    other = await external_sync(stack, source, "orders_other_queue", "queue-b")
    sync_id = await external_sync(stack, source, "orders_external", "queue-a")
    # Older, but of another queue: the worker of queue-a must leave it.
    waiting = await stack.post(f"/api/v1/syncs/{other}/trigger", {"runMode": "full"})
    workers.append(await start_worker(stack, "worker-a", "queue-a"))
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})

    done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=60)
    assert (done["status"], done["resultClass"], done["resultReasonCode"]) == ("succeeded", "success", "completed"), done
    await assert_exact_rows(source, control, "orders", "orders_external")
    assert done["summary"]["rowsWritten"] == ROWS, done["summary"]
    # The backend fields come from the worker's own reports.
    assert done["executionBackend"] == "external" and done["executorId"] == "worker-a", done
    assert done["backendRunRef"] == "worker-a-1", done
    assert done["backendRunUrl"] == "http://orchestrator.test/runs/worker-a-1", done
    assert done["backendStatus"]["worker"] and done["backendStatus"]["pid"] == workers[0].pid, done
    assert done["backendHeartbeatAt"], done
    assert (await stack.get(f"/api/v1/syncs/runs/{waiting['id']}"))["status"] == "pending"
    await stack.post(f"/api/v1/syncs/runs/{waiting['id']}/cancel", {})


async def test_worker_killed_mid_run_resumes_elsewhere(
    stack: Stack, dbs: tuple[str, str], workers: list[Proc], tmp_path: Path
) -> None:
    control, source = dbs
    sync_id = await external_sync(stack, source, "orders_killed", "queue-kill", page_size=PAGE)
    fp = Failpoints(tmp_path / "failpoints", {"executor.batch.committed": "3*pause"})
    victim = await start_worker(stack, "victim", "queue-kill", env=fp.env("victim"))
    workers.append(victim)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    assert await fp.wait_hit("executor.batch.committed") == "victim"
    old_token = await _token_of(control, run["id"])
    await victim.kill()  # its heartbeats stop with it: the lease runs out
    workers.append(await start_worker(stack, "rescuer", "queue-kill"))

    last = await stack.wait_chain(run["id"], timeout=90)
    chain = await run_chain(stack, run["id"])
    assert [(r["status"], r["resultReasonCode"]) for r in chain] == [
        ("failed", "heartbeat_timeout"), ("succeeded", "completed"),
    ], chain
    assert [r["triggeredBy"] for r in chain] == ["manual", "auto_resume"], chain
    assert (chain[0]["executorId"], last["executorId"]) == ("victim", "rescuer"), chain
    assert last["executionBackend"] == "external" and last["backendRunRef"] == "rescuer-1", last
    await assert_exact_rows(source, control, "orders", "orders_killed")
    # It resumed from the destination's checkpoint: at least the 3 committed pages were not read again.
    assert last["summary"]["rowsRead"] <= ROWS - 3 * PAGE, last["summary"]

    # The dead attempt's token is refused: its heartbeat and its result.
    path = f"/api/v1/external/attempts/{run['id']}"
    status, body = await _raw_post(stack, path + "/heartbeat", {"attemptToken": str(old_token), "rowsRead": "1"})
    assert (status, body["code"]) == (400, 9), body
    status, body = await _raw_post(
        stack, path + "/finish", {"attemptToken": str(old_token), "outcome": "ATTEMPT_OUTCOME_SUCCEEDED"}
    )
    assert (status, body["code"]) == (400, 9), body
    assert (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "failed"


async def test_cancel_reaches_the_worker(
    stack: Stack, dbs: tuple[str, str], workers: list[Proc], tmp_path: Path
) -> None:
    control, source = dbs
    sync_id = await external_sync(stack, source, "orders_cancelled", "queue-cancel", page_size=PAGE)
    fp = Failpoints(tmp_path / "failpoints", {"executor.batch.committed": "2*pause"})
    worker = await start_worker(stack, "worker-c", "queue-cancel", env=fp.env("worker-c"))
    workers.append(worker)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    await fp.wait_hit("executor.batch.committed")
    asked = await stack.post(f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "test"})
    assert asked["status"] == "cancelling", asked
    # Paused, the worker keeps heartbeating: the answer carries the cancel;
    # released, the connector stops at its next batch boundary.
    heard = f"run {run['id']}: cancel requested"
    await wait_for(lambda: _contains(worker, heard), 30, "the worker heard the cancel")
    fp.release("executor.batch.committed")
    done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=30)
    assert (done["status"], done["resultReasonCode"]) == ("cancelled", "cancelled"), done
    assert done["summary"]["rowsWritten"] < ROWS, done["summary"]
    assert done.get("nextAttemptRunId") is None, done


async def test_control_plane_killed_and_restarted_mid_run(
    stack: Stack, dbs: tuple[str, str], workers: list[Proc], tmp_path: Path
) -> None:
    """The control plane is not in the data path: SIGKILLed and restarted
    while the worker runs, the run still ends with exactly the source rows
    (the same attempt if its heartbeats were back within the lease, else a
    resumed one after heartbeat_timeout; never an attempt started twice)."""
    control, source = dbs
    sync_id = await external_sync(stack, source, "orders_cp_restart", "queue-restart", page_size=PAGE)
    fp = Failpoints(tmp_path / "failpoints", {"executor.batch.committed": "2*pause"})
    worker = await start_worker(stack, "worker-r", "queue-restart", env=fp.env("worker-r"))
    workers.append(worker)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    await fp.wait_hit("executor.batch.committed")
    await stack.restart_server(kill=True)
    fp.release("executor.batch.committed")

    last = await stack.wait_chain(run["id"], timeout=90)
    chain = await run_chain(stack, run["id"])
    assert last["status"] == "succeeded", chain
    assert all(r["resultReasonCode"] == "heartbeat_timeout" for r in chain[:-1]), chain
    assert worker.alive, "the worker kept going through the outage"
    await assert_exact_rows(source, control, "orders", "orders_cp_restart")


async def test_attempt_runner_runs_a_claimed_attempt(stack: Stack, dbs: tuple[str, str]) -> None:
    """executor.attempt_runner (what the Temporal and Prefect workers run) over
    gRPC: fetches the plan and secrets by token, runs the connector, reports
    progress and finishes; a second run of the same ticket is refused."""
    control, source = dbs
    sync_id = await external_sync(stack, source, "orders_runner", "queue-runner", page_size=PAGE)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    status, claimed = await _raw_post(
        stack, "/api/v1/external/attempts:claim", {"workerId": "runner-test", "queue": "queue-runner", "max": 5}
    )
    assert status == 200, claimed
    [plan] = claimed["attempts"]
    assert plan["runId"] == run["id"] and plan["connector"] == "postgres", plan
    assert "source" in plan["secrets"], "the plan carries the attempt's secrets (by role)"

    assert stack.executor_token is not None
    ticket = AttemptTicket(stack.grpc_target, stack.executor_token, plan["runId"], int(plan["attemptToken"]))
    assert stack.executor_token not in repr(ticket)
    assert AttemptTicket.from_dict(ticket.to_dict()) == ticket
    seen: list[dict[str, object]] = []
    result = await run_attempt(ticket, on_progress=seen.append)
    assert (result.outcome, result.result_class, result.reason_code, result.recorded) == (
        "succeeded", "success", "completed", True,
    ), result
    assert result.summary["rowsWritten"] == ROWS and seen, result
    assert AttemptResult.from_dict(result.to_dict()) == result

    done = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
    assert (done["status"], done["summary"]["rowsWritten"]) == ("succeeded", ROWS), done
    await assert_exact_rows(source, control, "orders", "orders_runner")
    with pytest.raises(AttemptRefused):
        await run_attempt(ticket)
