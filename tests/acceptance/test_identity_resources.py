"""Connector definitions, connected systems, partitions, pagination, activities
(filters), worker tasks (cancel) and synchronisation rules, against a real
server without executors (nothing here needs a run to finish)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import (
    CS,
    FILE_DEF,
    SCIM_DEF,
    SQL_DEF,
    SYNC,
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
    # A short schema-import wait: with no executor the import must give up quickly.
    async for s in identity_stack(fresh_dsn, tmp_path, request, env={"SYNCPLANE_IDENTITY_SCHEMA_TIMEOUT_SECONDS": "2"}):
        yield s


# -- connector definitions -------------------------------------------------------------
async def test_connector_definitions_are_a_plain_array_with_capabilities(stack: Stack) -> None:
    defs = await ok(stack, "GET", f"{SYNC}/connector-definitions")
    caps = {d["connector"]: (d["supportsFullImport"], d["supportsDeltaImport"], d["supportsExport"],
                             d["supportsPartitions"], d["supportsFilePaths"], d["runnable"]) for d in defs}
    assert caps == {
        "file": (True, False, True, False, True, True),
        "ldap": (True, True, True, True, False, True),
        "scim": (True, True, True, False, False, False),
        "sql": (True, True, True, False, False, True),
    }
    one = await ok(stack, "GET", f"{SYNC}/connector-definitions/{FILE_DEF}")
    assert one["name"] == "File (CSV)" and any(s["name"] == "anchorAttribute" and s["required"] for s in one["settings"])
    status, error, _ = await call(stack, "GET", f"{SYNC}/connector-definitions/77")
    assert_error(status, error, 404, "NOT_FOUND")


async def test_scim_is_listed_but_cannot_back_a_connected_system(stack: Stack) -> None:
    status, error, _ = await call(stack, "POST", CS, {"name": "Cloud", "connectorDefinitionId": SCIM_DEF})
    assert_error(status, error, 400, "VALIDATION_ERROR", "connectorDefinitionId")
    assert "SCIM" in error["validationErrors"]["connectorDefinitionId"][0]
    assert (await ok(stack, "GET", CS))["totalCount"] == 0


# -- connected systems ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"connectorDefinitionId": FILE_DEF}, "name"),
        ({"name": "x" * 201, "connectorDefinitionId": FILE_DEF}, "name"),
        ({"name": "ok", "description": "d" * 1001, "connectorDefinitionId": FILE_DEF}, "description"),
        ({"name": "ok"}, "connectorDefinitionId"),
        ({"name": "ok", "connectorDefinitionId": 99}, "connectorDefinitionId"),
        ({"name": "ok", "connectorDefinitionId": FILE_DEF, "settings": {"colour": "blue"}}, "settings.colour"),
        ({"name": "ok", "connectorDefinitionId": SQL_DEF, "settings": {"port": "five"}}, "settings.port"),
    ],
)
async def test_create_connected_system_validation(stack: Stack, body: dict, field: str) -> None:
    status, error, _ = await call(stack, "POST", CS, body)
    assert_error(status, error, 400, "VALIDATION_ERROR", field)
    assert (await ok(stack, "GET", CS))["totalCount"] == 0


async def test_connected_system_lifecycle(stack: Stack) -> None:
    created = await ok(stack, "POST", CS, {
        "name": "HR Database", "description": "people", "connectorDefinitionId": SQL_DEF,
        "settings": {"dsn": "postgresql://hr@db/hr", "table": "public.people", "anchorColumn": "id", "password": "pw"},
    }, 201)
    # A secret given among the settings is moved to the write-only secrets.
    assert created["settings"] == {"dsn": "postgresql://hr@db/hr", "table": "public.people", "anchorColumn": "id"}
    assert created["secretSettings"] == ["password"]
    assert (created["status"], created["connectorName"], created["objectCount"]) == ("Active", "SQL (PostgreSQL)", 0)
    updated = await ok(stack, "PUT", f"{CS}/{created['id']}", {
        "description": "all people", "settings": {"watermarkColumn": "changed_at", "dsn": None}, "status": "Disabled"})
    assert updated["settings"] == {"table": "public.people", "anchorColumn": "id", "watermarkColumn": "changed_at"}
    assert (updated["description"], updated["status"], updated["name"]) == ("all people", "Disabled", "HR Database")
    status, error, _ = await call(stack, "PUT", f"{CS}/{created['id']}", {"status": "Deleting"})
    assert_error(status, error, 400, "VALIDATION_ERROR", "status")
    status, body, _ = await call(stack, "DELETE", f"{CS}/{created['id']}")
    assert (status, body) == (204, None)
    status, error, _ = await call(stack, "GET", f"{CS}/{created['id']}")
    assert_error(status, error, 404, "NOT_FOUND")


async def test_connected_system_names_are_unique(stack: Stack) -> None:
    await create_file(stack, "HR")
    status, error, _ = await call(stack, "POST", CS, {"name": "hr", "connectorDefinitionId": FILE_DEF})
    assert_error(status, error, 409, "CONFLICT")


async def test_a_connected_system_with_a_queued_task_cannot_be_deleted(stack: Stack) -> None:
    cs = await create_file(stack, "HR", filePath="/data/hr.csv")
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles/1/execute", expect=202)
    status, error, _ = await call(stack, "DELETE", f"{CS}/{cs['id']}")
    assert_error(status, error, 409, "CONFLICT")


async def test_paginated_connected_systems(stack: Stack) -> None:
    for i in range(30):
        await create_file(stack, f"System {i:02d}")
    first = await ok(stack, "GET", CS)
    assert (first["totalCount"], first["page"], first["pageSize"], first["totalPages"]) == (30, 1, 25, 2)
    assert (first["hasNextPage"], first["hasPreviousPage"], len(first["items"])) == (True, False, 25)
    assert set(first["items"][0]) == {"id", "name", "description", "created", "status", "objectCount", "connectorName",
                                      "connectorId", "pendingExportObjectsCount"}
    second = await ok(stack, "GET", f"{CS}?page=2")
    assert (len(second["items"]), second["hasNextPage"], second["hasPreviousPage"]) == (5, False, True)
    assert second["items"][-1]["name"] == "System 29"
    # pageSize is clamped to 1..100 and page below 1 becomes 1, never refused.
    assert (await ok(stack, "GET", f"{CS}?pageSize=0"))["pageSize"] == 1
    big = await ok(stack, "GET", f"{CS}?pageSize=1000")
    assert (big["pageSize"], len(big["items"]), big["totalPages"]) == (100, 30, 1)
    assert (await ok(stack, "GET", f"{CS}?page=0&pageSize=10"))["page"] == 1
    past = await ok(stack, "GET", f"{CS}?page=9")
    assert (past["items"], past["totalCount"], past["hasPreviousPage"]) == ([], 30, True)
    desc = await ok(stack, "GET", f"{CS}?sortBy=name&sortDirection=desc&pageSize=2")
    assert [i["name"] for i in desc["items"]] == ["System 29", "System 28"]
    status, error, _ = await call(stack, "GET", f"{CS}?sortBy=colour")
    assert_error(status, error, 400, "VALIDATION_ERROR", "sortBy")


# -- partitions ------------------------------------------------------------------------------
async def test_partitions_are_a_plain_array_and_can_be_deselected(stack: Stack) -> None:
    cs = await create_ldap(stack)
    users, groups = await add_partitions(stack, cs["id"], ["Users", "Groups"])
    listed = await ok(stack, "GET", f"{CS}/{cs['id']}/partitions")
    assert [(p["id"], p["name"], p["selected"]) for p in listed] == [(users, "Users", True), (groups, "Groups", True)]
    assert set(listed[0]) == {"id", "name", "externalId", "selected"}
    off = await ok(stack, "PUT", f"{CS}/{cs['id']}/partitions/{groups}", {"selected": False})
    assert off["selected"] is False
    status, error, _ = await call(stack, "PUT", f"{CS}/{cs['id']}/partitions/999", {"selected": False})
    assert_error(status, error, 404, "NOT_FOUND")
    status, error, _ = await call(stack, "PUT", f"{CS}/{cs['id']}/partitions/{groups}", {})
    assert_error(status, error, 400, "VALIDATION_ERROR", "selected")


async def test_execute_refuses_a_deselected_partition(stack: Stack) -> None:
    cs = await create_ldap(stack)
    [users] = await add_partitions(stack, cs["id"], ["Users"])
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Users", "runType": "FullImport", "partitionId": users}, 201)
    await ok(stack, "PUT", f"{CS}/{cs['id']}/partitions/{users}", {"selected": False})
    status, error, _ = await call(stack, "POST", f"{CS}/{cs['id']}/run-profiles/1/execute")
    assert_error(status, error, 400, "BAD_REQUEST")
    assert "no longer selected" in error["message"]


async def test_execute_refuses_a_partitioned_system_without_selected_partitions_by_default(stack: Stack) -> None:
    cs = await create_ldap(stack)
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": "Full Sync", "runType": "FullSynchronisation"}, 201)
    status, error, _ = await call(stack, "POST", f"{CS}/{cs['id']}/run-profiles/1/execute")
    assert_error(status, error, 400, "BAD_REQUEST")
    assert "has none selected" in error["message"]
    # A synchronisation never touches the directory: no partition needed.
    sync = await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles/2/execute", expect=202)
    assert sync["warnings"] == []


# -- import-schema without an executor -------------------------------------------------------
async def test_import_schema_without_an_executor_is_503_and_leaves_nothing_queued(stack: Stack) -> None:
    cs = await create_file(stack, "HR", filePath="/data/hr.csv")
    status, error, headers = await call(stack, "POST", f"{CS}/{cs['id']}/import-schema")
    assert_error(status, error, 503, "SERVICE_UNAVAILABLE")
    assert headers["Retry-After"] and "No executor answered" in error["message"]
    assert (await ok(stack, "GET", "/api/v1/worker-tasks"))["totalCount"] == 0
    [activity] = (await ok(stack, "GET", "/api/v1/activities"))["items"]
    assert (activity["status"], activity["targetOperationType"]) == ("Cancelled", "ImportSchema")


# -- activities and worker tasks ---------------------------------------------------------------
async def _queued(stack: Stack, count: int) -> list[dict]:
    out = []
    for i in range(count):
        cs = await create_file(stack, f"HR {i}", filePath=f"/data/hr{i}.csv")
        await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles", {"name": f"Import {i}", "runType": "FullImport"}, 201)
        rp = (await ok(stack, "GET", f"{CS}/{cs['id']}/run-profiles"))[0]
        out.append(await ok(stack, "POST", f"{CS}/{cs['id']}/run-profiles/{rp['id']}/execute", expect=202))
    return out


async def test_worker_task_cancel_is_202_and_the_activity_ends_cancelled(stack: Stack) -> None:
    first, second = await _queued(stack, 2)
    tasks = await ok(stack, "GET", "/api/v1/worker-tasks")
    assert [t["id"] for t in tasks["items"]] == [first["taskId"], second["taskId"]]
    assert {t["status"] for t in tasks["items"]} == {"Queued"}
    status, task, _ = await call(stack, "POST", f"/api/v1/worker-tasks/{first['taskId']}/cancel")
    assert (status, task["status"], task["activityId"]) == (202, "Cancelled", first["activityId"])
    activity = await ok(stack, "GET", f"/api/v1/activities/{first['activityId']}")
    assert (activity["status"], activity["executed"]) == ("Cancelled", None) and activity["ended"]
    # The task is ephemeral: once ended it is gone, the activity stays.
    assert [t["id"] for t in (await ok(stack, "GET", "/api/v1/worker-tasks"))["items"]] == [second["taskId"]]
    for method, path in (("GET", f"/api/v1/worker-tasks/{first['taskId']}"), ("POST", f"/api/v1/worker-tasks/{first['taskId']}/cancel")):
        status, error, _ = await call(stack, method, path)
        assert_error(status, error, 404, "NOT_FOUND")
    status, error, _ = await call(stack, "GET", "/api/v1/worker-tasks/not-a-guid")
    assert_error(status, error, 400, "VALIDATION_ERROR", "id")


async def test_activity_list_filters_and_pagination(stack: Stack) -> None:
    queued = await _queued(stack, 3)
    await call(stack, "POST", f"/api/v1/worker-tasks/{queued[0]['taskId']}/cancel")
    page = await ok(stack, "GET", "/api/v1/activities?pageSize=2")
    assert (page["totalCount"], page["totalPages"], page["hasNextPage"], len(page["items"])) == (3, 2, True, 2)
    assert page["items"][0]["id"] == queued[2]["activityId"]  # newest first
    cancelled = await ok(stack, "GET", "/api/v1/activities?status=Cancelled")
    assert [a["id"] for a in cancelled["items"]] == [queued[0]["activityId"]]
    both = await ok(stack, "GET", "/api/v1/activities?status=Cancelled&status=InProgress")
    assert both["totalCount"] == 3
    by_name = await ok(stack, "GET", "/api/v1/activities?connectedSystem=HR%201")
    by_id = await ok(stack, "GET", "/api/v1/activities?connectedSystem=2")
    assert [a["id"] for a in by_name["items"]] == [a["id"] for a in by_id["items"]] == [queued[1]["activityId"]]
    assert (await ok(stack, "GET", "/api/v1/activities?runProfile=Import%202"))["items"][0]["id"] == queued[2]["activityId"]
    assert (await ok(stack, "GET", "/api/v1/activities?search=import%201"))["totalCount"] == 1
    assert (await ok(stack, "GET", "/api/v1/activities?createdFrom=2999-01-01T00:00:00Z"))["totalCount"] == 0
    assert (await ok(stack, "GET", "/api/v1/activities?createdTo=2999-01-01T00:00:00Z"))["totalCount"] == 3
    oldest = await ok(stack, "GET", "/api/v1/activities?sortBy=created&sortDirection=asc&pageSize=1")
    assert oldest["items"][0]["id"] == queued[0]["activityId"]
    status, error, _ = await call(stack, "GET", "/api/v1/activities?status=Done")
    assert_error(status, error, 400, "VALIDATION_ERROR", "status")


async def test_activity_progress_and_stats_of_a_queued_activity(stack: Stack) -> None:
    [queued] = await _queued(stack, 1)
    progress = await ok(stack, "GET", f"/api/v1/activities/{queued['activityId']}/progress")
    assert (progress["status"], progress["objectsToProcess"], progress["percentComplete"]) == ("InProgress", 0, None)
    assert (progress["runType"], progress["totalPhases"], progress["estimatedSecondsRemaining"]) == ("FullImport", 0, None)
    stats = await ok(stack, "GET", f"/api/v1/activities/{queued['activityId']}/stats")
    assert (stats["activityId"], stats["totalObjectChanges"], stats["itemErrors"]) == (queued["activityId"], 0, [])
    for path in ("", "/progress", "/stats"):
        status, error, _ = await call(stack, "GET", f"/api/v1/activities/00000000-0000-4000-8000-000000000000{path}")
        assert_error(status, error, 404, "NOT_FOUND")


# -- synchronisation rules ----------------------------------------------------------------------
RULE = {
    "name": "HR people in", "connectedSystemId": 1, "direction": "Inbound", "csObjectType": "person",
    "mvObjectType": "person", "precedence": 1,
    "scope": [{"attribute": "status", "operator": "Equals", "value": "active"}],
    "joinRules": [{"csAttribute": "employeeId", "mvAttribute": "employeeId"}],
    "projectToMetaverse": True,
    "attributeFlows": [
        {"target": "givenName", "source": "firstName", "transform": "Trim"},
        {"target": "displayName", "sources": ["firstName", "lastName"], "separator": " "},
        {"target": "company", "constant": "Example Ltd"},
    ],
}


async def test_sync_rule_lifecycle(stack: Stack) -> None:
    await create_file(stack, "HR")
    created = await ok(stack, "POST", f"{SYNC}/sync-rules", RULE, 201)
    assert {k: created[k] for k in RULE if k != "attributeFlows"} == {k: v for k, v in RULE.items() if k != "attributeFlows"}
    # Flows come back with every field (unset ones null or empty).
    for sent, got in zip(RULE["attributeFlows"], created["attributeFlows"], strict=True):
        assert {k: got[k] for k in sent} == sent
        assert set(got) == {"target", "source", "sources", "separator", "constant", "transform"}
    assert created["enabled"] is True and created["provisionToConnectedSystem"] is False
    assert await ok(stack, "GET", f"{SYNC}/sync-rules/{created['id']}") == created
    listed = await ok(stack, "GET", f"{SYNC}/sync-rules?connectedSystemId=1")
    assert (listed["totalCount"], listed["items"][0]["id"]) == (1, created["id"])
    replaced = await ok(stack, "PUT", f"{SYNC}/sync-rules/{created['id']}", {**RULE, "enabled": False, "attributeFlows": []})
    assert (replaced["enabled"], replaced["attributeFlows"]) == (False, [])
    status, _, _ = await call(stack, "DELETE", f"{SYNC}/sync-rules/{created['id']}")
    assert status == 204
    status, error, _ = await call(stack, "GET", f"{SYNC}/sync-rules/{created['id']}")
    assert_error(status, error, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"connectedSystemId": 9}, "rule.connectedSystemId"),
        ({"csObjectType": "group"}, "rule.csObjectType"),
        ({"direction": "Sideways"}, "rule.direction"),
        ({"name": ""}, "rule.name"),
        ({"scope": [{"attribute": "status", "operator": "Equals"}]}, "rule.scope.0.value"),
        ({"scope": [{"attribute": "status", "operator": "Like", "value": "x"}]}, "rule.scope.0.operator"),
        ({"joinRules": [{"csAttribute": "employeeId"}]}, "rule.joinRules.0.mvAttribute"),
        ({"attributeFlows": [{"target": "cn", "source": "a", "constant": "b"}]}, "rule.attributeFlows.0"),
        ({"attributeFlows": [{"target": "cn"}]}, "rule.attributeFlows.0"),
        ({"attributeFlows": [{"target": "cn", "source": "a", "transform": "Reverse"}]}, "rule.attributeFlows.0.transform"),
        ({"provisionToConnectedSystem": True}, "rule.provisionToConnectedSystem"),
    ],
)
async def test_sync_rule_validation(stack: Stack, change: dict, field: str) -> None:
    await create_file(stack, "HR")
    status, error, _ = await call(stack, "POST", f"{SYNC}/sync-rules", {**RULE, **change})
    assert_error(status, error, 400, "VALIDATION_ERROR", field)
    assert (await ok(stack, "GET", f"{SYNC}/sync-rules"))["totalCount"] == 0
