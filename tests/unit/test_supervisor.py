"""server.supervisor: the first fatal end is reported, stop is ordered and idempotent."""

from __future__ import annotations

import asyncio

import pytest

from syncplane.server.supervisor import Supervisor


async def _forever(stopped: list[str], name: str, started: asyncio.Event | None = None) -> None:
    try:
        if started is not None:
            started.set()
        await asyncio.Event().wait()
    finally:
        stopped.append(name)


async def test_the_first_task_to_raise_is_reported_by_name() -> None:
    sup = Supervisor()
    stopped: list[str] = []
    sup.start("loop", _forever(stopped, "loop"))

    async def boom() -> None:
        raise RuntimeError("the sweeper broke")

    sup.start("sweeper", boom())
    await sup.failed.wait()
    assert sup.error is not None and sup.error.task == "sweeper"
    assert isinstance(sup.error.error, RuntimeError)
    await sup.stop()
    assert stopped == ["loop"]


async def test_a_task_that_returns_is_fatal_too() -> None:
    sup = Supervisor()

    async def done() -> None:
        return None

    sup.start("scheduler", done())
    await sup.failed.wait()
    assert sup.error is not None and sup.error.task == "scheduler" and sup.error.error is None
    await sup.stop()


async def test_stop_cancels_in_reverse_start_order_and_is_idempotent() -> None:
    sup = Supervisor()
    stopped: list[str] = []
    ready = [asyncio.Event() for _ in range(3)]
    for i, name in enumerate(("first", "second", "third")):
        sup.start(name, _forever(stopped, name, ready[i]))
    for event in ready:
        await event.wait()
    assert sup.names() == ["first", "second", "third"]
    await sup.stop()
    assert stopped == ["third", "second", "first"]
    await sup.stop()
    assert stopped == ["third", "second", "first"]
    assert not sup.failed.is_set()


async def test_nothing_starts_once_stopping() -> None:
    sup = Supervisor()
    await sup.stop()
    with pytest.raises(RuntimeError):
        sup.start("late", _forever([], "late"))
