"""Identity runs end to end through a real server and the executor protocol: a
scripted executor (tests/acceptance/identity_executor.py) plays each run, so
these tests pin the server side: schema import, the activity's final status by
the reference's rules, /progress, the watch stream (gRPC, NDJSON, SSE), worker
task cancel while running, and the CLI's `run-profile execute --wait`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import grpc
import pytest
from google.protobuf import json_format

from syncplane.identity.v1 import service_pb2 as ipb
from syncplane.identity.v1 import service_pb2_grpc as igrpc
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.identity_executor import ScriptedExecutor, finish, progress, sleep, wait_for, wait_for_cancel
from tests.acceptance.identity_support import (
    CS,
    add_partitions,
    assert_error,
    call,
    create_file,
    create_ldap,
    identity_stack,
    ok,
)

pytestmark = pytest.mark.acceptance

PHASES = [
    {"key": "read", "name": "Reading", "status": "Completed"},
    {"key": "stage", "name": "Staging", "status": "Active"},
    {"key": "confirm", "name": "Confirming", "status": "Pending"},
]


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async for s in identity_stack(fresh_dsn, tmp_path, request, env={"SYNCPLANE_IDENTITY_PARTITION_VALIDATION": "warning"}):
        yield s


@pytest.fixture
async def executor(stack: Stack) -> AsyncIterator[ScriptedExecutor]:
    assert stack.executor_token is not None
    ex = await ScriptedExecutor(stack.grpc_target, stack.executor_token, {}).start()
    try:
        yield ex
    finally:
        await ex.stop()


async def _file_profile(stack: Stack, run_type: str = "FullImport", name: str = "HR") -> tuple[int, int]:
    cs = await create_file(stack, name, filePath="/data/hr.csv")
    rp = await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": f"{run_type} profile", "runType": run_type}, 201)
    return cs["id"], rp["id"]


async def _wait_activity(stack: Stack, activity_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        activity = await ok(stack, "GET", f"/api/v1/activities/{activity_id}")
        if activity["status"] != "InProgress" or time.monotonic() > deadline:
            return activity
        await asyncio.sleep(0.1)


async def test_import_schema_stores_object_types_and_partitions(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["ImportSchema"] = [finish(
        objectTypes=[{"name": "person", "anchor": "entryUUID",
                      "attributes": [{"name": "uid", "type": "string", "multiValued": False},
                                     {"name": "mail", "type": "string", "multiValued": True}]}],
        partitions=[{"name": "dc=example,dc=org", "externalId": "dc=example,dc=org"}],
        containers=["ou=people,dc=example,dc=org"],
    )]
    cs = await create_ldap(stack)
    imported = await ok(stack, "POST", f"{CS}/{cs['id']}/import-schema")
    assert [(t["name"], t["anchor"], [a["name"] for a in t["attributes"]]) for t in imported["objectTypes"]] == [
        ("person", "entryUUID", ["uid", "mail"])]
    assert imported["objectTypes"][0]["attributes"][1]["multiValued"] is True
    assert [(p["name"], p["selected"]) for p in imported["partitions"]] == [("dc=example,dc=org", True)]
    assert imported["containers"] == ["ou=people,dc=example,dc=org"] and imported["schemaImported"]
    spec, secrets = executor.assigned[-1]
    assert (spec["runType"], spec["connectedSystem"]["connector"], spec["connectedSystem"]["id"]) == ("ImportSchema", "ldap", cs["id"])
    assert secrets["connector"] == {"password": "s3cret"} and secrets["storeDsn"]
    # Now the partition exists and is selected: an import runs without a warning.
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    executed = await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles/1/execute", expect=202)
    assert executed["warnings"] == []


async def test_a_failed_schema_import_is_a_bad_request(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["ImportSchema"] = [finish("failed", "cannot reach ldap.example.org:389")]
    cs = await create_ldap(stack)
    status, error, _ = await call(stack, "POST", f"{CS}/{cs['id']}/import-schema")
    assert_error(status, error, 400, "BAD_REQUEST")
    assert "cannot reach ldap.example.org:389" in error["message"]


async def test_execute_runs_to_complete_and_records_counts(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [
        progress(objectsToProcess=4, objectsProcessed=2, phases=PHASES, currentPhase="stage",
                 counters={"totalAdded": 2}, message="Staging objects"),
        sleep(1.0),
        finish(objectsProcessed=4, counters={"totalAdded": 4, "totalPendingExports": 3},
               phases=[{**p, "status": "Completed"} for p in PHASES], objectCount=4, pendingExports={"1": 3}),
    ]
    cs_id, rp_id = await _file_profile(stack)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    mid = None
    deadline = time.monotonic() + 10
    while mid is None and time.monotonic() < deadline:
        p = await ok(stack, "GET", f"/api/v1/activities/{executed['activityId']}/progress")
        if p["objectsProcessed"] == 2:
            mid = p
        await asyncio.sleep(0.05)
    assert mid is not None, "the running progress was never visible"
    assert (mid["status"], mid["objectsToProcess"], mid["percentComplete"]) == ("InProgress", 4, 50.0)
    assert (mid["currentPhase"], mid["currentPhaseNumber"], mid["totalPhases"]) == ("stage", 2, 3)
    assert mid["operationCounts"]["Added"] == 2 and mid["message"] == "Staging objects"
    assert [p["status"] for p in mid["phases"]] == ["Completed", "Active", "Pending"]
    activity = await _wait_activity(stack, executed["activityId"])
    assert (activity["status"], activity["objectsProcessed"], activity["objectsToProcess"]) == ("Complete", 4, 4)
    assert activity["counters"]["totalAdded"] == 4 and activity["executed"] and activity["ended"]
    assert activity["executionTime"] >= 1.0 and activity["totalActivityTime"] >= activity["executionTime"]
    final = await ok(stack, "GET", f"/api/v1/activities/{executed['activityId']}/progress")
    assert (final["percentComplete"], final["estimatedSecondsRemaining"], final["status"]) == (100.0, 0.0, "Complete")
    system = await ok(stack, "GET", f"{CS}/{cs_id}")
    assert (system["objectCount"], system["pendingExportObjectsCount"]) == (4, 3)
    status, error, _ = await call(stack, "GET", f"/api/v1/worker-tasks/{executed['taskId']}")
    assert_error(status, error, 404, "NOT_FOUND")  # the task ended with its run


@pytest.mark.parametrize(
    ("script", "status", "field"),
    [
        ([finish(objectsProcessed=3, counters={"totalErrors": 3},
                 itemErrors=[{"anchor": f"E{i}", "error": "bad date"} for i in range(3)])], "FailedWithError", "errorMessage"),
        ([finish(objectsProcessed=3, counters={"totalErrors": 1}, itemErrors=[{"anchor": "E1", "error": "bad date"}])],
         "CompleteWithWarning", "warningMessage"),
        ([finish(objectsProcessed=3, warnings=["2 rows had no employeeId"])], "CompleteWithWarning", "warningMessage"),
        ([progress(objectsProcessed=1), finish("failed", "the file vanished")], "CompleteWithError", "errorMessage"),
    ],
)
async def test_final_status_follows_the_reference_rules(
    stack: Stack, executor: ScriptedExecutor, script: list, status: str, field: str
) -> None:
    executor.scripts["FullImport"] = script
    cs_id, rp_id = await _file_profile(stack)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    activity = await _wait_activity(stack, executed["activityId"])
    assert activity["status"] == status, activity
    assert activity[field]
    stats = await ok(stack, "GET", f"/api/v1/activities/{executed['activityId']}/stats")
    assert stats["status"] == status


async def test_partition_warning_mode_queues_and_reports_the_warning(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [finish(objectsProcessed=1)]
    cs = await create_ldap(stack)
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    executed = await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles/1/execute", expect=202)
    assert len(executed["warnings"]) == 1 and "has none selected" in executed["warnings"][0]
    activity = await _wait_activity(stack, executed["activityId"])
    assert activity["status"] == "CompleteWithWarning" and "none selected" in activity["warningMessage"]
    # A deselected partition stays an error, whatever the mode.
    [pid] = await add_partitions(stack, cs["id"], ["Users"])
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Users", "runType": "FullImport", "partitionId": pid}, 201)
    await ok(stack, "PUT", f"{CS}/{cs['id']}/partitions/{pid}", {"selected": False})
    status, error, _ = await call(stack, "POST", f"{CS}/{cs['id']}/run-profiles/2/execute")
    assert_error(status, error, 400, "BAD_REQUEST")


async def test_cancelling_a_running_task(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [progress(objectsToProcess=10, objectsProcessed=1), wait_for_cancel()]
    cs_id, rp_id = await _file_profile(stack)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    deadline = time.monotonic() + 10
    task = await ok(stack, "GET", f"/api/v1/worker-tasks/{executed['taskId']}")
    while task["status"] != "Processing" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        task = await ok(stack, "GET", f"/api/v1/worker-tasks/{executed['taskId']}")
    assert task["status"] == "Processing" and task["executorId"] == "scripted" and task["started"]
    status, cancelled, _ = await call(stack, "POST", f"/api/v1/worker-tasks/{executed['taskId']}/cancel")
    assert (status, cancelled["status"]) == (202, "CancellationRequested")
    activity = await _wait_activity(stack, executed["activityId"])
    assert (activity["status"], activity["objectsProcessed"]) == ("Cancelled", 1) and activity["executed"]


async def _task_status(stack: Stack, task_id: str, wanted: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    task = await ok(stack, "GET", f"/api/v1/worker-tasks/{task_id}")
    while task["status"] != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        task = await ok(stack, "GET", f"/api/v1/worker-tasks/{task_id}")
    return task


async def test_two_executes_on_one_system_both_complete_in_order(stack: Stack, executor: ScriptedExecutor) -> None:
    gate = asyncio.Event()
    executor.scripts["FullImport"] = [progress(objectsToProcess=1, objectsProcessed=0), wait_for(gate),
                                      finish(objectsProcessed=1)]
    cs_id, rp_id = await _file_profile(stack)
    first = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    assert (await _task_status(stack, first["taskId"], "Processing"))["status"] == "Processing"
    second = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    task = await ok(stack, "GET", f"/api/v1/worker-tasks/{second['taskId']}")
    assert task["status"] == "WaitingForPreviousStep" and task.get("started") is None, task
    assert (await ok(stack, "GET", f"/api/v1/activities/{second['activityId']}"))["executed"] is None
    gate.set()
    done = [await _wait_activity(stack, e["activityId"]) for e in (first, second)]
    assert [a["status"] for a in done] == ["Complete", "Complete"], done
    # The executor has two free slots: only the system's queue kept the second from starting early.
    assert datetime.fromisoformat(done[1]["executed"]) >= datetime.fromisoformat(done[0]["ended"])
    assert [spec["activityId"] for spec, _ in executor.assigned] == [first["activityId"], second["activityId"]]


async def test_watch_streams_progress_until_the_activity_ends(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [
        sleep(0.5), progress(objectsToProcess=2, objectsProcessed=1, phases=PHASES, currentPhase="stage"),
        sleep(0.5), finish(objectsProcessed=2),
    ]
    cs_id, rp_id = await _file_profile(stack)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    channel = grpc.aio.insecure_channel(stack.grpc_target)
    try:
        stub = igrpc.ActivitiesServiceStub(channel)
        seen = [p async for p in stub.WatchActivity(ipb.WatchActivityRequest(id=executed["activityId"]),
                                                    metadata=[("x-api-key", ADMIN_KEY)], timeout=30)]
    finally:
        await channel.close()
    assert seen[0].status == "InProgress" and seen[-1].status == "Complete"
    assert any(p.objects_processed == 1 and p.percent_complete == 50.0 for p in seen)
    assert all(p.status == "InProgress" for p in seen[:-1])


async def _heartbeats(stack: Stack, run_id: str, count: int, timeout: float = 15) -> None:
    """Waits until the run's heartbeat has been renewed `count` times."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        query = "SELECT last_heartbeat_at FROM syncplane.runs WHERE id = $1::uuid"
        seen = [await conn.fetchval(query, run_id)]
        deadline = time.monotonic() + timeout
        while len(seen) <= count:
            assert time.monotonic() < deadline, f"only {len(seen) - 1} heartbeat(s) in {timeout} s"
            await asyncio.sleep(0.05)
            beat = await conn.fetchval(query, run_id)
            if beat != seen[-1]:
                seen.append(beat)
    finally:
        await conn.close()


CLOCK_KEYS = ("retrievedAt", "elapsedSeconds", "objectsPerSecond", "estimatedSecondsRemaining")


def _state(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A progress snapshot without what only the clock moves."""
    return {k: v for k, v in snapshot.items() if k not in CLOCK_KEYS}


async def test_watch_sends_each_snapshot_once(stack: Stack, executor: ScriptedExecutor) -> None:
    gate = asyncio.Event()
    executor.scripts["FullImport"] = [
        wait_for(gate), progress(objectsToProcess=2, objectsProcessed=1, phases=PHASES, currentPhase="stage"),
        sleep(0.3), finish(objectsProcessed=2),
    ]
    cs_id, rp_id = await _file_profile(stack)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    # The run is claimed and heartbeating before the watch starts: only the clock moves meanwhile.
    await _task_status(stack, executed["taskId"], "Processing")
    channel = grpc.aio.insecure_channel(stack.grpc_target)
    try:
        stub = igrpc.ActivitiesServiceStub(channel)
        call = stub.WatchActivity(ipb.WatchActivityRequest(id=executed["activityId"]),
                                  metadata=[("x-api-key", ADMIN_KEY)], timeout=30)
        seen = [json_format.MessageToDict(await call.read())]
        # Heartbeats renew the run while nothing else moves; then the run goes on.
        await _heartbeats(stack, executed["taskId"], 2)
        gate.set()
        while (snapshot := await call.read()) is not grpc.aio.EOF:
            seen.append(json_format.MessageToDict(snapshot))
    finally:
        await channel.close()
    assert seen[0]["status"] == "InProgress" and seen[-1]["status"] == "Complete"
    assert any(s.get("objectsProcessed") == 1 for s in seen)
    repeats = [i for i in range(1, len(seen)) if _state(seen[i]) == _state(seen[i - 1])]
    assert repeats == [], [_state(s) for s in seen]


async def test_watch_over_rest_as_ndjson_and_sse(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [sleep(0.3), progress(objectsToProcess=1, objectsProcessed=0), sleep(0.3), finish(objectsProcessed=1)]
    cs_id, rp_id = await _file_profile(stack)
    lines: dict[str, list[str]] = {}
    for accept in ("application/x-ndjson", "text/event-stream"):
        executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{stack.base}/api/v1/activities/{executed['activityId']}/watch",
                                   headers={"X-Api-Key": ADMIN_KEY, "Accept": accept}) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"].startswith(accept)
                lines[accept] = [line for line in (await resp.text()).splitlines() if line]
    ndjson = [json.loads(line)["result"] for line in lines["application/x-ndjson"]]
    assert ndjson[0]["status"] == "InProgress" and ndjson[-1]["status"] == "Complete"
    assert ndjson[-1]["percentComplete"] == 100.0
    events = [json.loads(line[len("data: "):]) for line in lines["text/event-stream"] if line.startswith("data: ")]
    assert events[-1]["status"] == "Complete"


async def test_watch_of_an_unknown_activity_is_404(stack: Stack) -> None:
    status, error, _ = await call(stack, "GET", "/api/v1/activities/00000000-0000-4000-8000-000000000001/watch")
    assert_error(status, error, 404, "NOT_FOUND")


async def _cli(stack: Stack, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", *args, "--server", stack.grpc_target, "--api-key", ADMIN_KEY,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def test_cli_execute_wait_shows_progress_and_succeeds(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [
        progress(objectsToProcess=200, objectsProcessed=50, phases=PHASES, currentPhase="stage"),
        sleep(1.0), progress(objectsProcessed=150), sleep(1.0),
        finish(objectsProcessed=200, phases=[{**p, "status": "Completed"} for p in PHASES], currentPhase="confirm"),
    ]
    await _file_profile(stack, name="HR CSV")
    code, out = await _cli(stack, "run-profile", "execute", "--connected-system", "HR CSV",
                           "--run-profile", "FullImport profile", "--wait")
    assert code == 0, out
    assert "Run Profile 'FullImport profile' has been queued for execution." in out
    assert "Step 2 of 3 (Staging)" in out and "50 of 200 objects" in out and "25.0%" in out
    assert "objects/s" in out and "remaining" in out
    assert "Complete" in out and "200 of 200 objects" in out


async def test_cli_execute_wait_exits_non_zero_when_the_run_fails(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [finish("failed", "the file vanished")]
    cs_id, rp_id = await _file_profile(stack)
    code, out = await _cli(stack, "run-profile", "execute", "--connected-system", str(cs_id), "--run-profile", str(rp_id), "--wait")
    assert code == 1 and "CompleteWithError" in out and "the file vanished" in out


async def test_cli_timeout_and_unknown_names(stack: Stack, executor: ScriptedExecutor) -> None:
    executor.scripts["FullImport"] = [progress(objectsToProcess=5, objectsProcessed=0), wait_for_cancel()]
    await _file_profile(stack)
    code, out = await _cli(stack, "run-profile", "execute", "--connected-system", "HR", "--run-profile", "FullImport profile",
                           "--wait", "--timeout", "2")
    assert code == 2 and "timed out" in out
    code, out = await _cli(stack, "run-profile", "execute", "--connected-system", "Nope", "--run-profile", "x")
    assert code == 1 and "no connected system is named 'Nope'" in out


async def test_cli_lists_connected_systems_and_run_profiles(stack: Stack) -> None:
    cs_id, _ = await _file_profile(stack, name="HR CSV")
    code, out = await _cli(stack, "connected-systems", "list", "--output", "json")
    listed = json.loads(out)
    assert code == 0 and [(i["id"], i["name"]) for i in listed["items"]] == [(cs_id, "HR CSV")]
    code, out = await _cli(stack, "run-profile", "list", "--connected-system", "HR CSV", "--output", "json")
    assert code == 0 and [p["name"] for p in json.loads(out)["items"]] == ["FullImport profile"]
