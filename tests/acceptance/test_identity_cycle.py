"""The identity full cycle through the REST API with a real server and executor:
CSV import → synchronisation → export into a SQL table, then a change in the CSV
flowing through a delta synchronisation and the next export."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, FILE_DEF, SQL_DEF, SYNC, ok

pytestmark = pytest.mark.acceptance

TERMINAL = {"Complete", "CompleteWithWarning", "CompleteWithError", "FailedWithError", "Cancelled"}


class FileRootStack(Stack):
    """A stack whose server lets file connectors use one folder (`--file-root`)."""

    file_root: Path

    async def start_server(self) -> None:
        self.server = await self._spawn(
            self.server_name, "server", "--database-url", self.database_url,
            "--grpc-port", str(self.grpc_port), "--http-port", str(self.http_port), "--file-root", str(self.file_root),
        )
        if self.session is None:
            import aiohttp

            from tests.acceptance.harness import ADMIN_KEY

            self.session = aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY})
        # 503 while "starting" (the database awaited): the API is not there yet.
        await self.wait_http(lambda status, body: status == 200 or (status == 503 and '"starting"' not in body), "/readyz")
        if self.executor_token is None:
            body = await self.post("/api/v1/admin/executor-tokens", {"name": "acceptance"}, expect=201)
            self.executor_token = body["token"]


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[FileRootStack]:
    root = tmp_path / "files"
    root.mkdir()
    s = FileRootStack(database_url=fresh_dsn, log_dir=tmp_path / "logs", env=dict(FAST_ENGINE))
    s.file_root = root
    try:
        yield await s.start(executors=1, slots=2)
    finally:
        await s.stop()


def write_people(path: Path, rows: list[tuple[str, str, str]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employeeId", "firstName", "lastName"])
        writer.writerows(rows)


async def execute(stack: Stack, cs_id: int, profile: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    """Executes a run profile and waits for its activity to end."""
    started = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{profile['id']}/execute", expect=202)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        activity = await ok(stack, "GET", f"/api/v1/activities/{started['activityId']}")
        if activity["status"] in TERMINAL:
            return activity
        assert asyncio.get_running_loop().time() < deadline, activity
        await asyncio.sleep(0.2)


async def accounts(dsn: str) -> dict[str, tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r[0]: (r[1], r[2]) for r in await conn.fetch("SELECT login, display, given FROM public.accounts")}
    finally:
        await conn.close()


async def test_csv_to_sql_full_cycle_then_a_change_through_delta_runs(stack: FileRootStack, fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    await conn.execute("CREATE TABLE public.accounts (login text PRIMARY KEY, display text, given text)")
    await conn.close()
    people = stack.file_root / "people.csv"
    write_people(people, [("E1", "Ada", "Lovelace"), ("E2", "Alan", "Turing"), ("E3", "Grace", "Hopper")])
    hr = await ok(stack, "POST", CS, {"name": "HR", "connectorDefinitionId": FILE_DEF,
                                      "settings": {"anchorAttribute": "employeeId", "filePath": str(people)}}, 201)
    target = await ok(stack, "POST", CS, {"name": "Accounts", "connectorDefinitionId": SQL_DEF,
                                          "settings": {"dsn": fresh_dsn, "table": "public.accounts",
                                                       "anchorColumn": "login"}}, 201)
    for system in (hr, target):
        schema = await ok(stack, "POST", f"{CS}/{system['id']}/import-schema")
        assert [t["name"] for t in schema["objectTypes"]] == ["person"], schema
    await ok(stack, "POST", f"{SYNC}/sync-rules", {
        "name": "HR in", "connectedSystemId": hr["id"], "direction": "Inbound", "csObjectType": "person",
        "mvObjectType": "person", "precedence": 1, "projectToMetaverse": True,
        "joinRules": [{"csAttribute": "employeeId", "mvAttribute": "employeeId"}],
        "attributeFlows": [{"target": "employeeId", "source": "employeeId"},
                           {"target": "givenName", "source": "firstName"},
                           {"target": "displayName", "sources": ["firstName", "lastName"], "separator": " "}]}, 201)
    await ok(stack, "POST", f"{SYNC}/sync-rules", {
        "name": "Accounts out", "connectedSystemId": target["id"], "direction": "Outbound", "csObjectType": "person",
        "mvObjectType": "person", "precedence": 1, "provisionToConnectedSystem": True,
        "deprovisionWhenOutOfScope": True,
        "attributeFlows": [{"target": "login", "source": "employeeId", "transform": "Lower"},
                           {"target": "display", "source": "displayName"},
                           {"target": "given", "source": "givenName", "transform": "Upper"}]}, 201)

    async def profile(system: dict[str, Any], run_type: str) -> dict[str, Any]:
        body = {"name": f"{system['name']} {run_type}", "runType": run_type, "pageSize": 2}
        return await ok(stack, "POST", f"{CS}/{system['id']}/run-profiles", body, 201)

    full_import = await profile(hr, "FullImport")
    full_sync = await profile(hr, "FullSynchronisation")
    delta_sync = await profile(hr, "DeltaSynchronisation")
    export = await profile(target, "Export")

    imported = await execute(stack, hr["id"], full_import)
    assert imported["status"] == "Complete", imported
    assert imported["counters"]["totalAdded"] == 3 and imported["objectsProcessed"] == 3
    synced = await execute(stack, hr["id"], full_sync)
    assert synced["status"] == "Complete", synced
    assert (synced["counters"]["totalProjected"], synced["counters"]["totalProvisioned"]) == (3, 3)
    exported = await execute(stack, target["id"], export)
    assert exported["status"] == "Complete", exported
    assert exported["counters"]["totalExported"] == 3
    assert await accounts(fresh_dsn) == {"e1": ("Ada Lovelace", "ADA"), "e2": ("Alan Turing", "ALAN"),
                                         "e3": ("Grace Hopper", "GRACE")}
    listed = await ok(stack, "GET", f"{CS}/{target['id']}")
    assert listed["objectCount"] == 3 and listed["pendingExportObjectsCount"] == 0, listed

    # A change in the CSV: re-imported (the File connector has no delta import), then only
    # the changed objects go through the delta synchronisation and the next export.
    write_people(people, [("E1", "Ada", "King"), ("E2", "Alan", "Turing")])
    reimported = await execute(stack, hr["id"], full_import)
    assert (reimported["counters"]["totalUpdated"], reimported["counters"]["totalDeleted"]) == (1, 1), reimported
    delta = await execute(stack, hr["id"], delta_sync)
    assert delta["status"] == "Complete", delta
    assert (delta["objectsToProcess"], delta["counters"]["totalPendingExports"]) == (2, 2), delta
    exported = await execute(stack, target["id"], export)
    assert (exported["counters"]["totalUpdated"], exported["counters"]["totalDeleted"]) == (1, 1), exported
    assert await accounts(fresh_dsn) == {"e1": ("Ada King", "ADA"), "e2": ("Alan Turing", "ALAN")}
