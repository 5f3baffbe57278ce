"""`syncplane server` on a PostgreSQL of your own: with the roles `syncplane db provision`
makes, the server runs as the control role, runs land in the data store with the data
role, and the data role cannot reach the control database; with one superuser URL for
both (as the other acceptance tests run) it still works, but says so at start."""

from __future__ import annotations

import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from syncplane.server.db.dsn import with_database
from syncplane.server.db_provision import provision_planes
from tests.acceptance.conftest import FAST_ENGINE, make_source
from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance


@pytest.fixture
async def planes(pg_root_dsn: str, tmp_path: Path) -> AsyncIterator[tuple[str, str, dict[str, str]]]:
    suffix = uuid.uuid4().hex[:8]
    names = {"control_role": f"sp_control_{suffix}", "control_db": f"sp_control_{suffix}",
             "data_role": f"sp_data_{suffix}", "data_db": f"sp_data_{suffix}"}
    control_file, data_file = await provision_planes(pg_root_dsn, tmp_path / "urls", **names)
    for f in (control_file, data_file):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    try:
        yield control_file.read_text().strip(), data_file.read_text().strip(), names
    finally:
        conn = await asyncpg.connect(pg_root_dsn)
        try:
            for db in (names["control_db"], names["data_db"]):
                await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            for role in (names["control_role"], names["data_role"]):
                await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()


async def test_a_server_on_provisioned_planes(planes: tuple[str, str, dict[str, str]], second_dsn: str, tmp_path: Path) -> None:
    control_url, data_url, names = planes
    for url, role in ((control_url, names["control_role"]), (data_url, names["data_role"])):
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
            assert await conn.fetchval("SELECT current_user") == role
        finally:
            await conn.close()
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(with_database(data_url, names["control_db"]))

    await make_source(second_dsn, 300)
    stack = Stack(database_url=control_url, log_dir=tmp_path / "logs",
                  env={**FAST_ENGINE, "SYNCPLANE_DATA_STORE_URL": data_url})
    try:
        await stack.start(executors=1, slots=2)
        connection = await stack.post("/api/v1/connections", {
            "name": "src", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201)
        sync = await stack.post("/api/v1/syncs", {
            "connectionId": connection["id"], "name": "orders", "entities": ["orders"],
            "tableBindings": [{"entityKey": "orders", "tableName": "orders", "primaryKeyColumns": ["id"],
                               "cursorField": "updated_at", "loadMode": "upsert"}]}, expect=201)
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        final = await stack.wait_chain(run["id"])
        assert final["status"] == "succeeded", final
        assert stack.server is not None
        assert "planes." not in stack.server.log()
    finally:
        await stack.stop()
    conn = await asyncpg.connect(data_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM public.orders") == 300
        assert await conn.fetchval("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'orders'") == names["data_role"]
    finally:
        await conn.close()


async def test_one_superuser_url_for_both_planes_is_warned_about(api_stack: Stack) -> None:
    assert api_stack.server is not None
    log = api_stack.server.log()
    assert '"event": "planes.control_role_is_superuser"' in log, log[-3000:]
    assert '"event": "planes.data_store_is_control_db"' in log
