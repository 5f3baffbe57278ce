"""Bad input and bad credentials get the dialect's documented error and
change nothing (seed 004: 422 {"detail": [{loc, msg, type}]}, else {"detail": msg})."""

from __future__ import annotations

import uuid

import aiohttp
import pytest

from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance


@pytest.fixture
def stack(api_stack: Stack) -> Stack:
    """These tests run nothing: a server without executors is enough."""
    return api_stack


async def _raw(stack: Stack, method: str, path: str, *, data: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, stack.base + path, data=data, headers=headers or {}) as resp:
            text = await resp.text()
            import json

            return resp.status, (json.loads(text) if text else {}), dict(resp.headers)


async def _connection(stack: Stack) -> str:
    body = await stack.post(
        "/api/v1/connections",
        {"name": "pg", "providerKey": "postgres", "config": {"dsn": "postgresql://u@localhost/db"},
         "secrets": {"password": "hunter2-secret"}},
        expect=201,
    )
    return body["id"]


async def _count_syncs(stack: Stack) -> int:
    return (await stack.get("/api/v1/syncs"))["total"]


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"connectionId": None, "name": "x"}, ["body", "connectionId"], "missing"),
        ({"connectionId": "not-a-uuid", "name": "x"}, ["body", "connectionId"], "uuid_parsing"),
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "x" * 256}, ["body", "name"], "string_too_long"),
        ({"name": 12}, ["body", "name"], "string_type"),
        ({"name": "x", "executionMode": "turbo"}, ["body", "executionMode"], "literal_error"),
        ({"name": "x", "status": "on"}, ["body", "status"], "literal_error"),
        ({"name": "x", "triggerMode": 3}, ["body", "triggerMode"], "string_type"),
        ({"name": "x", "tableBindings": [{"loadMode": "upsert"}]}, ["body", "tableBindings", 0, "entityKey"], "missing"),
        ({"name": "x", "tableBindings": [{"entityKey": "a", "loadMode": "merge-ish"}]}, ["body", "tableBindings", 0, "loadMode"], "literal_error"),
        ({"name": "x", "entities": "orders"}, ["body", "entities"], "list_type"),
        ({"name": "x", "freshnessSlaSeconds": "soon"}, ["body", "freshnessSlaSeconds"], "int_parsing"),
        ({"name": "x", "sourceConfig": {"tables": {"a": 5}}}, ["body", "sourceConfig", "tables", "a"], "json_schema"),
    ],
)
async def test_create_sync_validation(stack: Stack, body: dict, loc: list, type_: str) -> None:
    # A body without the key gets a valid connection; None means "leave it out".
    payload = {"connectionId": await _connection(stack), **body}
    if payload["connectionId"] is None:
        del payload["connectionId"]
    before = await _count_syncs(stack)
    status, err, _ = await _raw(stack, "POST", "/api/v1/syncs", data=__import__("json").dumps(payload),
                                headers={"X-API-Key": stack.session.headers["X-API-Key"], "Content-Type": "application/json"})  # type: ignore[union-attr]
    assert status == 422, err
    assert any(d["loc"] == loc and d["type"] == type_ for d in err["detail"]), err
    assert all(set(d) == {"loc", "msg", "type"} and d["msg"] for d in err["detail"])
    assert await _count_syncs(stack) == before


async def test_malformed_json_is_422_json_invalid(stack: Stack) -> None:
    status, err, _ = await _raw(stack, "POST", "/api/v1/syncs", data='{"name": ', headers={"X-API-Key": stack.session.headers["X-API-Key"], "Content-Type": "application/json"})  # type: ignore[union-attr]
    assert status == 422 and err["detail"][0]["type"] == "json_invalid"
    assert await _count_syncs(stack) == 0


async def test_unknown_and_malformed_ids(stack: Stack) -> None:
    missing = uuid.uuid4()
    assert (await stack.get(f"/api/v1/syncs/{missing}", expect=404))["detail"] == f"sync {missing} not found"
    err = await stack.get("/api/v1/syncs/not-a-uuid", expect=422)
    assert err["detail"][0]["loc"] == ["path", "sync_id"] and err["detail"][0]["type"] == "uuid_parsing"
    await stack.get(f"/api/v1/syncs/runs/{missing}", expect=404)
    await stack.post(f"/api/v1/syncs/{missing}/trigger", {}, expect=404)
    await stack.post(f"/api/v1/syncs/runs/{missing}/cancel", {}, expect=404)
    await stack.request("DELETE", f"/api/v1/syncs/{missing}", expect=404)
    body = await stack.post("/api/v1/syncs", {"connectionId": str(missing), "name": "x"}, expect=422)
    assert body["detail"][0]["loc"] == ["body", "connectionId"]


@pytest.mark.parametrize(
    ("query", "loc", "type_"),
    [
        ("limit=0", ["query", "limit"], "greater_than_equal"),
        ("limit=101", ["query", "limit"], "less_than_equal"),
        ("offset=-1", ["query", "offset"], "greater_than_equal"),
        ("limit=abc", ["query", "limit"], "int_parsing"),
        ("status=running", ["query", "status", 0], "literal_error"),
    ],
)
async def test_list_query_validation(stack: Stack, query: str, loc: list, type_: str) -> None:
    err = await stack.get(f"/api/v1/syncs?{query}", expect=422)
    assert any(d["loc"] == loc and d["type"] == type_ for d in err["detail"]), err


async def test_list_defaults_and_filters(stack: Stack) -> None:
    connection = await _connection(stack)
    for i in range(3):
        await stack.post("/api/v1/syncs", {"connectionId": connection, "name": f"sync {i}", "status": "active" if i else "draft"}, expect=201)
    page = await stack.get("/api/v1/syncs")
    assert (page["limit"], page["offset"], page["total"], page["hasNext"]) == (50, 0, 3, False)
    assert (await stack.get("/api/v1/syncs?limit=2"))["hasNext"] is True
    assert (await stack.get("/api/v1/syncs?status=draft"))["total"] == 1
    assert (await stack.get("/api/v1/syncs?status=draft&status=active"))["total"] == 3
    assert (await stack.get("/api/v1/syncs?q=sync%201"))["total"] == 1
    assert (await stack.get("/api/v1/syncs?provider=shopify"))["total"] == 0


async def test_sync_defaults_and_patch(stack: Stack) -> None:
    connection = await _connection(stack)
    sync = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "string"}, expect=201)
    tuned = await stack.post(
        "/api/v1/syncs", {"connectionId": connection, "name": "tuned", "executionConfig": {"pageSize": 500}}, expect=201
    )
    assert tuned["executionConfig"] == {"pageSize": 500} and "500.0" not in str(tuned)
    assert (sync["executionBackend"], sync["executionMode"], sync["status"], sync["triggerMode"]) == (
        "native", "sequential", "draft", "manual")
    assert sync["providerKey"] == "postgres" and sync["lastError"] is None and sync["freshnessSlaSeconds"] is None
    same = await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {})
    assert same["name"] == "string"
    patched = await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"name": "renamed", "freshnessSlaSeconds": 60})
    assert patched["name"] == "renamed" and patched["freshnessSlaSeconds"] == 60 and patched["status"] == "draft"
    cleared = await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"freshnessSlaSeconds": None})
    assert cleared["freshnessSlaSeconds"] is None and cleared["name"] == "renamed"
    bad = await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"name": ""}, expect=422)
    assert bad["detail"][0]["loc"] == ["body", "name"]
    assert (await stack.get(f"/api/v1/syncs/{sync['id']}"))["name"] == "renamed"
    await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"status": "archived"})
    await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"name": "nope"}, expect=409)
    await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {}, expect=409)
    assert await stack.request("DELETE", f"/api/v1/syncs/{sync['id']}", expect=204) is None
    await stack.get(f"/api/v1/syncs/{sync['id']}", expect=404)


async def test_provider_catalog(stack: Stack) -> None:
    pg = await stack.get("/api/v1/syncs/providers/postgres/catalog")
    assert pg["provider"] == "postgres" and pg["runnable"] is True and pg["dynamicResources"] is True
    assert pg["configSchema"]["type"] == "object"
    sqlserver = await stack.get("/api/v1/syncs/providers/sqlserver/catalog")
    assert sqlserver["runnable"] is False and "no SQL Server connector" in sqlserver["unavailableReason"]
    listing = await stack.get("/api/v1/syncs/providers")
    assert len(listing["providers"]) == 21
    err = await stack.get("/api/v1/syncs/providers/oracle/catalog", expect=422)
    assert err["detail"][0]["loc"] == ["path", "provider"]


async def test_sync_for_unrunnable_provider_is_422(stack: Stack) -> None:
    conn = await stack.post("/api/v1/connections", {"name": "crm", "providerKey": "salesforce"}, expect=201)
    err = await stack.post("/api/v1/syncs", {"connectionId": conn["id"], "name": "orders"}, expect=422)
    assert err["detail"][0]["loc"] == ["body", "connectionId"] and err["detail"][0]["type"] == "provider_not_runnable"
    assert await _count_syncs(stack) == 0


async def test_secrets_are_write_only(stack: Stack) -> None:
    connection = await _connection(stack)
    got = await stack.get(f"/api/v1/connections/{connection}")
    assert got["secretKeys"] == ["password"] and "secrets" not in got
    listed = await stack.get("/api/v1/connections")
    assert "hunter2-secret" not in str(listed) and "hunter2-secret" not in str(got)
    for proc in [stack.server, *stack.executors]:
        assert proc is not None and "hunter2-secret" not in proc.log()
    sync = await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection, "name": "d", "destinationConfig": {"dsn": "postgresql://w:s3cr3t-pw@db.example/wh"}},
        expect=201,
    )
    assert sync["destinationConfig"]["dsn"] == "postgresql://w@db.example/wh"
    assert "s3cr3t-pw" not in str(await stack.get(f"/api/v1/syncs/{sync['id']}"))


async def test_connection_in_use_cannot_be_deleted(stack: Stack) -> None:
    connection = await _connection(stack)
    sync = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "x"}, expect=201)
    await stack.request("DELETE", f"/api/v1/connections/{connection}", expect=409)
    await stack.request("DELETE", f"/api/v1/syncs/{sync['id']}", expect=204)
    await stack.request("DELETE", f"/api/v1/connections/{connection}", expect=204)


async def test_credentials_and_roles(stack: Stack) -> None:
    status, err, headers = await _raw(stack, "GET", "/api/v1/syncs")
    assert status == 401 and err == {"detail": "missing credentials: send an API key"}
    assert headers.get("WWW-Authenticate", "").startswith("Bearer")
    status, _, _ = await _raw(stack, "GET", "/api/v1/syncs", headers={"X-API-Key": "sp_wrong"})
    assert status == 401
    viewer = await stack.post("/api/v1/admin/api-keys", {"name": "read-only", "role": "viewer"}, expect=201)
    secret = viewer["secret"]
    for headers in ({"X-API-Key": secret}, {"Authorization": f"Bearer {secret}"}, {"Cookie": f"vai_token={secret}"}):
        status, body, _ = await _raw(stack, "GET", "/api/v1/syncs", headers=headers)
        assert status == 200 and body["total"] == 0
    status, err, _ = await _raw(
        stack, "POST", "/api/v1/syncs", data='{"name": "x"}', headers={"X-API-Key": secret, "Content-Type": "application/json"}
    )
    assert status == 403 and "administrator" in err["detail"]
    keys = await stack.get("/api/v1/admin/api-keys")
    assert all("secret" not in k for k in keys["apiKeys"])
    await stack.request("DELETE", f"/api/v1/admin/api-keys/{viewer['apiKey']['id']}", expect=204)


async def test_routing_errors(stack: Stack) -> None:
    status, _, _ = await _raw(stack, "GET", "/api/v1/nothing-here")
    assert status == 404
    status, _, headers = await _raw(stack, "PUT", "/api/v1/syncs", headers={"X-API-Key": "x"})
    assert status == 405 and "GET" in headers["Allow"] and "POST" in headers["Allow"]
