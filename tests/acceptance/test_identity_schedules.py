"""Identity schedules end to end with real processes (one stack for the module):
a schedule of import → delta sync → export moves a CSV change into the target
table; a parallel group; Stop versus Continue on a failing step; cancel
mid-execution; a server killed mid-execution resumes the graph with no step run twice."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from syncplane.server.demo_identity import DIRECTORY_NAME, HR_NAME
from tests.acceptance.harness import ADMIN_KEY
from tests.acceptance.identity_support import CS, FILE_DEF, ok
from tests.acceptance.schedules_support import (
    EXECUTIONS,
    SCHEDULES,
    STARTED,
    Demo,
    create_schedule,
    demo_stack,
    run,
    step,
    wait_execution,
    wait_step,
)

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
async def demo(module_dsn: str, pg_root_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    async for d in demo_stack(module_dsn, pg_root_dsn, tmp_path_factory.mktemp("schedules")):
        yield d


async def _accounts(demo: Demo) -> dict[str, Any]:
    conn = await asyncpg.connect(demo.directory_dsn)
    try:
        return {r["login"]: dict(r) for r in await conn.fetch("SELECT * FROM accounts")}
    finally:
        await conn.close()


def _rename(path: Path, employee: str, first: str) -> None:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        if row[0] == employee:
            row[1] = first
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)


async def test_a_schedule_moves_a_csv_change_into_the_target_table(demo: Demo) -> None:
    stack, hr, directory = demo.stack, demo.ids[HR_NAME], demo.ids[DIRECTORY_NAME]
    # The CSV connector has no delta import (the reference's capabilities): a full import feeds the delta sync.
    schedule = await create_schedule(stack, "Nightly HR", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync"),
        await step(stack, 2, directory, "Export"),
    ])
    first = await wait_execution(stack, await run(stack, schedule["id"]))
    assert first["status"] == "Complete", first
    assert [(s["stepIndex"], s["status"]) for s in first["steps"]] == [(0, "Completed"), (1, "Completed"),
                                                                       (2, "Completed")]
    assert (await _accounts(demo))["E0001"]["display_name"] == "Grace Lovelace"

    _rename(demo.files / "hr.csv", "E0001", "Gracie")
    second = await wait_execution(stack, await run(stack, schedule["id"]))
    assert second["status"] == "Complete", second
    assert (await _accounts(demo))["E0001"]["display_name"] == "Gracie Lovelace"
    assert second["progress"]["currentStepNumber"] == 3 and second["progress"]["totalSteps"] == 3

    activities = await ok(stack, "GET", f"/api/v1/activities?scheduleId={schedule['id']}&pageSize=100")
    assert activities["totalCount"] == 6
    assert {a["scheduleExecutionId"] for a in activities["items"]} == {first["id"], second["id"]}
    assert all(a["scheduledByScheduleName"] == "Nightly HR" for a in activities["items"])
    everything = await ok(stack, "GET", "/api/v1/activities?scheduledOnly=true&pageSize=100")
    assert all(a.get("scheduleExecutionId") for a in everything["items"])
    listed = await ok(stack, "GET", "/api/v1/schedules?search=Nightly")
    assert listed["items"][0]["lastExecutionId"] == second["id"]
    assert listed["items"][0]["lastExecutionStatus"] == "Complete"


async def test_steps_with_one_index_run_as_one_group(demo: Demo) -> None:
    stack, hr, directory = demo.stack, demo.ids[HR_NAME], demo.ids[DIRECTORY_NAME]
    schedule = await create_schedule(stack, "Both imports", [
        await step(stack, 5, hr, "Full Import"), await step(stack, 5, directory, "Full Import"),
        await step(stack, 9, hr, "Delta Sync"),
    ])
    done = await wait_execution(stack, await run(stack, schedule["id"]))
    assert done["status"] == "Complete", done
    assert done["totalSteps"] == 2
    assert [(g["stepIndex"], g["isParallel"]) for g in done["progress"]["steps"]] == [(5, True), (9, False)]
    by_index = {(s["stepIndex"], s["connectedSystemId"]): s for s in done["steps"]}
    sync = by_index[(9, hr)]
    # The group's steps were both released before the next group: each ended before the sync started.
    assert max(by_index[(5, hr)]["completedAt"], by_index[(5, directory)]["completedAt"]) <= sync["startedAt"]


async def _broken_system(demo: Demo, name: str = "Broken HR") -> tuple[int, int]:
    """A CSV system whose file is missing: its import fails when it runs."""
    body = {"name": name, "connectorDefinitionId": FILE_DEF,
            "settings": {"anchorAttribute": "employeeId", "filePath": str(demo.files / "missing.csv")}}
    cs = await ok(demo.stack, "POST", CS, body, 201)
    rp = await ok(demo.stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Import", "runType": "FullImport"}, 201)
    return cs["id"], rp["id"]


async def test_a_failing_step_stops_or_continues_the_schedule(demo: Demo) -> None:
    stack, hr = demo.stack, demo.ids[HR_NAME]
    broken, broken_rp = await _broken_system(demo)
    failing = {"stepIndex": 0, "stepType": "RunProfile", "connectedSystemId": broken, "runProfileId": broken_rp}
    stopping = await create_schedule(stack, "Stops", [failing, await step(stack, 1, hr, "Delta Sync")])
    stopped = await wait_execution(stack, await run(stack, stopping["id"]))
    assert stopped["status"] == "Failed", stopped
    assert stopped["steps"][0]["status"] == "Failed" and stopped["steps"][0]["activityStatus"] in (
        "CompleteWithError", "FailedWithError")
    assert stopped["steps"][1]["status"] == "Not run"
    assert stopped["steps"][1]["cancellationReason"] == "Not run: an earlier step stopped the Schedule."
    assert "taskId" not in stopped["steps"][1] or not stopped["steps"][1]["taskId"]

    going_on = await create_schedule(stack, "Continues", [failing, await step(stack, 1, hr, "Delta Sync")],
                                     onStepFailure="Continue")
    continued = await wait_execution(stack, await run(stack, going_on["id"]))
    assert continued["status"] == "CompleteWithError", continued
    assert [s["status"] for s in continued["steps"]] == ["Failed", "Completed"]
    assert continued["steps"][0]["failureBehaviourSource"] == "Schedule"
    assert "0" in continued["errorMessage"]


async def test_cancel_mid_execution_stops_the_running_step_and_cancels_the_rest(demo: Demo) -> None:
    stack, hr = demo.stack, demo.ids[HR_NAME]
    schedule = await create_schedule(stack, "Cancelled", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync"),
    ])
    demo.failpoints.clear(STARTED)
    try:
        execution_id = await run(stack, schedule["id"])
        await demo.failpoints.wait_hit(STARTED)  # step 0 is running on an executor, paused
        cancelled = await ok(stack, "POST", f"{EXECUTIONS}/{execution_id}/cancel")
        assert (cancelled["status"], cancelled["errorMessage"]) == ("Cancelled", "Cancelled by user")
        assert cancelled["steps"][1]["status"] == "Cancelled"
        active = await ok(stack, "GET", f"{EXECUTIONS}/active")
        assert execution_id in {e["id"] for e in active}  # step 0 is still stopping
    finally:
        demo.failpoints.release(STARTED)
    ended = await wait_execution(stack, execution_id)
    assert ended["status"] == "Cancelled"
    assert ended["steps"][0]["activityStatus"] == "Cancelled"
    assert ended["steps"][1].get("taskId") is None
    again = await ok(stack, "POST", f"{EXECUTIONS}/{execution_id}/cancel", expect=400)
    assert again["code"] in ("BAD_REQUEST", "VALIDATION_ERROR")


async def test_a_server_killed_mid_execution_resumes_the_graph_without_running_a_step_twice(demo: Demo) -> None:
    stack, hr, directory = demo.stack, demo.ids[HR_NAME], demo.ids[DIRECTORY_NAME]
    schedule = await create_schedule(stack, "Survives", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync"),
        await step(stack, 2, directory, "Export"),
    ])
    demo.failpoints.clear(STARTED)
    try:
        execution_id = await run(stack, schedule["id"])
        await demo.failpoints.wait_hit(STARTED)
        await wait_step(stack, execution_id, 0, {"Running"})
        await stack.restart_server(kill=True)
    finally:
        demo.failpoints.release(STARTED)
    ended = await wait_execution(stack, execution_id)
    assert ended["status"] == "Complete", ended
    activities = await ok(stack, "GET", f"/api/v1/activities?scheduleId={schedule['id']}&pageSize=100")
    # One activity (one release) per step, each once.
    assert sorted(a["scheduleStepIndex"] for a in activities["items"]) == [0, 1, 2]
    assert {s["taskId"] for s in ended["steps"]} == {s["taskId"] for s in ended["steps"] if s["taskId"]}
    assert len({s["taskId"] for s in ended["steps"]}) == 3


async def test_cli_runs_a_schedule_and_draws_its_groups_and_steps(demo: Demo) -> None:
    stack, hr, directory = demo.stack, demo.ids[HR_NAME], demo.ids[DIRECTORY_NAME]
    await create_schedule(stack, "CLI nightly", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync"),
        await step(stack, 2, directory, "Export"),
    ])
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "schedule", "run", "CLI nightly", "--wait", "--timeout", "120",
        "--server", stack.grpc_target, "--api-key", ADMIN_KEY,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 180))[0].decode()
    assert proc.returncode == 0, out
    assert "Schedule 'CLI nightly' has been queued for execution." in out
    # Not a terminal: plain lines of the shared progress board, a header and one line per step.
    assert "  Complete  group 3 of 3  elapsed " in out
    # The import, step 1, ended with all its objects counted.
    assert any(line.startswith("  1. Full Import") and ":  Completed  200/200 objects" in line
               for line in out.splitlines()), out
    assert any(line.startswith("  3. Export") and "Completed" in line for line in out.splitlines()), out
    assert out.rstrip().endswith("Complete")


async def test_an_executor_killed_mid_step_resumes_that_step_and_the_graph_goes_on(demo: Demo) -> None:
    stack, hr = demo.stack, demo.ids[HR_NAME]
    schedule = await create_schedule(stack, "Executor dies", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync"),
    ])
    demo.failpoints.clear(STARTED)
    try:
        execution_id = await run(stack, schedule["id"])
        who = await demo.failpoints.wait_hit(STARTED)
        await next(p for p in stack.executors if p.name == who).kill()
        demo.failpoints.release(STARTED)  # the auto-resumed attempt passes on the other executor
        # A replacement keeps the module's stack at two executors (armed; released below, its folder now exists).
        await stack.start_executor(2, name=f"{who}-again", env=demo.failpoints.env(f"{who}-again"))
    finally:
        demo.failpoints.release(STARTED)
    ended = await wait_execution(stack, execution_id)
    assert ended["status"] == "Complete", ended
    first = ended["steps"][0]
    conn = await asyncpg.connect(stack.database_url)
    try:
        attempts = await conn.fetch(
            "SELECT attempt_number, triggered_by, status FROM syncplane.runs WHERE subject_id = $1::uuid "
            "ORDER BY attempt_number", first["activityId"])
        released = await conn.fetchval(
            "SELECT count(*) FROM syncplane.idm_activities WHERE schedule_execution_id = $1::uuid", execution_id)
    finally:
        await conn.close()
    # Step 0's one chain: the lost attempt and its auto-resume; step 1 released once, after it.
    assert [(a["triggered_by"], a["status"]) for a in attempts] == [("manual", "failed"), ("auto_resume", "succeeded")]
    assert released == 2


async def test_the_failure_setting_is_read_when_the_step_fails(demo: Demo) -> None:
    """The schedule says Stop when the execution starts and Continue by the time its step fails: Continue applies."""
    stack, hr = demo.stack, demo.ids[HR_NAME]
    broken, broken_rp = await _broken_system(demo, "Broken HR (edited)")
    steps = [{"stepIndex": 0, "stepType": "RunProfile", "connectedSystemId": broken, "runProfileId": broken_rp},
             await step(stack, 1, hr, "Delta Sync")]
    schedule = await create_schedule(stack, "Edited while running", steps)
    demo.failpoints.clear(STARTED)
    try:
        execution_id = await run(stack, schedule["id"])
        await demo.failpoints.wait_hit(STARTED)  # the failing step is running, paused
        await ok(stack, "PUT", f"{SCHEDULES}/{schedule['id']}", {
            "name": "Edited while running", "triggerType": "Manual", "onStepFailure": "Continue",
            "steps": [{**s, "id": stored["id"]} for s, stored in zip(steps, schedule["steps"])]})
    finally:
        demo.failpoints.release(STARTED)
    ended = await wait_execution(stack, execution_id)
    assert ended["status"] == "CompleteWithError", ended
    assert [s["status"] for s in ended["steps"]] == ["Failed", "Completed"]
    assert (ended["steps"][0]["continueOnFailure"], ended["steps"][0]["failureBehaviourSource"]) == (True, "Schedule")


async def test_the_watch_streams_an_execution_over_rest_until_it_ends(demo: Demo) -> None:
    stack, hr = demo.stack, demo.ids[HR_NAME]
    schedule = await create_schedule(stack, "Watched", [await step(stack, 0, hr, "Delta Sync"),
                                                        await step(stack, 1, hr, "Delta Sync")])
    lines: dict[str, list[str]] = {}
    for accept in ("application/x-ndjson", "text/event-stream"):
        execution_id = await run(stack, schedule["id"])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{stack.base}{EXECUTIONS}/{execution_id}/watch",
                                   headers={"X-Api-Key": ADMIN_KEY, "Accept": accept}) as resp:
                assert resp.status == 200 and resp.headers["Content-Type"].startswith(accept)
                lines[accept] = [line for line in (await resp.text()).splitlines() if line]
    ndjson = [json.loads(line)["result"] for line in lines["application/x-ndjson"]]
    assert ndjson[0]["status"] == "InProgress" and ndjson[-1]["status"] == "Complete"
    assert [s["status"] for s in ndjson[-1]["steps"]] == ["Completed", "Completed"]
    assert len({json.dumps(item, sort_keys=True) for item in ndjson}) == len(ndjson)  # each snapshot once
    events = [json.loads(line[len("data: "):]) for line in lines["text/event-stream"] if line.startswith("data: ")]
    assert events[-1]["status"] == "Complete" and events[-1]["progress"]["currentStepNumber"] == 2
