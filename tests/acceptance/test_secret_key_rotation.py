"""`syncplane secrets rotate-key` against a running server that seals with its
data dir's key file: every stored secret ends under the new key, the old key
is dropped from the file, and the running server keeps opening secrets (runs
authenticate) and seals new ones under the new key, without a restart."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from syncplane.server.sealing.keys import KEY_FILE_NAME, parse
from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.harness import Stack
from tests.integration.http_api_support import FakeApi, customer

pytestmark = pytest.mark.acceptance

TOKEN = "rotate-t0ken-for-api"


@pytest.fixture
async def keyfile_stack(fresh_dsn: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """A server with no SYNCPLANE_SECRET_KEY: it makes and reads <data dir>/secret-keys."""
    env = {**FAST_ENGINE, "SYNCPLANE_SECRET_KEY": "", "SYNCPLANE_DATA_DIR": str(tmp_path / "data")}
    stack = Stack(database_url=fresh_dsn, log_dir=tmp_path / "logs", env=env)
    try:
        yield await stack.start(executors=1, slots=2)
    finally:
        await stack.stop()


def _key_ids(data_dir: Path) -> list[str]:
    return [k.id for k in parse((data_dir / KEY_FILE_NAME).read_text(), "key file")]


async def _row_key_ids(dsn: str) -> set[str | None]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["key_id"] for r in await conn.fetch("SELECT key_id FROM syncplane.credentials")}
    finally:
        await conn.close()


async def _rotate(dsn: str, data_dir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SYNCPLANE_SECRET_KEY"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "secrets", "rotate-key", "--database-url", dsn, "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def _run(stack: Stack, sync_id: str) -> dict[str, object]:
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    return await stack.wait_chain(run["id"])


async def test_rotation_with_the_server_running(keyfile_stack: Stack, tmp_path: Path) -> None:
    stack, data_dir = keyfile_stack, tmp_path / "data"
    assert (data_dir / KEY_FILE_NAME).stat().st_mode & 0o777 == 0o600
    [old] = _key_ids(data_dir)
    async with FakeApi() as api:
        api.auth = ("Authorization", f"Bearer {TOKEN}")
        api.customers = [customer(i) for i in (1, 2)]
        connection = await stack.post(
            "/api/v1/connections",
            {"name": "api", "providerKey": "http_api", "config": {"baseUrl": api.base_url, "auth": {"type": "bearer"}},
             "secrets": {"token": TOKEN}},
            expect=201,
        )
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "customers", "entities": ["customers"],
             "sourceConfig": {"entities": {"customers": {"path": "/page/customers", "recordPath": "data.items",
                                                          "primaryKey": ["id"], "pagination": {"type": "page", "pageParam": "page"}}}},
             "tableBindings": [{"entityKey": "customers", "tableName": "rot_customers", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        assert (await _run(stack, sync["id"]))["status"] == "succeeded"
        assert await _row_key_ids(stack.database_url) == {old}

        out = await _rotate(stack.database_url, data_dir)

        [new] = _key_ids(data_dir)
        assert new != old and new in out
        assert await _row_key_ids(stack.database_url) == {new}
        # The running server meets a key it did not hold, re-reads the file, and the run authenticates.
        final = await _run(stack, sync["id"])
        assert final["status"] == "succeeded", final
        # What it seals from now on is under the new key.
        await stack.post(
            "/api/v1/connections",
            {"name": "api2", "providerKey": "http_api", "config": {"baseUrl": api.base_url}, "secrets": {"token": "x"}},
            expect=201,
        )
        assert await _row_key_ids(stack.database_url) == {new}
    assert stack.server is not None and TOKEN not in stack.server.log()
