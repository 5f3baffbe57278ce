"""An executor given several servers (`--server a,b`) moves on to the next one
when a session ends or a dial fails, with a backoff that grows per full round."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import grpc
import pytest

from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.engine.v1 import executor_pb2_grpc
from syncplane.executor.runner import Executor, ExecutorConfig
from syncplane.executor.targets import TargetRotation, parse_targets


def test_targets_are_comma_separated_in_order() -> None:
    assert parse_targets("a:1, b:2,,c:3 ") == ("a:1", "b:2", "c:3")
    assert parse_targets("a:1") == ("a:1",)
    with pytest.raises(ValueError):
        parse_targets(" , ")


def test_one_target_keeps_the_doubling_backoff() -> None:
    rotation = TargetRotation(("a",))
    waits = [rotation.advance(was_connected=False) for _ in range(8)]
    assert waits == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0]
    assert rotation.current == "a"
    # A session that worked starts the backoff over.
    assert rotation.advance(was_connected=True) == 0.2
    assert rotation.advance(was_connected=False) == 0.4


def test_each_target_is_tried_before_the_backoff_grows() -> None:
    rotation = TargetRotation(("a", "b", "c"))
    tried, waits = [], []
    for _ in range(6):
        tried.append(rotation.current)
        waits.append(rotation.advance(was_connected=False))
    assert tried == ["a", "b", "c", "a", "b", "c"]
    assert waits == [0.2, 0.2, 0.2, 0.4, 0.4, 0.4]


def test_a_lost_session_moves_on_to_the_next_target_at_the_initial_delay() -> None:
    rotation = TargetRotation(("a", "b"))
    for _ in range(5):
        rotation.advance(was_connected=False)  # the backoff grew meanwhile
    assert rotation.current == "b"
    assert rotation.advance(was_connected=True) == 0.2
    assert rotation.current == "a"


# -- a real executor against fake control planes -------------------------------------

class _FakeControlPlane(executor_pb2_grpc.ExecutorServiceServicer):
    """Welcomes executors and keeps their streams open; records who came."""

    def __init__(self) -> None:
        self.hellos: list[str] = []

    async def Connect(
        self, request_iterator: AsyncIterator[pb.ExecutorMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ServerMessage]:
        first = await request_iterator.__anext__()
        self.hellos.append(first.hello.executor_id)
        yield pb.ServerMessage(welcome=pb.Welcome(session_id="s", heartbeat_interval_seconds=0.2))
        async for _ in request_iterator:  # heartbeats, until the executor or the server goes
            pass


async def _serve(plane: _FakeControlPlane) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    executor_pb2_grpc.add_ExecutorServiceServicer_to_server(plane, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


def _unused_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


async def _until(predicate: object, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_executor_skips_a_dead_server_and_fails_over_when_its_server_dies() -> None:
    a, b = _FakeControlPlane(), _FakeControlPlane()
    server_a, addr_a = await _serve(a)
    server_b, addr_b = await _serve(b)
    executor = Executor(ExecutorConfig(server=f"{_unused_address()},{addr_a},{addr_b}", token="t", executor_id="e1"))
    running = asyncio.create_task(executor.run())
    try:
        # Nothing listens at the first address: the executor goes on to A.
        await _until(lambda: a.hellos == ["e1"])
        assert b.hellos == []
        # A dies: the executor goes on to B rather than redialling A.
        await server_a.stop(0)
        await _until(lambda: b.hellos == ["e1"])
        await _until(executor.connected.is_set)
        assert a.hellos == ["e1"]
    finally:
        executor.stop()
        await asyncio.wait_for(running, 20)
        await server_a.stop(0)
        await server_b.stop(0)
