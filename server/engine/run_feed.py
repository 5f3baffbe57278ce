"""Every run's changes, for watchers of all runs at once (the console's run list).

`WatchHub` wakes the watchers of one run; this wakes every subscriber on any run change. A change
NOTIFY names its runs; a new run only NOTIFYs its executor group (`syncplane_runs_pending`), and a
reconnected listener names nothing: both tell subscribers to look again at what changed lately.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

#: What a subscriber is handed: the runs that changed, or None for "look at everything recent".
Change = frozenset[uuid.UUID] | None

# A subscriber this far behind is told to rescan instead of growing its queue without bound.
_MAX_BACKLOG = 256


class RunFeed:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Change]] = set()

    def on_changed(self, payload: str | None) -> None:
        """`syncplane_run_changed`: comma-separated run ids (None after a reconnect)."""
        if payload is None:
            self._publish(None)
            return
        ids: set[uuid.UUID] = set()
        for part in payload.split(","):
            try:
                ids.add(uuid.UUID(part))
            except ValueError:
                continue
        if ids:
            self._publish(frozenset(ids))

    def on_pending(self, payload: str | None) -> None:
        """`syncplane_runs_pending`: a run was queued somewhere (the payload is its group)."""
        self._publish(None)

    def _publish(self, change: Change) -> None:
        for queue in self._queues:
            if queue.qsize() >= _MAX_BACKLOG:
                continue  # it already holds a rescan (see `drain`) or soon will
            queue.put_nowait(change)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[Change]]:
        queue: asyncio.Queue[Change] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)


def drain(first: Change, queue: asyncio.Queue[Change]) -> Change:
    """`first` merged with everything already queued: one look for a burst of changes."""
    ids: set[uuid.UUID] = set()
    rescan = first is None
    if first is not None:
        ids.update(first)
    while not queue.empty():
        change = queue.get_nowait()
        if change is None:
            rescan = True
        else:
            ids.update(change)
    if rescan or len(ids) >= _MAX_BACKLOG:
        return None
    return frozenset(ids)
