"""Waiting on a condition instead of sleeping: poll until it holds, fail after a generous timeout.

"Nothing happened" is never proved by waiting a while: wait instead for a later event that the
unwanted one would have come before (a later schedule slot, an empty outbox, a terminal row)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def wait_for(predicate: Callable[[], Awaitable[Any]], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Polls an async predicate until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await predicate()
        if last:
            return last
        await asyncio.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout}s (last: {last})")


async def next_second() -> None:
    """Returns once the wall clock is in a later whole second than when called: for stores
    whose timestamps have one-second resolution (S3 LastModified, LDAP modifyTimestamp), a
    change made after this gets a later stamp than one made before."""
    start = int(time.time())
    while int(time.time()) <= start:
        await asyncio.sleep(0.02)
