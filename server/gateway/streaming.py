"""Server-streaming RPCs as chunked NDJSON, or as Server-Sent Events for browsers.

NDJSON: one `{"result": <message>}` per line, written (and so flushed) per message; an error after
the first message is a last line `{"error": <google.rpc.Status>}`. SSE: `data: <message>` events and
an `event: error` one. An error before the first message is an ordinary error response in the
dialect's shape, so that e.g. watching an unknown run is a plain 404.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from aiohttp import web
from google.protobuf.message import Message

from syncplane.server.gateway.error_styles import status_json
from syncplane.server.gateway.errors import status_from_rpc_error
from syncplane.server.gateway.marshal import Marshaller, dumps
from syncplane.server.gateway.metadata import response_headers

log = structlog.get_logger(__name__)

NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
# How often an idle stream checks that its client is still there (aiohttp only cancels handlers on
# disconnect when the runner enables handler_cancellation, which is off by default).
DISCONNECT_POLL_SECONDS = 0.25


@dataclass(slots=True)
class _StreamState:
    response: web.StreamResponse | None = None
    """Set once the headers are sent: from then on the answer can only be ended, not replaced."""
    count: int = 0


def wants_sse(request: web.Request) -> bool:
    return SSE in request.headers.get("Accept", "")


async def forward_stream(
    request: web.Request,
    call: grpc.aio.UnaryStreamCall,
    marshaller: Marshaller,
    on_early_error: Callable[[grpc.aio.AioRpcError], web.Response],
    rpc: str,
) -> web.StreamResponse:
    """Relays `call` to the client; the call is cancelled however this ends."""
    gone = asyncio.Event()
    state = _StreamState()
    # Watching starts before the first message: a watch may wait long for its first change.
    watcher = asyncio.create_task(_cancel_on_disconnect(request, call, gone))
    try:
        return await _relay(request, call, marshaller, on_early_error, rpc, state)
    except ConnectionError:
        log.info("gateway.stream_client_gone", rpc=rpc, messages=state.count)
        return state.response or web.Response(status=499)
    except asyncio.CancelledError:
        # When our watcher cancelled the call, the pending read raised; the handler itself was not
        # cancelled and must end normally. Any other cancellation goes on up.
        task = asyncio.current_task()
        if gone.is_set() and (task is None or not task.cancelling()):
            log.info("gateway.stream_client_gone", rpc=rpc, messages=state.count)
            return state.response or web.Response(status=499)
        raise
    finally:
        watcher.cancel()
        call.cancel()  # a no-op when the call is over; stops the server's work when it is not
        await asyncio.gather(watcher, return_exceptions=True)  # no task outlives its request


async def _relay(
    request: web.Request,
    call: grpc.aio.UnaryStreamCall,
    marshaller: Marshaller,
    on_early_error: Callable[[grpc.aio.AioRpcError], web.Response],
    rpc: str,
    state: _StreamState,
) -> web.StreamResponse:
    sse = wants_sse(request)
    try:
        message: Any = await call.read()
        initial = await call.initial_metadata()
    except grpc.aio.AioRpcError as exc:
        return on_early_error(exc)
    headers = response_headers(initial)
    headers["Content-Type"] = SSE if sse else NDJSON
    headers["Cache-Control"] = "no-cache"
    headers["X-Accel-Buffering"] = "no"  # proxies must not hold the lines back
    response = state.response = web.StreamResponse(status=200, headers=headers)
    await response.prepare(request)
    started = time.monotonic()
    try:
        while message is not grpc.aio.EOF:
            await response.write(_frame(marshaller, message, sse))
            state.count += 1
            message = await call.read()
    except grpc.aio.AioRpcError as exc:
        status = status_json(status_from_rpc_error(exc))
        log.info("gateway.stream_error", rpc=rpc, messages=state.count, code=status["code"])
        await response.write(_error_frame(status, sse))
    ms = round((time.monotonic() - started) * 1000, 1)
    log.debug("gateway.stream_done", rpc=rpc, messages=state.count, ms=ms)
    await response.write_eof()
    return response


def _frame(marshaller: Marshaller, message: Message, sse: bool) -> bytes:
    if sse:
        return b"data: " + marshaller.to_json(message) + b"\n\n"
    return b'{"result":' + marshaller.to_json(message) + b"}\n"


def _error_frame(status: dict[str, Any], sse: bool) -> bytes:
    if sse:
        return b"event: error\ndata: " + dumps(status) + b"\n\n"
    return dumps({"error": status}) + b"\n"


async def _cancel_on_disconnect(request: web.Request, call: grpc.aio.UnaryStreamCall, gone: asyncio.Event) -> None:
    while not call.done():
        transport = request.transport
        if transport is None or transport.is_closing():
            gone.set()
            call.cancel()
            return
        await asyncio.sleep(DISCONNECT_POLL_SECONDS)
