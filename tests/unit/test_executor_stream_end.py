"""A write that races the end of the executor's stream (grpc: "RPC already
finished", an InvalidStateError) ends the session like any other stream loss:
the executor reconnects, it never exits (the crash the fault suite used to
xfail). Against a real grpc server that ends every stream at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.engine.v1 import executor_pb2_grpc
from syncplane.executor.runner import Executor, ExecutorConfig


class _HangUp(executor_pb2_grpc.ExecutorServiceServicer):
    """Welcomes an executor, then ends the stream at once."""

    def __init__(self) -> None:
        self.hellos = 0

    async def Connect(
        self, request_iterator: AsyncIterator[pb.ExecutorMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ServerMessage]:
        await request_iterator.__anext__()
        self.hellos += 1
        yield pb.ServerMessage(welcome=pb.Welcome(session_id="s", heartbeat_interval_seconds=0.05))


async def _serve(plane: _HangUp) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    executor_pb2_grpc.add_ExecutorServiceServicer_to_server(plane, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


async def test_a_write_after_the_stream_ended_ends_the_session_not_the_process() -> None:
    plane = _HangUp()
    server, target = await _serve(plane)
    try:
        async with grpc.aio.insecure_channel(target) as channel:
            call = executor_pb2_grpc.ExecutorServiceStub(channel).Connect()
            await call.write(pb.ExecutorMessage(hello=pb.Hello(executor_id="e")))
            assert (await call.read()).WhichOneof("kind") == "welcome"
            assert await call.code() == grpc.StatusCode.OK  # the server ended the call
            with pytest.raises(asyncio.InvalidStateError):  # what grpc does on such a write
                await call.write(pb.ExecutorMessage(heartbeat=pb.Heartbeat()))

            executor = Executor(ExecutorConfig(server=target, token="t", executor_id="e"))
            executor._outbox = asyncio.Queue()
            executor._outbox.put_nowait(pb.ExecutorMessage(heartbeat=pb.Heartbeat()))
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(executor._write_loop(call), 5)
    finally:
        await server.stop(None)


async def test_an_executor_whose_streams_keep_ending_keeps_reconnecting() -> None:
    plane = _HangUp()
    server, target = await _serve(plane)
    executor = Executor(ExecutorConfig(server=target, token="t", executor_id="e"))
    running = asyncio.create_task(executor.run())
    try:
        async def three_sessions() -> None:
            while plane.hellos < 3:
                assert not running.done(), running.exception()
                await asyncio.sleep(0.01)
        # Backoff 0.2 s, doubling: three sessions within a few seconds.
        await asyncio.wait_for(three_sessions(), 30)
        assert not running.done()
    finally:
        executor.stop()
        await asyncio.wait_for(running, 30)
        await server.stop(None)
