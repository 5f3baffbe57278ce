"""overlapped(): Python work while a statement is in flight."""

from __future__ import annotations

import asyncio

import pytest

from syncplane.executor.identity.overlap import overlapped


async def test_the_statement_is_under_way_before_the_work_runs_and_both_results_come_back() -> None:
    events: list[str] = []

    async def statement() -> str:
        events.append("sent")
        await asyncio.sleep(0.01)
        events.append("answered")
        return "rows"

    def work() -> int:
        events.append("work")
        return 42

    assert await overlapped(statement(), work) == ("rows", 42)
    assert events == ["sent", "work", "answered"]


async def test_a_failing_work_waits_for_the_statement_before_the_error_propagates() -> None:
    finished = asyncio.Event()

    async def statement() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    def work() -> None:
        raise ValueError("rule error")

    with pytest.raises(ValueError, match="rule error"):
        await overlapped(statement(), work)
    # The connection is free again: a rollback after the error is not refused.
    assert finished.is_set()


async def test_a_failing_statement_propagates_after_the_work() -> None:
    async def statement() -> None:
        raise RuntimeError("unique violation")

    with pytest.raises(RuntimeError, match="unique violation"):
        await overlapped(statement(), lambda: None)
