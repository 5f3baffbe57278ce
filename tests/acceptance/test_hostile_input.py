"""Hostile input against a real server over real HTTP: each answer is the dialect's 4xx, never a 5xx.

Headers an HTTP client library refuses to send (a tab, non-ASCII, a bare LF) go out on a raw socket.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import grpc
import pytest

from syncplane.syncs.v1 import service_pb2 as syncs_pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.jobs_support import seed_resources

CONNECTION = {"name": "c", "providerKey": "postgres", "config": {"dsn": "postgresql://u@h/db"}}


async def raw(stack: Stack, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], Any]:
    """Sends `head` (request line and headers, CRLF-separated, no final blank line) and `body`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", stack.http_port)
    try:
        length = f"Content-Length: {len(body)}\r\n".encode() if body else b""
        writer.write(head + b"\r\nConnection: close\r\n" + length + b"\r\n" + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    header_block, _, payload = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        payload = _unchunk(payload)
    try:
        return status, headers, json.loads(payload)
    except ValueError:
        return status, headers, payload.decode("latin-1")


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2 :]
    return out


def get(path: str, *headers: bytes) -> bytes:
    return b"\r\n".join([f"GET {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", *headers])


async def send(stack: Stack, method: str, path: str, body: bytes | str, key: str | None = ADMIN_KEY,
               headers: dict[str, str] | None = None) -> tuple[int, Any]:
    sent = {"Content-Type": "application/json", **({"X-API-Key": key} if key else {}), **(headers or {})}
    data = body.encode() if isinstance(body, str) else body
    # A session of its own: the stack's carries the admin key on every request.
    async with aiohttp.ClientSession() as session:
        async with session.request(method, stack.base + path, data=data, headers=sent) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text else None


def assert_clean_log(stack: Stack) -> None:
    assert stack.server is not None
    log = stack.server.log()
    assert "Traceback" not in log and "gateway.unhandled" not in log and "rpc.internal_error" not in log
    assert ADMIN_KEY not in log


# --- 1. header bytes ---


async def test_a_tab_in_x_forwarded_host_is_401_without_a_key_and_422_with_one(api_stack: Stack) -> None:
    status, headers, body = await raw(api_stack, get("/api/v1/syncs", b"X-Forwarded-Host: a\tb"))
    assert (status, headers["www-authenticate"]) == (401, "Bearer")
    status, _, body = await raw(api_stack, get("/api/v1/syncs", b"X-Forwarded-Host: a\tb", f"X-API-Key: {ADMIN_KEY}".encode()))
    assert status == 422
    assert body["detail"][0]["loc"] == ["header", "X-Forwarded-Host"]
    assert_clean_log(api_stack)


@pytest.mark.parametrize(
    "header",
    [b"Authorization: Bearer sp_\xc3\xa9", b"X-API-Key: sp_\xc3\xa9", b"Cookie: vai_token=sp_\xc3\xa9"],
)
async def test_non_ascii_in_a_credential_header_is_a_401(api_stack: Stack, header: bytes) -> None:
    status, _, body = await raw(api_stack, get("/api/v1/syncs", header))
    assert status == 401
    assert set(body) == {"detail"} and "non-ASCII" in body["detail"]
    status, _, body = await raw(api_stack, get("/sync-job", header))  # the jobs dialect's shape
    assert (status, body["statusCode"]) == (401, 401)
    assert_clean_log(api_stack)


async def test_non_ascii_in_host_is_the_dialects_400(api_stack: Stack) -> None:
    head = b"\r\n".join([b"GET /sync-job HTTP/1.1", b"Host: h\xc3\xa9", f"X-API-Key: {ADMIN_KEY}".encode()])
    status, _, body = await raw(api_stack, head)
    assert (status, body["statusCode"]) == (400, 400)
    assert "Host" in body["details"]
    assert_clean_log(api_stack)


async def test_a_bare_lf_in_a_header_is_a_400_logged_in_one_line_without_the_header(api_stack: Stack) -> None:
    head = b"GET /api/v1/syncs HTTP/1.1\r\nHost: x\r\nX-API-Key: " + ADMIN_KEY.encode() + b"\nFoo: bar"
    status, _, _ = await raw(api_stack, head)
    assert status == 400
    # Wait for the line the parser error makes (the log is written by another process).
    assert api_stack.server is not None
    await _wait_for(lambda: "malformed_http" in api_stack.server.log())  # type: ignore[union-attr]
    lines = [line for line in api_stack.server.log().splitlines() if "malformed_http" in line]
    assert len(lines) == 1 and '"status": 400' in lines[0]
    assert_clean_log(api_stack)


async def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met"
        await asyncio.sleep(0.05)


# --- 2. strings and numbers the database cannot hold, and sizes ---


async def test_nul_in_a_query_a_path_a_json_string_and_a_map_key_is_a_422(api_stack: Stack) -> None:
    status, _, body = await raw(api_stack, get("/api/v1/syncs?q=%00", f"X-API-Key: {ADMIN_KEY}".encode()))
    assert status == 422 and body["detail"][0]["loc"] == ["query", "q"]
    status, _, body = await raw(api_stack, get("/api/v1/connections/a%00b", f"X-API-Key: {ADMIN_KEY}".encode()))
    assert status == 422 and body["detail"][0]["loc"] == ["path", "connection_id"]
    status, body = await send(api_stack, "POST", "/api/v1/connections",
                              json.dumps({**CONNECTION, "name": "a\x00", "config": {"dsn": "x", "k\x00": "v"}}))
    assert status == 422
    assert {tuple(d["loc"]) for d in body["detail"]} == {("body", "name"), ("body", "config", "k\\u0000")}
    assert (await api_stack.get("/api/v1/connections"))["total"] == 0
    assert_clean_log(api_stack)


async def test_nul_from_a_grpc_client_is_invalid_argument_not_internal(api_stack: Stack) -> None:
    # gRPC clients skip the gateway: the database's refusal itself becomes the 400.
    async with grpc.aio.insecure_channel(api_stack.grpc_target) as channel:
        stub = syncs_grpc.SyncsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListSyncs(syncs_pb.ListSyncsRequest(q="a\x00b"), metadata=(("x-api-key", ADMIN_KEY),))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "NUL" in (refused.value.details() or "")
    assert_clean_log(api_stack)


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "1e999", "7" * 5000, "[" * 1000 + "]" * 1000, "[" * 100 + "]" * 100]
)
async def test_non_finite_huge_and_deep_json_is_a_422(api_stack: Stack, value: str) -> None:
    body = '{"name": "c", "providerKey": "postgres", "config": {"dsn": "x", "v": ' + value + "}}"
    status, error = await send(api_stack, "POST", "/api/v1/connections", body)
    assert status == 422, error
    assert error["detail"][0]["type"] in ("finite_number", "json_invalid")
    assert (await api_stack.get("/api/v1/connections"))["total"] == 0
    assert_clean_log(api_stack)


async def test_the_jobs_dialect_answers_the_same_input_with_its_400(api_stack: Stack) -> None:
    status, error = await send(api_stack, "POST", "/daemon", '{"label": "d", "group_key": NaN}')
    assert (status, error["statusCode"]) == (400, 400)
    status, error = await send(api_stack, "POST", "/daemon", '{"label": "d\\u0000", "group_key": "g"}')
    assert (status, error["statusCode"], list(error["details"])) == (400, 400, ["label"])


async def test_a_body_over_the_bound_is_a_413(api_stack: Stack) -> None:
    status, error = await send(api_stack, "POST", "/api/v1/connections", b" " * (4 * 1024 * 1024 + 1))
    assert status == 413 and set(error) == {"detail"}
    # Declared but not sent: refused from the Content-Length alone, before reading anything.
    head = b"\r\n".join([b"POST /api/v1/connections HTTP/1.1", b"Host: x", f"X-API-Key: {ADMIN_KEY}".encode(),
                         b"Content-Type: application/json", b"Content-Length: 1000000000"])
    reader, writer = await asyncio.open_connection("127.0.0.1", api_stack.http_port)
    writer.write(head + b"\r\n\r\n{")
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] == b"413"
    # No length declared (chunked): read up to the bound, then refused.
    chunk = b" " * (1024 * 1024)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    head = b"\r\n".join([b"POST /api/v1/connections HTTP/1.1", b"Host: x", f"X-API-Key: {ADMIN_KEY}".encode(),
                         b"Content-Type: application/json", b"Transfer-Encoding: chunked", b"Connection: close"])
    reader, writer = await asyncio.open_connection("127.0.0.1", api_stack.http_port)
    writer.write(head + b"\r\n\r\n" + chunks)
    try:
        await writer.drain()
    except ConnectionError:
        pass  # the server may answer and close before the last chunk is out
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] == b"413"


# --- 3. a cron that never fires ---


async def test_a_cron_that_never_fires_is_400_in_jobs_and_422_in_syncs(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    status, error = await send(api_stack, "POST", "/sync-job-cron-trigger", json.dumps({
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
        "args": {"project_slug": "a/b/c"}, "cron_expression": "0 0 31 2 *",
    }))
    assert status == 400 and list(error["details"]) == ["cron_expression"], error
    connection = await api_stack.post("/api/v1/connections", CONNECTION, expect=201)
    status, error = await send(api_stack, "POST", "/api/v1/syncs", json.dumps({
        "connectionId": connection["id"], "name": "s", "triggerMode": "scheduled",
        "schedule": {"cron": "0 0 31 2 *", "timezone": "UTC"},
    }))
    assert status == 422 and [d["loc"] for d in error["detail"]] == [["body", "schedule", "cron"]]
    assert_clean_log(api_stack)


# --- 4. an over-long enum value ---


@pytest.mark.parametrize("size", [4096, 7000])
async def test_an_over_long_filter_is_a_400_quoting_a_bounded_prefix(api_stack: Stack, size: int) -> None:
    status, error = await send(api_stack, "GET", "/api/v1/activities?status=" + "x" * size, b"")
    assert status == 400, error
    (message,) = error["validationErrors"]["status"]
    assert "x" * 64 + "…" in message and len(message) < 400


# --- 5. authentication before validation ---


async def test_authentication_is_checked_before_the_body(api_stack: Stack) -> None:
    bad = '{"name": 5}'
    assert (await send(api_stack, "POST", "/api/v1/syncs", bad, key=None))[0] == 401
    assert (await send(api_stack, "POST", "/api/v1/syncs", bad, key="sp_wrong"))[0] == 401
    assert (await send(api_stack, "POST", "/sync-job", "{not json", key=None))[0] == 401
    assert (await send(api_stack, "POST", "/api/v1/connections", b" " * (4 * 1024 * 1024 + 1), key=None))[0] == 401
    viewer = (await api_stack.post("/api/v1/admin/api-keys", {"name": "ro", "role": "viewer"}, expect=201))["secret"]
    assert (await send(api_stack, "POST", "/api/v1/syncs", bad, key=viewer))[0] == 403
    status, error = await send(api_stack, "POST", "/api/v1/syncs", bad)
    assert status == 422 and error["detail"][0]["loc"] == ["body", "name"]


# --- 6. the vai_token cookie ---


async def test_the_cookie_is_refused_on_a_cross_site_shaped_write(api_stack: Stack) -> None:
    cookie = {"Cookie": f"vai_token={ADMIN_KEY}"}
    body = json.dumps(CONNECTION)
    status, error = await send(api_stack, "POST", "/api/v1/connections", body, key=None,
                               headers={**cookie, "Content-Type": "text/plain"})
    assert status == 403 and "Content-Type" in error["detail"]
    status, _ = await send(api_stack, "POST", "/api/v1/connections", body, key=None,
                           headers={**cookie, "Origin": "http://evil.example"})
    assert status == 403
    status, _ = await send(api_stack, "POST", "/api/v1/connections", body, key=None,
                           headers={**cookie, "Referer": "http://evil.example/page"})
    assert status == 403
    assert (await api_stack.get("/api/v1/connections"))["total"] == 0


async def test_the_cookie_works_on_a_same_origin_json_write_and_on_reads(api_stack: Stack) -> None:
    cookie = {"Cookie": f"theme=dark; vai_token={ADMIN_KEY}"}
    origin = {"Origin": f"http://127.0.0.1:{api_stack.http_port}"}
    status, created = await send(api_stack, "POST", "/api/v1/connections", json.dumps(CONNECTION), key=None,
                                 headers={**cookie, **origin})
    assert status == 201, created
    status, listed = await send(api_stack, "GET", "/api/v1/connections", b"", key=None, headers=cookie)
    assert status == 200 and listed["total"] == 1


async def test_the_cookie_is_not_a_credential_outside_the_syncs_dialect(api_stack: Stack) -> None:
    cookie = {"Cookie": f"vai_token={ADMIN_KEY}"}
    status, error = await send(api_stack, "GET", "/sync-job", b"", key=None, headers=cookie)
    assert (status, error["statusCode"]) == (401, 401)
    status, error = await send(api_stack, "GET", "/api/v1/activities", b"", key=None, headers=cookie)
    assert (status, error["code"]) == (401, "UNAUTHORISED")
