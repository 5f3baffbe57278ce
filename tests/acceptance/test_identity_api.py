"""The identity dialect's run-profile API against a real server, as seeds 000-002
document it: every curl body, the 201/202/204 answers, and the 400/401/403/404
errors in the dialect's body. No executor runs here: execution only queues."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.acceptance.harness import Stack
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


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async for s in identity_stack(fresh_dsn, tmp_path, request):
        yield s


@pytest.fixture
async def seeded(stack: Stack) -> Stack:
    """Connected system 1 (LDAP, partition 1 "Users") and 2 (a CSV file), as the seeds' ids expect."""
    assert (await create_ldap(stack))["id"] == 1
    assert (await create_file(stack))["id"] == 2
    assert await add_partitions(stack, 1, ["Users"]) == [1]
    return stack


# -- seed 000: the run profile object -------------------------------------------------
async def test_seed_000_run_profile_object(seeded: Stack) -> None:
    created = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    assert created == {
        "id": 1, "name": "Delta Import", "connectedSystemId": 1, "runType": "DeltaImport", "pageSize": 100,
        "partitionName": None, "filePath": None,
    }
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == [created]


# -- seed 001: the four curl examples and the PowerShell standard set ---------------------
async def test_seed_001_create_examples(seeded: Stack) -> None:
    delta = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    full = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Full Import", "runType": "FullImport", "pageSize": 500}, 201)
    users = await ok(seeded, "POST", f"{CS}/1/run-profiles",
                     {"name": "Import (Users Partition)", "runType": "DeltaImport", "partitionId": 1}, 201)
    csv = await ok(seeded, "POST", f"{CS}/2/run-profiles",
                   {"name": "CSV Import", "runType": "FullImport", "filePath": "/data/imports/employees.csv"}, 201)
    assert (delta["runType"], delta["pageSize"]) == ("DeltaImport", 100)
    assert (full["runType"], full["pageSize"]) == ("FullImport", 500)
    assert (users["partitionName"], users["runType"]) == ("Users", "DeltaImport")
    assert (csv["connectedSystemId"], csv["filePath"]) == (2, "/data/imports/employees.csv")
    assert [p["name"] for p in await ok(seeded, "GET", f"{CS}/1/run-profiles")] == [
        "Delta Import", "Full Import", "Import (Users Partition)"]
    assert [p["id"] for p in await ok(seeded, "GET", f"{CS}/2/run-profiles")] == [csv["id"]]


async def test_seed_001_standard_set_of_profiles(seeded: Stack) -> None:
    for name, run_type in [("Full Import", "FullImport"), ("Delta Import", "DeltaImport"),
                           ("Full Sync", "FullSynchronisation"), ("Delta Sync", "DeltaSynchronisation"),
                           ("Export", "Export")]:
        assert (await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": name, "runType": run_type}, 201))["runType"] == run_type
    assert len(await ok(seeded, "GET", f"{CS}/1/run-profiles")) == 5


async def test_powershell_fullsync_spelling_is_not_a_run_type(seeded: Stack) -> None:
    status, body, _ = await call(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Full Sync", "runType": "FullSync"})
    assert_error(status, body, 400, "VALIDATION_ERROR", "runType")
    assert "FullSynchronisation" in body["validationErrors"]["runType"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"runType": "FullImport"}, "name"),
        ({"name": "", "runType": "FullImport"}, "name"),
        ({"name": "x" * 201, "runType": "FullImport"}, "name"),
        ({"name": "No type"}, "runType"),
        ({"name": "Bad type", "runType": "Import"}, "runType"),
        ({"name": "Number type", "runType": 1}, "runType"),
        ({"name": "Zero", "runType": "FullImport", "pageSize": 0}, "pageSize"),
        ({"name": "Huge", "runType": "FullImport", "pageSize": 10001}, "pageSize"),
        ({"name": "Text size", "runType": "FullImport", "pageSize": "big"}, "pageSize"),
        ({"name": "Long path", "runType": "FullImport", "filePath": "/" + "p" * 500}, "filePath"),
        ({"name": "No partition", "runType": "DeltaImport", "partitionId": 99}, "partitionId"),
    ],
)
async def test_create_validation_errors(seeded: Stack, body: dict, field: str) -> None:
    status, error, _ = await call(seeded, "POST", f"{CS}/1/run-profiles", body)
    assert_error(status, error, 400, "VALIDATION_ERROR", field)
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == []


async def test_limits_are_inclusive(seeded: Stack) -> None:
    edge = {"name": "x" * 200, "runType": "FullImport", "pageSize": 10000, "filePath": "/" + "p" * 499}
    created = await ok(seeded, "POST", f"{CS}/1/run-profiles", edge, 201)
    small = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "y", "runType": "FullImport", "pageSize": 1}, 201)
    assert (len(created["name"]), created["pageSize"], len(created["filePath"])) == (200, 10000, 500)
    assert small["pageSize"] == 1


async def test_unknown_partition_message(seeded: Stack) -> None:
    status, error, _ = await call(seeded, "POST", f"{CS}/1/run-profiles", {"name": "P", "runType": "FullImport", "partitionId": 7})
    assert_error(status, error, 400, "VALIDATION_ERROR", "partitionId")
    assert error["validationErrors"]["partitionId"] == ["Partition with ID 7 not found"]


async def test_run_type_must_be_supported_by_the_connector(seeded: Stack) -> None:
    # The file connector has no delta import; synchronisation types are always allowed.
    status, error, _ = await call(seeded, "POST", f"{CS}/2/run-profiles", {"name": "Delta", "runType": "DeltaImport"})
    assert_error(status, error, 400, "VALIDATION_ERROR", "runType")
    assert "does not support the DeltaImport run type" in error["validationErrors"]["runType"][0]
    for run_type in ("FullImport", "Export", "FullSynchronisation", "DeltaSynchronisation"):
        await ok(seeded, "POST", f"{CS}/2/run-profiles", {"name": run_type, "runType": run_type}, 201)


async def test_duplicate_json_properties_are_refused(seeded: Stack) -> None:
    raw = '{"name": "A", "name": "B", "runType": "FullImport"}'
    status, error, _ = await call(seeded, "POST", f"{CS}/1/run-profiles", data=raw, headers={"Content-Type": "application/json"})
    assert_error(status, error, 400, "VALIDATION_ERROR", "name")
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == []


async def test_malformed_json_is_a_validation_error(seeded: Stack) -> None:
    status, error, _ = await call(seeded, "POST", f"{CS}/1/run-profiles", data='{"name": ', headers={"Content-Type": "application/json"})
    assert status == 400 and error["code"] == "VALIDATION_ERROR"


# -- authentication and roles --------------------------------------------------------------
async def test_missing_or_wrong_key_is_401_unauthorised(seeded: Stack) -> None:
    for key in (None, "jim_xxxxxxxxxxxx"):
        status, error, headers = await call(seeded, "POST", f"{CS}/1/run-profiles", {"name": "X", "runType": "FullImport"}, key=key)
        assert_error(status, error, 401, "UNAUTHORISED")
        assert "WWW-Authenticate" in headers
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == []


async def test_viewer_key_is_403_forbidden_even_for_reads(seeded: Stack) -> None:
    viewer = (await ok(seeded, "POST", "/api/v1/admin/api-keys", {"name": "ro", "role": "viewer"}, 201))["secret"]
    for method, path, body in [
        ("POST", f"{CS}/1/run-profiles", {"name": "X", "runType": "FullImport"}),
        ("GET", f"{CS}/1/run-profiles", None),
        ("GET", "/api/v1/activities", None),
        ("GET", "/api/v1/worker-tasks", None),
        ("GET", "/api/v1/synchronisation/connector-definitions", None),
    ]:
        status, error, _ = await call(seeded, method, path, body, key=viewer)
        assert_error(status, error, 403, "FORBIDDEN")
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == []


async def test_api_key_header_is_case_insensitive_and_bearer_works(seeded: Stack) -> None:
    from tests.acceptance.harness import ADMIN_KEY

    for headers in ({"x-api-key": ADMIN_KEY}, {"X-API-KEY": ADMIN_KEY}, {"Authorization": f"Bearer {ADMIN_KEY}"}):
        status, body, _ = await call(seeded, "GET", f"{CS}/1/run-profiles", key=None, headers=headers)
        assert (status, body) == (200, [])


# -- not found ---------------------------------------------------------------------------------
async def test_unknown_connected_system_or_profile_is_404(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    cases = [
        ("POST", f"{CS}/99/run-profiles", {"name": "X", "runType": "FullImport"}),
        ("GET", f"{CS}/99/run-profiles", None),
        ("PUT", f"{CS}/1/run-profiles/99", {"name": "Y"}),
        ("DELETE", f"{CS}/1/run-profiles/99", None),
        ("POST", f"{CS}/1/run-profiles/99/execute", None),
        ("POST", f"{CS}/99/run-profiles/1/execute", None),
        ("POST", f"{CS}/2/run-profiles/1/execute", None),  # profile 1 belongs to system 1
    ]
    for method, path, body in cases:
        status, error, _ = await call(seeded, method, path, body)
        assert_error(status, error, 404, "NOT_FOUND")
    status, error, _ = await call(seeded, "GET", f"{CS}/99/run-profiles")
    assert error["message"] == "Connected system with ID 99 not found."


# -- update and delete -----------------------------------------------------------------------
async def test_update_changes_present_fields_only(seeded: Stack) -> None:
    rp = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Full Import", "runType": "FullImport", "pageSize": 500}, 201)
    renamed = await ok(seeded, "PUT", f"{CS}/1/run-profiles/{rp['id']}", {"name": "Full Import (big)"})
    assert renamed == {**rp, "name": "Full Import (big)"}
    moved = await ok(seeded, "PUT", f"{CS}/1/run-profiles/{rp['id']}", {"pageSize": 50, "partitionId": 1, "runType": "FullImport"})
    assert (moved["name"], moved["pageSize"], moved["partitionName"]) == ("Full Import (big)", 50, "Users")


async def test_update_refuses_a_new_run_type_and_bad_values(seeded: Stack) -> None:
    rp = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    for body, field in [({"runType": "DeltaImport"}, "runType"), ({"name": ""}, "name"), ({"pageSize": 0}, "pageSize"),
                        ({"filePath": "f" * 501}, "filePath"), ({"partitionId": 42}, "partitionId")]:
        status, error, _ = await call(seeded, "PUT", f"{CS}/1/run-profiles/{rp['id']}", body)
        assert_error(status, error, 400, "VALIDATION_ERROR", field)
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == [rp]


async def test_delete_is_204_then_404(seeded: Stack) -> None:
    rp = await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Export", "runType": "Export"}, 201)
    status, body, _ = await call(seeded, "DELETE", f"{CS}/1/run-profiles/{rp['id']}")
    assert (status, body) == (204, None)
    status, error, _ = await call(seeded, "DELETE", f"{CS}/1/run-profiles/{rp['id']}")
    assert_error(status, error, 404, "NOT_FOUND")
    assert await ok(seeded, "GET", f"{CS}/1/run-profiles") == []


# -- seed 002: execute --------------------------------------------------------------------------
async def test_seed_002_execute_answers_202_with_the_execution_reference(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    status, body, _ = await call(seeded, "POST", f"{CS}/1/run-profiles/1/execute")
    assert status == 202, body
    assert set(body) == {"activityId", "taskId", "message", "warnings"}
    uuid.UUID(body["activityId"]), uuid.UUID(body["taskId"])
    assert body["message"] == "Run Profile 'Delta Import' has been queued for execution."
    assert body["warnings"] == []
    activity = await ok(seeded, "GET", f"/api/v1/activities/{body['activityId']}")
    assert (activity["status"], activity["executed"], activity["targetName"], activity["targetContext"]) == (
        "InProgress", None, "Delta Import", "Corporate LDAP")
    assert (activity["connectedSystemId"], activity["connectedSystemRunProfileId"]) == (1, 1)
    assert (activity["connectedSystemRunType"], activity["initiatedByType"]) == ("DeltaImport", "ApiKey")
    task = await ok(seeded, "GET", f"/api/v1/worker-tasks/{body['taskId']}")
    assert (task["status"], task["activityId"], task["type"]) == ("Queued", body["activityId"], "ExecuteRunProfile")


async def test_execute_without_a_body_or_with_an_empty_one(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/2/run-profiles", {"name": "CSV Import", "runType": "FullImport",
                                                    "filePath": "/data/imports/employees.csv"}, 201)
    status, body, _ = await call(seeded, "POST", f"{CS}/2/run-profiles/1/execute", data=b"")
    assert status == 202 and body["message"] == "Run Profile 'CSV Import' has been queued for execution."


async def test_execute_refuses_invalid_connector_settings(seeded: Stack) -> None:
    # The file connector's anchorAttribute is required; removing it makes the settings invalid.
    await ok(seeded, "PUT", f"{CS}/2", {"settings": {"anchorAttribute": None}})
    await ok(seeded, "POST", f"{CS}/2/run-profiles", {"name": "CSV Import", "runType": "FullImport", "filePath": "/x.csv"}, 201)
    status, error, _ = await call(seeded, "POST", f"{CS}/2/run-profiles/1/execute")
    assert_error(status, error, 400, "BAD_REQUEST")
    assert "anchorAttribute" in error["message"]
    assert (await ok(seeded, "GET", "/api/v1/activities"))["totalCount"] == 0


async def test_execute_of_a_file_import_needs_a_file(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/2/run-profiles", {"name": "CSV Import", "runType": "FullImport"}, 201)
    status, error, _ = await call(seeded, "POST", f"{CS}/2/run-profiles/1/execute")
    assert_error(status, error, 400, "BAD_REQUEST")
    assert "file path" in error["message"]


async def test_a_second_execute_of_a_busy_system_waits_for_the_first(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    first = await ok(seeded, "POST", f"{CS}/1/run-profiles/1/execute", expect=202)
    status, second, _ = await call(seeded, "POST", f"{CS}/1/run-profiles/1/execute")
    assert status == 202 and set(second) == {"activityId", "taskId", "message", "warnings"}, second
    assert second["message"] == "Run Profile 'Delta Import' has been queued for execution."
    assert second["activityId"] != first["activityId"] and second["taskId"] != first["taskId"]
    task = await ok(seeded, "GET", f"/api/v1/worker-tasks/{first['taskId']}")
    assert task["status"] == "Queued"  # waits for an executor only
    task = await ok(seeded, "GET", f"/api/v1/worker-tasks/{second['taskId']}")
    assert task["status"] == "WaitingForPreviousStep"
    listed = await ok(seeded, "GET", "/api/v1/worker-tasks")
    assert [t["status"] for t in listed["items"]] == ["Queued", "WaitingForPreviousStep"]
    # Another system's task does not wait for this one.
    csv = await ok(seeded, "POST", f"{CS}/2/run-profiles", {"name": "CSV Import", "runType": "FullImport", "filePath": "/x.csv"}, 201)
    other = await ok(seeded, "POST", f"{CS}/2/run-profiles/{csv['id']}/execute", expect=202)
    assert (await ok(seeded, "GET", f"/api/v1/worker-tasks/{other['taskId']}"))["status"] == "Queued"
    # Once the first is gone, the second is next in line.
    await ok(seeded, "POST", f"/api/v1/worker-tasks/{first['taskId']}/cancel", expect=202)
    task = await ok(seeded, "GET", f"/api/v1/worker-tasks/{second['taskId']}")
    assert task["status"] == "Queued"


async def test_import_schema_of_a_busy_system_is_409(seeded: Stack) -> None:
    await ok(seeded, "POST", f"{CS}/1/run-profiles", {"name": "Delta Import", "runType": "DeltaImport"}, 201)
    await ok(seeded, "POST", f"{CS}/1/run-profiles/1/execute", expect=202)
    status, error, _ = await call(seeded, "POST", f"{CS}/1/import-schema")
    assert_error(status, error, 409, "CONFLICT")
