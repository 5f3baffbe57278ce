"""Python work while PostgreSQL runs a statement on the same connection.

A synchronisation page alternates between Python (the rules) and PostgreSQL
(set-based reads and writes) over one connection. Where a piece of Python work
does not depend on the statement in flight, it runs while that statement runs,
so the executor and its PostgreSQL backend use both cores instead of taking turns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

_S = TypeVar("_S")
_W = TypeVar("_W")


async def overlapped(statement: Awaitable[_S], work: Callable[[], _W]) -> tuple[_S, _W]:
    """Starts `statement`, runs `work` (no await, no SQL) meanwhile; returns both results."""
    task = asyncio.ensure_future(statement)
    # One turn of the loop: the task sends its statement, then waits for the answer.
    await asyncio.sleep(0)
    try:
        done = work()
    except BaseException:
        # The statement still owns the connection: let it end before the error
        # unwinds the transaction (a rollback meanwhile would be refused).
        await asyncio.gather(task, return_exceptions=True)
        raise
    return await task, done


__all__ = ["overlapped"]
