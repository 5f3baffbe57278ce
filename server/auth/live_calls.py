"""The streaming calls in progress, by the credential that opened them.

A watch or executor stream is authenticated once, when it opens; without this
registry a revoked key's open stream would go on for as long as the client
keeps it. Revocation sets each of the key's events and the interceptor ends
those calls with UNAUTHENTICATED.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class LiveCalls:
    def __init__(self) -> None:
        self._calls: dict[bytes, set[asyncio.Event]] = {}

    @contextmanager
    def track(self, credential: bytes) -> Iterator[asyncio.Event]:
        """An event set if `credential` is revoked while the block runs."""
        revoked = asyncio.Event()
        self._calls.setdefault(credential, set()).add(revoked)
        try:
            yield revoked
        finally:
            calls = self._calls.get(credential)
            if calls is not None:
                calls.discard(revoked)
                if not calls:
                    del self._calls[credential]

    def end(self, credential: bytes) -> int:
        """Signals every call opened with `credential`; returns how many there were."""
        calls = self._calls.get(credential, ())
        for revoked in calls:
            revoked.set()
        return len(calls)

    def count(self) -> int:
        return sum(len(calls) for calls in self._calls.values())


class Revoked(Exception):
    """The credential a stream was opened with was revoked while it ran."""


async def until_revoked(items: AsyncIterator[T], revoked: asyncio.Event) -> AsyncIterator[T]:
    """`items` as they come, until `revoked` is set: then the inner stream is
    cancelled where it waits (its `finally` blocks run) and `Revoked` is raised.

    Each step runs as its own task so it can be raced against the event; if
    this generator is itself cancelled or closed, the pending step is cancelled
    and the inner stream closed too, as it would have been without the race."""
    loop = asyncio.get_running_loop()
    waiter = asyncio.ensure_future(revoked.wait())
    # One context for every step, so context variables the inner stream sets persist as they would
    # without the race (steps run one at a time, so the context is never entered twice).
    context = contextvars.copy_context()
    step: asyncio.Future[T] | None = None
    try:
        while True:
            step = loop.create_task(_next(items), context=context)
            done, _ = await asyncio.wait({step, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if step not in done:
                raise Revoked
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            step = None
            yield item
    finally:
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)  # no task outlives the stream
        if step is not None and not step.done():
            step.cancel()
            await asyncio.gather(step, return_exceptions=True)
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


async def _next(items: AsyncIterator[T]) -> T:
    return await anext(items)
