"""An LDAP directory end to end through the REST API with a real executor and a
real slapd: import-schema discovers the naming context as a partition, a run
profile targets it, and people from an HR CSV are exported into ou=people."""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, FILE_DEF, LDAP_DEF, SYNC, identity_stack, ok
from tests.integration.slapd_support import BASE, PASSWORD, Slapd, slapd  # noqa: F401 - the fixture

pytestmark = pytest.mark.acceptance

PEOPLE = [("E1", "Ada", "Lovelace"), ("E2", "Grace", "Hopper"), ("E3", "Alan", "Turing")]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    with open(folder / "hr.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employeeId", "firstName", "lastName"])
        writer.writerows(PEOPLE)
    return folder


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path, files: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async for s in identity_stack(fresh_dsn, tmp_path, request, executors=1, env={"SYNCPLANE_FILE_ROOTS": str(files)}):
        yield s


async def _run(stack: Stack, cs_id: int, rp_id: int, timeout: float = 60) -> dict[str, Any]:
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        activity = await ok(stack, "GET", f"/api/v1/activities/{executed['activityId']}")
        if activity["status"] != "InProgress":
            return activity
        await asyncio.sleep(0.2)
    raise TimeoutError("activity still in progress")


async def test_hr_people_are_exported_into_the_directory_partition(stack: Stack, files: Path, slapd: Slapd) -> None:  # noqa: F811
    hr = await ok(stack, "POST", CS, {"name": "HR", "connectorDefinitionId": FILE_DEF,
                                      "settings": {"anchorAttribute": "employeeId", "filePath": str(files / "hr.csv")}}, 201)
    ldap = await ok(stack, "POST", CS, {"name": "Directory", "connectorDefinitionId": LDAP_DEF,
                                        "settings": slapd.settings(), "secrets": {"password": PASSWORD}}, 201)
    schema = await ok(stack, "POST", f"{CS}/{ldap['id']}/import-schema")
    [partition] = [p for p in schema["partitions"] if p["externalId"] == BASE]
    assert partition["selected"] is True
    assert "person" in [t["name"] for t in schema["objectTypes"]]
    assert (await ok(stack, "GET", f"{CS}/{ldap['id']}/partitions"))[0]["externalId"] == BASE

    await ok(stack, "POST", f"{SYNC}/sync-rules", {
        "name": "HR in", "connectedSystemId": hr["id"], "direction": "Inbound", "csObjectType": "person",
        "mvObjectType": "person", "projectToMetaverse": True,
        "joinRules": [{"csAttribute": "employeeId", "mvAttribute": "employeeId"}],
        "attributeFlows": [{"target": "employeeId", "source": "employeeId"}, {"target": "firstName", "source": "firstName"},
                           {"target": "lastName", "source": "lastName"}]}, 201)
    await ok(stack, "POST", f"{SYNC}/sync-rules", {
        "name": "Directory out", "connectedSystemId": ldap["id"], "direction": "Outbound", "csObjectType": "person",
        "mvObjectType": "person", "provisionToConnectedSystem": True,
        "externalIdTemplate": f"uid={{uid}},ou=people,{BASE}",
        "attributeFlows": [{"target": "uid", "source": "employeeId", "transform": "Lower"},
                           {"target": "cn", "sources": ["firstName", "lastName"], "separator": " "},
                           {"target": "sn", "source": "lastName"}, {"target": "givenName", "source": "firstName"}]}, 201)
    hr_import = await ok(stack, "POST", f"{CS}/{hr['id']}/run-profiles", {"name": "Full Import", "runType": "FullImport"}, 201)
    hr_sync = await ok(stack, "POST", f"{CS}/{hr['id']}/run-profiles", {"name": "Full Sync", "runType": "FullSynchronisation"}, 201)
    export = await ok(stack, "POST", f"{CS}/{ldap['id']}/run-profiles",
                      {"name": "Export people", "runType": "Export", "partitionId": partition["id"]}, 201)
    assert export["partitionName"] == partition["name"]

    assert (await _run(stack, hr["id"], hr_import["id"]))["status"] == "Complete"
    synced = await _run(stack, hr["id"], hr_sync["id"])
    assert (synced["status"], synced["counters"]["totalProvisioned"]) == ("Complete", 3), synced
    exported = await _run(stack, ldap["id"], export["id"])
    assert (exported["status"], exported["counters"]["totalExported"]) == ("Complete", 3), exported

    conn = slapd.connection()
    try:
        conn.search(f"ou=people,{BASE}", "(objectClass=inetOrgPerson)", attributes=["uid", "cn"])
        found = {str(e.uid): str(e.cn) for e in conn.entries}
    finally:
        conn.unbind()
    assert found == {"e1": "Ada Lovelace", "e2": "Grace Hopper", "e3": "Alan Turing"}
