"""The identity demo end to end with real executors: the HR CSV is imported,
synchronised into the metaverse and exported into the accounts table, each
run through the REST API (and one through the CLI), each activity Complete."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from syncplane.server.db.dsn import with_database
from syncplane.server.db.pool import create_pool
from syncplane.server.demo_identity import DIRECTORY_NAME, HR_NAME, install_identity
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.identity_support import CS, identity_stack, ok

pytestmark = pytest.mark.acceptance


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path, files: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async for s in identity_stack(fresh_dsn, tmp_path, request, executors=1, env={"SYNCPLANE_FILE_ROOTS": str(files)}):
        yield s


@pytest.fixture
async def demo(stack: Stack, pg_root_dsn: str, files: Path) -> AsyncIterator[dict[str, Any]]:
    directory_db = "demo_dir_" + uuid.uuid4().hex[:10]
    pool = await create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        ids = await install_identity(pool, pg_root_dsn, files, directory_db=directory_db)
        yield {"ids": ids, "directory_dsn": with_database(pg_root_dsn, directory_db)}
    finally:
        await pool.close()
        conn = await asyncpg.connect(pg_root_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{directory_db}" WITH (FORCE)')
        finally:
            await conn.close()


async def _profile_id(stack: Stack, cs_id: int, name: str) -> int:
    return next(p["id"] for p in await ok(stack, "GET", f"{CS}/{cs_id}/run-profiles") if p["name"] == name)


async def _execute(stack: Stack, cs_id: int, name: str, timeout: float = 90) -> dict[str, Any]:
    rp_id = await _profile_id(stack, cs_id, name)
    executed = await ok(stack, "POST", f"{CS}/{cs_id}/run-profiles/{rp_id}/execute", expect=202)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        activity = await ok(stack, "GET", f"/api/v1/activities/{executed['activityId']}")
        if activity["status"] != "InProgress":
            return activity
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{name} still in progress")


async def test_demo_hr_csv_reaches_the_accounts_table(stack: Stack, demo: dict[str, Any]) -> None:
    hr, directory = demo["ids"][HR_NAME], demo["ids"][DIRECTORY_NAME]
    imported = await _execute(stack, hr, "Full Import")
    assert (imported["status"], imported["objectsProcessed"], imported["objectsToProcess"]) == ("Complete", 200, 200), imported
    progress = await ok(stack, "GET", f"/api/v1/activities/{imported['id']}/progress")
    assert progress["percentComplete"] == 100.0
    assert imported["counters"]["totalAdded"] == 200
    assert (await ok(stack, "GET", f"{CS}/{hr}"))["objectCount"] == 200
    synced = await _execute(stack, hr, "Full Sync")
    assert synced["status"] == "Complete", synced
    assert synced["counters"]["totalProjected"] == 200
    # Every 10th person has left: out of the outbound rule's scope.
    assert synced["counters"]["totalProvisioned"] == 180
    assert (await ok(stack, "GET", f"{CS}/{directory}"))["pendingExportObjectsCount"] == 180
    exported = await _execute(stack, directory, "Export")
    assert (exported["status"], exported["counters"]["totalExported"]) == ("Complete", 180), exported
    assert (await ok(stack, "GET", f"{CS}/{directory}"))["pendingExportObjectsCount"] == 0
    conn = await asyncpg.connect(demo["directory_dsn"])
    try:
        rows = {r["login"]: r for r in await conn.fetch("SELECT * FROM accounts")}
    finally:
        await conn.close()
    assert len(rows) == 180 and "E0010" not in rows
    assert rows["E0001"]["display_name"] == "Grace Lovelace" and rows["E0001"]["department"] == "Engineering"
    progress = await ok(stack, "GET", f"/api/v1/activities/{exported['id']}/progress")
    assert (progress["percentComplete"], progress["status"]) == (100.0, "Complete")
    assert progress["totalPhases"] >= 1 and all(p["status"] in ("Completed", "Skipped") for p in progress["phases"])


async def test_cli_runs_the_demo_import_and_waits(stack: Stack, demo: dict[str, Any]) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "run-profile", "execute", "--connected-system", HR_NAME,
        "--run-profile", "Full Import", "--wait", "--timeout", "90", "--server", stack.grpc_target, "--api-key", ADMIN_KEY,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out = (await asyncio.wait_for(proc.communicate(), 120))[0].decode()
    assert proc.returncode == 0, out
    assert "Run Profile 'Full Import' has been queued for execution." in out
    # The file's records are counted before the import, so the total and a percent are known.
    assert "Complete             Step 3 of 3  200 of 200 objects  100.0%" in out
