"""Reading a source ahead of the destination, bounded, and stoppable by a cancel.

While the consumer waits for the destination to commit a batch, a task keeps
reading and parsing the next records (at least one item ahead, at most
about `max_records`), so the network and the database work at the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def read_ahead(
    items: AsyncIterator[T],
    *,
    max_records: int,
    size: Callable[[T], int],
    cancel_event: asyncio.Event,
    on_cancel: Callable[[], None],
) -> AsyncIterator[T]:
    """Iterates `items` with a background task reading ahead.

    An error of the source is raised here, where it would have been. A cancel
    (`cancel_event`) while waiting for the source calls `on_cancel`, which
    raises; leaving early stops the task and closes `items`.
    """
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    room = asyncio.Condition()
    ahead = 0

    async def pump() -> None:
        nonlocal ahead
        try:
            async for item in items:
                async with room:
                    await room.wait_for(lambda: ahead < max_records)  # noqa: B023 -- reads the live count on purpose
                    ahead += size(item)
                queue.put_nowait((False, item))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            queue.put_nowait((True, exc))
            return
        queue.put_nowait((True, None))

    task = asyncio.create_task(pump(), name="read-ahead")
    cancelled = asyncio.create_task(cancel_event.wait(), name="read-ahead-cancel")
    try:
        while True:
            if queue.empty():
                getter = asyncio.create_task(queue.get())
                await asyncio.wait({getter, cancelled}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    on_cancel()
                done, item = getter.result()
            else:
                done, item = queue.get_nowait()
            if done:
                if item is not None:
                    raise item
                return
            async with room:
                ahead -= size(item)
                room.notify_all()
            yield item
    finally:
        cancelled.cancel()
        task.cancel()
        await asyncio.gather(task, cancelled, return_exceptions=True)
        await items.aclose()  # type: ignore[attr-defined]  # an async generator, typed as AsyncIterator


__all__ = ["read_ahead"]
