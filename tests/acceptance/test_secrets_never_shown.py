"""Secrets given inside readable config are moved into write-only secrets and
never read back by any role, the runs still authenticate with them, the
databases hold them only sealed, and a malformed request's API key stays out of
the server's log."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from syncplane.server.db.dsn import with_database
from tests.acceptance.conftest import SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.integration.http_api_support import FakeApi, customer

pytestmark = pytest.mark.acceptance

API_TOKEN = "Bearer hdr-t0ken-in-config"
DSN_PASSWORD = "dsn-userinfo-pw"
QUERY_PASSWORD = "dsn-query-pw"


async def _viewer(stack: Stack) -> dict[str, str]:
    key = (await stack.post("/api/v1/admin/api-keys", {"name": "ro", "role": "viewer"}, expect=201))["secret"]
    return {"X-API-Key": key}


async def _credentials_dump(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return "\n".join(r["t"] for r in await conn.fetch("SELECT c::text AS t FROM syncplane.credentials c"))
    finally:
        await conn.close()


async def test_a_credential_header_in_config_is_moved_and_still_authenticates(stack: Stack, fresh_dsn: str) -> None:
    viewer = await _viewer(stack)
    async with FakeApi() as api:
        api.auth = ("Authorization", API_TOKEN)
        api.customers = [customer(i) for i in (1, 2, 3)]
        connection = await stack.post(
            "/api/v1/connections",
            {"name": "api", "providerKey": "http_api",
             "config": {"baseUrl": api.base_url,
                        "headers": {"Authorization": API_TOKEN, "X-Api-Key": "k-in-config", "Accept-Language": "en"}}},
            expect=201,
        )
        assert connection["config"]["headers"] == {"Accept-Language": "en"}
        assert connection["secretKeys"] == ["header:Authorization", "header:X-Api-Key"]
        for headers in (None, viewer):
            for path in (f"/api/v1/connections/{connection['id']}", "/api/v1/connections"):
                text = json.dumps(await stack.get(path, headers=headers))
                assert "hdr-t0ken" not in text and "k-in-config" not in text
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "customers", "entities": ["customers"],
             "sourceConfig": {"entities": {"customers": {"path": "/page/customers", "recordPath": "data.items",
                                                          "primaryKey": ["id"], "pagination": {"type": "page", "pageParam": "page"}}}},
             "tableBindings": [{"entityKey": "customers", "tableName": "hdr_customers", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        final = await stack.wait_chain(run["id"])
        assert final["status"] == "succeeded", final
        assert await table_rows(fresh_dsn, "SELECT id FROM public.hdr_customers ORDER BY id") == [(1,), (2,), (3,)]
    dump = await _credentials_dump(fresh_dsn)
    assert "hdr-t0ken" not in dump and "k-in-config" not in dump
    for proc in [stack.server, *stack.executors]:
        assert proc is not None and "hdr-t0ken" not in proc.log()


async def test_a_credential_header_added_by_an_update_joins_the_kept_secrets(api_stack: Stack) -> None:
    connection = await api_stack.post(
        "/api/v1/connections",
        {"name": "api", "providerKey": "http_api", "config": {"baseUrl": "http://127.0.0.1:1/"}, "secrets": {"token": "t"}},
        expect=201,
    )
    updated = await api_stack.request(
        "PATCH", f"/api/v1/connections/{connection['id']}",
        {"config": {"baseUrl": "http://127.0.0.1:1/", "headers": {"X-Shop-Token": "upd-t0ken"}}},
    )
    assert updated["config"]["headers"] == {} and updated["secretKeys"] == ["header:X-Shop-Token", "token"]
    assert "upd-t0ken" not in json.dumps(await api_stack.get(f"/api/v1/connections/{connection['id']}"))


async def test_a_credential_header_in_a_syncs_source_config_is_refused(api_stack: Stack) -> None:
    connection = await api_stack.post(
        "/api/v1/connections", {"name": "api", "providerKey": "http_api", "config": {"baseUrl": "http://127.0.0.1:1/"}},
        expect=201,
    )
    err = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": "x", "entities": ["a"],
         "sourceConfig": {"headers": {"Cookie": "session=abc"}, "entities": {"a": {"path": "/a"}}}},
        expect=422,
    )
    assert ["body", "sourceConfig", "headers", "Cookie"] in [d["loc"] for d in err["detail"]]
    assert "session=abc" not in json.dumps(err)


async def test_dsn_passwords_in_userinfo_and_query_are_moved(stack: Stack, pg_root_dsn: str, second_dsn: str) -> None:
    viewer = await _viewer(stack)
    await make_source(second_dsn, 200)
    root = await asyncpg.connect(pg_root_dsn)
    await root.execute('DROP DATABASE IF EXISTS "warehouse_sealed" WITH (FORCE)')
    await root.execute('CREATE DATABASE "warehouse_sealed"')
    await root.close()
    warehouse = with_database(pg_root_dsn, "warehouse_sealed")
    # The test PostgreSQL trusts local connections, so any password connects:
    # what matters here is where each password goes, and that the runs work.
    source_dsn = second_dsn.replace("postgres:@", f"postgres:{DSN_PASSWORD}@")
    assert DSN_PASSWORD in source_dsn
    dest_dsn = warehouse + ("&" if "?" in warehouse else "?") + f"password={QUERY_PASSWORD}"
    try:
        connection = await stack.post(
            "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": source_dsn}}, expect=201
        )
        assert connection["secretKeys"] == ["password"]
        sync = await stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "to warehouse", "entities": ["orders"],
             "destinationConfig": {"dsn": dest_dsn, "schema": "raw"},
             "tableBindings": [{"entityKey": "orders", "primaryKeyColumns": ["id"], "loadMode": "upsert"}]},
            expect=201,
        )
        for headers in (None, viewer):
            for path in (f"/api/v1/connections/{connection['id']}", f"/api/v1/syncs/{sync['id']}", "/api/v1/syncs"):
                text = json.dumps(await stack.get(path, headers=headers))
                assert DSN_PASSWORD not in text and QUERY_PASSWORD not in text, path
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        assert (await stack.wait_chain(run["id"]))["status"] == "succeeded"
        source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
        assert await table_rows(warehouse, f"SELECT {SOURCE_COLUMNS} FROM raw.orders ORDER BY id") == source
        dump = await _credentials_dump(stack.database_url)
        assert DSN_PASSWORD not in dump and QUERY_PASSWORD not in dump
        for proc in [stack.server, *stack.executors]:
            assert proc is not None and DSN_PASSWORD not in proc.log() and QUERY_PASSWORD not in proc.log()
    finally:
        root = await asyncpg.connect(pg_root_dsn)
        await root.execute('DROP DATABASE IF EXISTS "warehouse_sealed" WITH (FORCE)')
        await root.close()


async def test_a_malformed_request_does_not_log_its_api_key(api_stack: Stack) -> None:
    assert api_stack.server is not None
    for raw in (
        # A bare LF inside a header: aiohttp's parser refuses the request.
        f"GET /api/v1/syncs HTTP/1.1\r\nHost: x\r\nX-API-Key: {ADMIN_KEY}\r\nX-Bad: a\nb\r\n\r\n",
        # The key itself carries the bad byte, so the line quoted is the key's own.
        f"GET /api/v1/syncs HTTP/1.1\r\nHost: x\r\nX-API-Key: {ADMIN_KEY}\x01\r\n\r\n",
        f"GET /api/v1/syncs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_KEY}\nX: y\r\n\r\n",
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", api_stack.http_port)
        writer.write(raw.encode("latin-1"))
        await writer.drain()
        status = await reader.readline()
        assert status.split()[1] == b"400", status
        writer.close()
        await writer.wait_closed()
    # The server answers only after it logged the refusal: a request that comes
    # back afterwards proves each refusal's line (if any) is in the file.
    await api_stack.get("/api/v1/syncs")
    log = api_stack.server.log()
    assert "bad_request" in log or "Error handling request" in log  # the refusals were logged
    assert ADMIN_KEY not in log
    assert ADMIN_KEY[3:] not in log  # not even without its "sp_" prefix
