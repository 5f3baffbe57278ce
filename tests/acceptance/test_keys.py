"""Keys and sessions with real processes: a key revoked on replica A stops
working on replica B, open watch streams on B included (gRPC and REST); wrong
keys are throttled per client; executor tokens are listed and revoked, and a
revoked token's executor is disconnected and cannot come back."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import grpc
import pytest

from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc
from tests.acceptance.conftest import make_source
from tests.acceptance.faults import create_sync
from tests.acceptance.harness import ADMIN_KEY, Stack

pytestmark = pytest.mark.acceptance

# Generous bounds that only catch "never" (the figures live in bench/security_keys.py).
NEVER = 30.0


@pytest.fixture
async def replica_b(api_stack: Stack) -> AsyncIterator[Stack]:
    b = api_stack.replica("server-b")
    await b.start_server()
    try:
        yield b
    finally:
        await b.stop()


async def _status(stack: Stack, path: str, key: str) -> tuple[int, dict[str, str], Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(stack.base + path, headers={"X-API-Key": key}) as resp:
            text = await resp.text()
            return resp.status, dict(resp.headers), json.loads(text) if text else None


async def test_a_key_revoked_on_one_replica_is_refused_by_the_other_and_its_open_watch_streams_end(
    api_stack: Stack, replica_b: Stack, second_dsn: str
) -> None:
    a, b = api_stack, replica_b
    await make_source(second_dsn, 10)
    sync_id = await create_sync(a, second_dsn, table="orders", dest_table="orders_copy", page_size=2_000)
    run = await a.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})  # pending: no executors
    created = await a.post("/api/v1/admin/api-keys", {"name": "watcher", "role": "viewer"}, expect=201)
    key, key_id = created["secret"], created["apiKey"]["id"]
    status, _, _ = await _status(b, "/api/v1/syncs", key)
    assert status == 200  # B now has the key in its cache

    channel = grpc.aio.insecure_channel(b.grpc_target)
    rest = aiohttp.ClientSession()
    try:
        grpc_watch = syncs_grpc.SyncsServiceStub(channel).WatchSyncRun(
            pb.WatchSyncRunRequest(run_id=run["id"]), metadata=(("x-api-key", key),)
        )
        first = await asyncio.wait_for(grpc_watch.read(), NEVER)
        assert first.id == run["id"] and first.status == "pending"
        async with rest.get(f"{b.base}/api/v1/syncs/runs/{run['id']}/watch", headers={"X-API-Key": key}) as resp:
            assert resp.status == 200
            assert json.loads(await asyncio.wait_for(resp.content.readline(), NEVER))["result"]["id"] == run["id"]

            await a.request("DELETE", f"/api/v1/admin/api-keys/{key_id}", expect=204)

            # The REST stream's last line is the error; the gRPC stream ends UNAUTHENTICATED.
            last: dict[str, Any] = {}
            async for line in _lines(resp):
                last = json.loads(line)
            assert last["error"]["code"] == grpc.StatusCode.UNAUTHENTICATED.value[0]
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            while True:
                message = await asyncio.wait_for(grpc_watch.read(), NEVER)
                assert message is not grpc.aio.EOF, "the stream ended without an error"
        assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await rest.close()
        await channel.close()
    # The streams ended because B dropped the key: its next request is refused at once.
    status, _, _ = await _status(b, "/api/v1/syncs", key)
    assert status == 401
    status, _, _ = await _status(a, "/api/v1/syncs", key)
    assert status == 401


async def _lines(resp: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    while True:
        line = await asyncio.wait_for(resp.content.readline(), NEVER)
        if not line:
            return
        if line.strip():
            yield line


async def test_wrong_keys_are_throttled_per_client_with_retry_after_and_good_keys_still_work(api_stack: Stack) -> None:
    statuses: list[int] = []
    retry_after = None
    for i in range(40):
        status, headers, _ = await _status(api_stack, "/api/v1/syncs", f"sp_wrong_{i}")
        statuses.append(status)
        if status == 429:
            retry_after = headers.get("Retry-After")
            break
    assert statuses[:-1] == [401] * (len(statuses) - 1) and statuses[-1] == 429, statuses
    assert 10 <= len(statuses) - 1 <= 30  # the burst (20) give or take the refill meanwhile
    assert retry_after is not None and int(retry_after) >= 1
    # A key this client has been using is not throttled.
    status, _, _ = await _status(api_stack, "/api/v1/syncs", ADMIN_KEY)
    assert status == 200
    # Over gRPC, the same throttle says RESOURCE_EXHAUSTED with a RetryInfo.
    async with grpc.aio.insecure_channel(api_stack.grpc_target) as channel:
        stub = syncs_grpc.SyncsServiceStub(channel)
        codes = []
        for i in range(40):
            try:
                await stub.ListSyncs(pb.ListSyncsRequest(), metadata=(("x-api-key", f"sp_wrong_grpc_{i}"),))
            except grpc.aio.AioRpcError as exc:
                codes.append(exc.code())
                if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    details = dict(exc.trailing_metadata() or ())
                    assert "grpc-status-details-bin" in details
                    break
        assert codes[-1] == grpc.StatusCode.RESOURCE_EXHAUSTED


async def _cli(stack: Stack, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", *args, "--server", stack.grpc_target, "--api-key", ADMIN_KEY,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), NEVER)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_executor_tokens_are_listed_and_a_revoked_ones_executor_is_disconnected_for_good(api_stack: Stack) -> None:
    executor = await api_stack.start_executor(slots=1)
    await api_stack.wait_http(lambda status, body: status == 200, "/readyz")

    listed = await api_stack.get("/api/v1/admin/executor-tokens")
    tokens = listed["executorTokens"]
    assert [t["name"] for t in tokens] == ["acceptance"] and tokens[0].get("revokedAt") is None
    assert all("token" not in t and "tokenHash" not in t for t in tokens)
    code, out, _ = await _cli(api_stack, "executor-tokens", "list")
    assert code == 0 and tokens[0]["id"] in out

    code, _, err = await _cli(api_stack, "executor-tokens", "revoke", tokens[0]["id"])
    assert code == 0, err
    # The open stream ends UNAUTHENTICATED, on which the executor exits (it does not retry).
    assert await asyncio.wait_for(executor.process.wait(), NEVER) == 2
    assert "executor.unauthenticated" in executor.log()
    listed = await api_stack.get("/api/v1/admin/executor-tokens")
    assert listed["executorTokens"][0]["revokedAt"]
    # It cannot come back.
    again = await api_stack.start_executor(slots=1, name="executor-again")
    assert await asyncio.wait_for(again.process.wait(), NEVER) == 2
    await api_stack.request("DELETE", f"/api/v1/admin/executor-tokens/{tokens[0]['id']}", expect=404)
