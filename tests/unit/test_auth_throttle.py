"""The failed-authentication throttle and the stream revocation race, without a server."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator

import pytest

from syncplane.server.auth.client_address import client_address
from syncplane.server.auth.live_calls import LiveCalls, Revoked, until_revoked
from syncplane.server.auth.throttle import FailureThrottle, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_throttled_after_its_burst_of_failures_and_recovers_as_the_bucket_refills() -> None:
    clock = Clock()
    throttle = FailureThrottle(burst=20, window_seconds=10, clock=clock)
    for _ in range(20):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    wait = throttle.retry_after("10.0.0.1")
    assert wait == pytest.approx(0.5)  # one token refills in 10 s / 20
    assert retry_after_header(wait) == "1"
    assert throttle.retry_after("10.0.0.2") == 0, "another client is not affected"
    clock.now += 0.5
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") > 0


def test_the_table_of_clients_is_bounded() -> None:
    throttle = FailureThrottle(max_clients=100, clock=Clock())
    for i in range(1000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) <= 100


def test_the_forwarded_address_is_trusted_only_with_the_gateway_mark() -> None:
    metadata = {"x-forwarded-for": "203.0.113.9, 198.51.100.7"}
    assert client_address("ipv4:127.0.0.1:5000", metadata, "mark") == "127.0.0.1"
    assert client_address("ipv4:127.0.0.1:5000", {**metadata, "x-syncplane-gateway": "guess"}, "mark") == "127.0.0.1"
    marked = {**metadata, "x-syncplane-gateway": "mark"}
    assert client_address("ipv4:127.0.0.1:5000", marked, "mark") == "198.51.100.7"
    assert client_address("ipv6:[::1]:5000", {}, None) == "::1"


async def test_a_revoked_stream_ends_and_its_inner_stream_is_finalised() -> None:
    live = LiveCalls()
    finalised = asyncio.Event()
    started = asyncio.Event()

    async def watch() -> AsyncIterator[int]:
        try:
            yield 1
            started.set()
            await asyncio.Event().wait()  # a watch waiting for the next change
            yield 2
        finally:
            finalised.set()

    async def consume(revoked: asyncio.Event) -> list[int]:
        seen: list[int] = []
        with pytest.raises(Revoked):
            async for item in until_revoked(watch(), revoked):
                seen.append(item)
        return seen

    with live.track(b"k1") as revoked:
        task = asyncio.create_task(consume(revoked))
        await started.wait()
        assert live.count() == 1
        assert live.end(b"k1") == 1
        assert await task == [1]
    assert finalised.is_set()
    assert live.count() == 0
    assert live.end(b"k1") == 0


async def test_the_inner_stream_keeps_its_context_variables_across_items() -> None:
    var: contextvars.ContextVar[int] = contextvars.ContextVar("var", default=0)

    async def counting() -> AsyncIterator[int]:
        for _ in range(3):
            var.set(var.get() + 1)
            yield var.get()

    assert [i async for i in until_revoked(counting(), asyncio.Event())] == [1, 2, 3]
