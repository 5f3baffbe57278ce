"""Server streaming over REST: NDJSON, Server-Sent Events, errors, and client disconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from syncplane.server.gateway import build_gateway_app
from tests.unit.gateway_support import Harness, syncs_services


async def test_ndjson_one_result_per_line(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/r1/watch")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/x-ndjson")
    lines = (await resp.text()).splitlines()
    results = [json.loads(line)["result"] for line in lines]
    assert [r["status"] for r in results] == ["pending", "running", "succeeded"]
    assert results[2]["completedAt"] == "2023-11-14T22:15:00Z"
    assert results[0]["completedAt"] is None  # same marshalling as unary answers


async def test_ndjson_error_mid_stream_is_the_last_line(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/fail-mid/watch")
    assert resp.status == 200
    lines = [json.loads(line) for line in (await resp.text()).splitlines()]
    assert lines[0]["result"]["status"] == "pending"
    assert lines[-1] == {"error": {"code": 9, "message": "executor lost", "details": []}}
    assert len(lines) == 2


async def test_error_before_the_first_message_is_a_plain_error_response(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/missing/watch")
    assert resp.status == 404
    assert await resp.json() == {"detail": "Run not found"}


async def test_sse_when_the_client_accepts_event_stream(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/r1/watch", headers={"Accept": "text/event-stream"})
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    events = [e for e in (await resp.text()).split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert [json.loads(e[len("data: ") :])["status"] for e in events] == ["pending", "running", "succeeded"]


async def test_sse_error_event(gw: Harness) -> None:
    resp = await gw.client.get("/api/v1/syncs/runs/fail-mid/watch", headers={"Accept": "text/event-stream"})
    events = [e for e in (await resp.text()).split("\n\n") if e]
    assert events[-1].startswith("event: error\ndata: ")
    assert json.loads(events[-1].split("data: ", 1)[1])["code"] == 9


async def test_each_message_is_flushed_and_a_disconnect_cancels_the_call(gw: Harness) -> None:
    # The "slow" run sends one message then waits 30 s: reading that line proves it was flushed.
    resp = await gw.client.get("/api/v1/syncs/runs/slow/watch")
    first = await asyncio.wait_for(resp.content.readline(), timeout=5)
    assert json.loads(first)["result"]["status"] == "pending"
    resp.close()  # drops the connection
    await asyncio.wait_for(gw.syncs.watch_cancelled.wait(), timeout=5)


@asynccontextmanager
async def plain_runner(gw: Harness) -> AsyncIterator[str]:
    """The gateway under aiohttp's AppRunner, which (unlike TestServer) does not cancel handlers
    when a client goes away: the stream must notice the closed connection by itself."""

    async def readiness() -> dict[str, bool]:
        return {}

    runner = web.AppRunner(build_gateway_app(gw.channel, syncs_services(), readiness))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_disconnect_cancels_the_call_without_handler_cancellation(gw: Harness) -> None:
    async with plain_runner(gw) as base, aiohttp.ClientSession() as session:
        resp = await session.get(f"{base}/api/v1/syncs/runs/slow/watch")
        first = await asyncio.wait_for(resp.content.readline(), timeout=5)
        assert json.loads(first)["result"]["status"] == "pending"
        resp.close()
        await asyncio.wait_for(gw.syncs.watch_cancelled.wait(), timeout=5)


async def test_disconnect_before_the_first_message_cancels_the_call(gw: Harness) -> None:
    async with plain_runner(gw) as base, aiohttp.ClientSession() as session:
        # No message, so no headers yet: once the call has reached the service, the client gives
        # up waiting and drops the connection.
        request = asyncio.create_task(session.get(f"{base}/api/v1/syncs/runs/idle/watch"))
        await asyncio.wait_for(gw.syncs.watch_waiting.wait(), timeout=5)
        assert not request.done()
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.wait_for(gw.syncs.watch_cancelled.wait(), timeout=5)
