"""The standalone gateway, SSE watches, and a destination given as a DSN."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
import pytest

from syncplane.server.db.dsn import with_database
from tests.acceptance.conftest import SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.harness import ADMIN_KEY, Stack, free_port
from tests.acceptance.syncs_support import create_sync

pytestmark = pytest.mark.acceptance


async def test_watch_as_server_sent_events(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 2_000)
    sync_id = await create_sync(stack, second_dsn)
    run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
    events = []
    async with aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY, "Accept": "text/event-stream"}) as s:
        async with s.get(f"{stack.base}/api/v1/syncs/runs/{run['id']}/watch") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
            async for line in resp.content:
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "succeeded" and events[-1]["id"] == run["id"]


async def test_destination_dsn_with_write_only_password(stack: Stack, pg_root_dsn: str, second_dsn: str) -> None:
    import asyncpg

    await make_source(second_dsn, 500)
    root = await asyncpg.connect(pg_root_dsn)
    await root.execute('DROP DATABASE IF EXISTS "warehouse_acc" WITH (FORCE)')
    await root.execute('CREATE DATABASE "warehouse_acc"')
    await root.close()
    warehouse = with_database(pg_root_dsn, "warehouse_acc")
    # pgserver trusts local connections, so any password connects; what
    # matters is where the password goes.
    with_password = warehouse.replace("postgres:@", "postgres:w4rehouse-pw@")
    try:
        connection = await stack.post(
            "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": second_dsn}}, expect=201
        )
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "to warehouse", "entities": ["orders"],
             "destinationConfig": {"dsn": with_password, "schema": "raw"},
             "tableBindings": [{"entityKey": "orders", "primaryKeyColumns": ["id"], "loadMode": "upsert"}]},
            expect=201,
        )
        assert "w4rehouse-pw" not in json.dumps(sync)
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        assert (await stack.wait_chain(run["id"]))["status"] == "succeeded"
        source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
        assert await table_rows(warehouse, f"SELECT {SOURCE_COLUMNS} FROM raw.orders ORDER BY id") == source
        for proc in [stack.server, *stack.executors]:
            assert proc is not None and "w4rehouse-pw" not in proc.log()
    finally:
        root = await asyncpg.connect(pg_root_dsn)
        await root.execute('DROP DATABASE IF EXISTS "warehouse_acc" WITH (FORCE)')
        await root.close()


async def test_standalone_gateway_in_front_of_a_server(stack: Stack) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "gateway", "--grpc-target", stack.grpc_target, "--http-port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=dict(os.environ),
    )
    try:
        async with aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY}) as s:
            for _ in range(100):
                try:
                    async with s.get(f"http://127.0.0.1:{port}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            async with s.get(f"http://127.0.0.1:{port}/readyz") as resp:
                assert resp.status == 200 and (await resp.json())["checks"]["executors"] is True
            async with s.get(f"http://127.0.0.1:{port}/api/v1/syncs/providers/postgres/catalog") as resp:
                assert resp.status == 200 and (await resp.json())["runnable"] is True
            async with s.get(f"http://127.0.0.1:{port}/api/v1/syncs", headers={"X-API-Key": "wrong"}) as resp:
                assert resp.status == 401
    finally:
        proc.terminate()
        await proc.wait()
