"""The identity schedules API against real servers (no executors: steps stay
queued): the reference's fields and defaults, every refusal a 400 in the
dialect's error body, and a cron schedule on two replicas firing once per slot,
skipped while its previous execution is active, while a manual run overlaps."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, assert_error, call, create_file, ok
from tests.acceptance.schedules_support import EXECUTIONS, SCHEDULES

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
async def stacks(module_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Stack, Stack]]:
    root: Path = tmp_path_factory.mktemp("schedules_api")
    a = Stack(database_url=module_dsn, log_dir=root / "logs", env=dict(FAST_ENGINE))
    b = a.replica("server-b")
    try:
        await a.start(executors=0)
        await b.start_server()
        yield a, b
    finally:
        await b.stop()
        await a.stop()


@pytest.fixture(scope="module")
async def profile(stacks: tuple[Stack, Stack]) -> dict[str, int]:
    """A CSV system with a Delta Sync profile (a step that needs no file to be released)."""
    stack = stacks[0]
    cs = await create_file(stack, "Schedules HR")
    rp = await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Delta Sync", "runType": "DeltaSynchronisation"}, 201)
    return {"cs": cs["id"], "rp": rp["id"]}


def _step(profile: dict[str, int], index: int = 0, **extra: Any) -> dict[str, Any]:
    return {"stepIndex": index, "stepType": "RunProfile", "connectedSystemId": profile["cs"],
            "runProfileId": profile["rp"], **extra}


async def test_create_answers_201_with_the_reference_defaults_and_steps(stacks: tuple[Stack, Stack], profile: dict[str, int]) -> None:
    stack = stacks[0]
    created = await ok(stack, "POST", SCHEDULES, {"name": "Defaults", "steps": [_step(profile)]}, 201)
    assert (created["triggerType"], created["isEnabled"], created["onStepFailure"], created["timeZone"]) == (
        "Manual", False, "Stop", "UTC")
    assert created["stepCount"] == 1
    [stored] = created["steps"]
    assert (stored["onFailure"], stored["continueOnFailure"], stored["failureBehaviourSource"]) == (
        "FollowSchedule", False, "Schedule")
    assert stored["runProfileName"] == "Delta Sync" and stored["id"]
    assert await ok(stack, "GET", f"{SCHEDULES}/{created['id']}") == created


@pytest.mark.parametrize(("change", "field"), [
    ({"name": ""}, "name"),
    ({"triggerType": "Hourly"}, "triggerType"),
    ({"triggerType": "Cron"}, "cronExpression"),
    ({"triggerType": "Cron", "cronExpression": "0 0 31 2 *"}, "cronExpression"),
    ({"triggerType": "Cron", "cronExpression": "every day"}, "cronExpression"),
    ({"triggerType": "Cron", "cronExpression": "0 6 * * *", "timeZone": "Mars/Olympus"}, "timeZone"),
    ({"onStepFailure": "Retry"}, "onStepFailure"),
    ({"triggerType": "Cron", "patternType": "SpecificTimes", "runTimes": "06:00,18:30"}, "runTimes"),
    ({"triggerType": "Cron", "patternType": "Interval", "intervalValue": 90, "intervalUnit": "Minutes"}, "intervalValue"),
])
async def test_a_bad_schedule_field_is_a_400_naming_it(stacks: tuple[Stack, Stack], profile: dict[str, int],
                                                        change: dict[str, Any], field: str) -> None:
    status, body, _ = await call(stacks[0], "POST", SCHEDULES, {"name": "Bad", "steps": [_step(profile)], **change})
    assert_error(status, body, 400, "VALIDATION_ERROR", field)


@pytest.mark.parametrize(("change", "field"), [
    ({"stepType": "PowerShell"}, "steps[0].stepType"),
    ({"stepType": "Nope"}, "steps[0].stepType"),
    ({"connectedSystemId": 9999}, "steps[0].connectedSystemId"),
    ({"runProfileId": 9999}, "steps[0].runProfileId"),
    ({"runProfileId": 0}, "steps[0].runProfileId"),
    ({"stepIndex": 1001}, "steps[0].stepIndex"),
    ({"onFailure": "Sometimes"}, "steps[0].onFailure"),
    ({"timeoutSeconds": 0}, "steps[0].timeoutSeconds"),
    ({"id": "not-a-guid"}, "steps[0].id"),
])
async def test_a_bad_step_is_a_400_naming_it_and_nothing_is_stored(stacks: tuple[Stack, Stack], profile: dict[str, int],
                                                                  change: dict[str, Any], field: str) -> None:
    stack = stacks[0]
    before = (await ok(stack, "GET", f"{SCHEDULES}?search=BadStep"))["totalCount"]
    status, body, _ = await call(stack, "POST", SCHEDULES, {"name": "BadStep", "steps": [_step(profile, **change)]})
    assert_error(status, body, 400, "VALIDATION_ERROR", field)
    assert (await ok(stack, "GET", f"{SCHEDULES}?search=BadStep"))["totalCount"] == before


async def test_an_enum_sent_as_a_number_is_a_400(stacks: tuple[Stack, Stack], profile: dict[str, int]) -> None:
    status, body, _ = await call(stacks[0], "POST", SCHEDULES, {"name": "Numbers", "triggerType": 1})
    assert status == 400 and body["code"] in ("VALIDATION_ERROR", "BAD_REQUEST"), body


async def test_patterns_become_cron_in_the_given_time_zone(stacks: tuple[Stack, Stack], profile: dict[str, int]) -> None:
    stack = stacks[0]
    times = await ok(stack, "POST", SCHEDULES, {
        "name": "Twice a weekday", "triggerType": "Cron", "patternType": "SpecificTimes", "runTimes": "06:15,18:15",
        "daysOfWeek": "1,2,3,4,5", "timeZone": "Europe/Amsterdam", "isEnabled": True, "steps": [_step(profile)]}, 201)
    assert times["cronExpression"] == "15 6,18 * * 1,2,3,4,5" and times["nextRunTime"]
    interval = await ok(stack, "POST", SCHEDULES, {
        "name": "Every 2 hours", "triggerType": "Cron", "patternType": "Interval", "intervalValue": 2,
        "intervalUnit": "Hours", "steps": [_step(profile)]}, 201)
    assert interval["cronExpression"] == "0 */2 * * *"
    assert interval.get("nextRunTime") is None  # not enabled
    await ok(stack, "DELETE", f"{SCHEDULES}/{times['id']}", expect=204)
    await ok(stack, "DELETE", f"{SCHEDULES}/{interval['id']}", expect=204)


async def test_put_replaces_the_schedule_and_its_steps(stacks: tuple[Stack, Stack], profile: dict[str, int]) -> None:
    stack = stacks[0]
    created = await ok(stack, "POST", SCHEDULES, {"name": "Replace me", "onStepFailure": "Continue",
                                                  "steps": [_step(profile, 0), _step(profile, 1)]}, 201)
    kept = created["steps"][1]
    # A PUT without triggerType means Cron (the reference's DTO), so it needs a cron expression.
    status, body, _ = await call(stack, "PUT", f"{SCHEDULES}/{created['id']}", {"name": "Replaced"})
    assert_error(status, body, 400, "VALIDATION_ERROR", "cronExpression")
    replaced = await ok(stack, "PUT", f"{SCHEDULES}/{created['id']}", {
        "name": "Replaced", "triggerType": "Manual",
        "steps": [{**_step(profile, 3), "id": kept["id"], "continueOnFailure": False}]})
    assert replaced["name"] == "Replaced" and replaced["onStepFailure"] == "Continue"  # omitted: unchanged
    [only] = replaced["steps"]
    # The kept step followed the schedule (Continue); continueOnFailure=false contradicts it: Stop.
    assert (only["id"], only["stepIndex"], only["onFailure"]) == (kept["id"], 3, "Stop")
    status, body, _ = await call(stack, "PUT", f"{SCHEDULES}/{created['id']}", {
        "name": "Replaced", "triggerType": "Manual", "steps": [{**_step(profile), "id": "00000000-0000-0000-0000-000000000001"}]})
    assert_error(status, body, 400, "VALIDATION_ERROR", "steps[0].id")


async def test_a_change_reason_is_checked_and_kept_with_who_made_the_change(
    stacks: tuple[Stack, Stack], profile: dict[str, int]
) -> None:
    stack = stacks[0]
    created = await ok(stack, "POST", SCHEDULES, {"name": "Audited", "triggerType": "Manual", "isEnabled": True,
                                                  "changeReason": "ticket IAM-101", "steps": [_step(profile)]}, 201)
    path = f"{SCHEDULES}/{created['id']}"
    # The reference takes ?changeReason= on enable, disable and delete; longer than 2,000 is a 400, nothing changed.
    status, body, _ = await call(stack, "POST", f"{path}/disable?changeReason={'x' * 2001}", {})
    assert_error(status, body, 400, "VALIDATION_ERROR", "changeReason")
    assert (await ok(stack, "GET", path))["isEnabled"] is True
    await ok(stack, "POST", f"{path}/disable?changeReason=holiday%20freeze", {})
    await ok(stack, "DELETE", f"{path}?changeReason=retired", expect=204)
    assert stack.server is not None
    events = [json.loads(line) for line in stack.server.log().splitlines() if created["id"] in line and line.startswith("{")]
    reasons = {e["event"]: (e.get("change_reason"), e.get("by")) for e in events}
    assert reasons["identity.schedule_created"] == ("ticket IAM-101", "bootstrap"), reasons
    assert reasons["identity.schedule_disabled"] == ("holiday freeze", "bootstrap"), reasons
    assert reasons["identity.schedule_deleted"] == ("retired", "bootstrap"), reasons


async def test_not_found_malformed_ids_and_credentials(stacks: tuple[Stack, Stack], profile: dict[str, int]) -> None:
    stack = stacks[0]
    missing = "3f2b8c1e-0000-4000-8000-000000000000"
    for method, path in [("GET", f"{SCHEDULES}/{missing}"), ("DELETE", f"{SCHEDULES}/{missing}"),
                         ("POST", f"{SCHEDULES}/{missing}/enable"), ("POST", f"{SCHEDULES}/{missing}/run"),
                         ("GET", f"{EXECUTIONS}/{missing}"), ("POST", f"{EXECUTIONS}/{missing}/cancel")]:
        status, body, _ = await call(stack, method, path)
        assert_error(status, body, 404, "NOT_FOUND")
    status, body, _ = await call(stack, "GET", f"{SCHEDULES}/12")
    assert_error(status, body, 400, "VALIDATION_ERROR", "id")
    status, body, _ = await call(stack, "GET", f"{SCHEDULES}?sortBy=colour")
    assert_error(status, body, 400, "VALIDATION_ERROR", "sortBy")
    status, body, _ = await call(stack, "GET", SCHEDULES, key=None)
    assert_error(status, body, 401, "UNAUTHORISED")
    empty = await ok(stack, "POST", SCHEDULES, {"name": "No steps"}, 201)
    status, body, _ = await call(stack, "POST", f"{SCHEDULES}/{empty['id']}/run")
    assert_error(status, body, 400, "BAD_REQUEST")


async def _schedule_row(stack: Stack, schedule_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetchrow("SELECT * FROM syncplane.schedules WHERE subject_id = $1::uuid", schedule_id)
    finally:
        await conn.close()


async def _make_due(stack: Stack, schedule_id: str) -> Any:
    """Test setup: the next slot is now (rather than waiting up to a minute for it); returns the slot."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetchval(
            "UPDATE syncplane.schedules SET next_fire_at = date_trunc('milliseconds', clock_timestamp()) "
            "WHERE subject_id = $1::uuid RETURNING next_fire_at", schedule_id)
    finally:
        await conn.close()


async def _wait_row(stack: Stack, schedule_id: str, column: str, slot: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await _schedule_row(stack, schedule_id))[column] != slot:
        assert time.monotonic() < deadline, f"slot {slot} never recorded in {column}"
        await asyncio.sleep(0.05)


async def _executions(stack: Stack, schedule_id: str) -> list[dict[str, Any]]:
    return (await ok(stack, "GET", f"{EXECUTIONS}?scheduleId={schedule_id}&pageSize=100"))["items"]


async def test_a_cron_slot_fires_once_across_two_replicas_and_skips_while_active(
    stacks: tuple[Stack, Stack], profile: dict[str, int]
) -> None:
    a, b = stacks
    schedule = await ok(a, "POST", SCHEDULES, {"name": "Cron twice", "triggerType": "Cron", "cronExpression": "0 3 * * *",
                                               "isEnabled": True, "steps": [_step(profile)]}, 201)
    slot = await _make_due(a, schedule["id"])
    await _wait_row(a, schedule["id"], "last_fired_at", slot)
    [fired] = await _executions(b, schedule["id"])  # both replicas' schedulers ran; one execution
    assert (fired["status"], fired["initiatedByType"]) == ("InProgress", "System")  # no executor: its step waits

    second = await _make_due(b, schedule["id"])
    await _wait_row(a, schedule["id"], "last_skipped_at", second)  # the previous execution is still active
    assert len(await _executions(a, schedule["id"])) == 1

    manual = await ok(b, "POST", f"{SCHEDULES}/{schedule['id']}/run", expect=202)  # a manual run may overlap
    assert manual["message"] == "Schedule 'Cron twice' has been queued for execution."
    assert len(await _executions(a, schedule["id"])) == 2

    for execution in await _executions(a, schedule["id"]):
        cancelled = await ok(a, "POST", f"{EXECUTIONS}/{execution['id']}/cancel")
        assert cancelled["status"] == "Cancelled" and cancelled["completedAt"]  # nothing ran: ended at once
    third = await _make_due(a, schedule["id"])
    await _wait_row(b, schedule["id"], "last_fired_at", third)
    assert len(await _executions(b, schedule["id"])) == 3
    listed = await ok(a, "GET", f"{SCHEDULES}?sortBy=lastRunTime&sortDescending=true")
    assert listed["items"][0]["id"] == schedule["id"] and listed["items"][0]["lastExecutionStatus"] == "InProgress"
    disabled = await ok(a, "POST", f"{SCHEDULES}/{schedule['id']}/disable")
    assert disabled["isEnabled"] is False and disabled.get("nextRunTime") is None
