"""Fan-out of run changes to server-streaming watchers.

Whichever server persisted a change NOTIFYs `syncplane_run_changed`; every
server wakes its local watchers of those runs, which re-read the row. A slow
poll covers notifications lost while the LISTEN connection was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

from syncplane.server.db.models import Run
from syncplane.server.engine import states

_POLL_SECONDS = 2.0


class WatchHub:
    def __init__(self) -> None:
        self._events: dict[uuid.UUID, set[asyncio.Event]] = {}

    def on_notify(self, payload: str | None) -> None:
        if payload is None:  # reconnected: anything may have changed
            for events in self._events.values():
                for event in events:
                    event.set()
            return
        for part in payload.split(","):
            try:
                run_id = uuid.UUID(part)
            except ValueError:
                continue
            for event in self._events.get(run_id, ()):
                event.set()

    async def watch(
        self, run_id: uuid.UUID, load: Callable[[uuid.UUID], Awaitable[Run]]
    ) -> AsyncIterator[Run]:
        """Yields the run now and after every change, ending after a terminal state."""
        event = asyncio.Event()
        self._events.setdefault(run_id, set()).add(event)
        try:
            last = None
            while True:
                event.clear()
                row = await load(run_id)
                marker = (row.updated_at, row.status, row.next_attempt_run_id)
                if marker != last:
                    last = marker
                    yield row
                if row.status in states.TERMINAL:
                    return
                try:
                    await asyncio.wait_for(event.wait(), timeout=_POLL_SECONDS)
                except TimeoutError:
                    pass
        finally:
            watchers = self._events.get(run_id)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._events[run_id]

    @contextlib.contextmanager
    def subscription(self) -> Iterator[Subscription]:
        """Wakes on changes of the ids it follows, which may change as it goes (a
        run graph and its steps' runs). Follow, then read, then `wait`: a change
        after the read is never missed."""
        sub = Subscription(self._events)
        try:
            yield sub
        finally:
            sub.follow(())

    async def watch_chain(
        self, run_id: uuid.UUID, load: Callable[[uuid.UUID], Awaitable[Run]]
    ) -> AsyncIterator[Run]:
        """Yields a run chain's attempts from `run_id` on, now and after every change.

        When an attempt ends and the engine auto-resumed it, the watch follows
        to the next attempt (its rows carry their own id); it ends when the
        chain does. A later manual retry is a new request, not followed."""
        while True:
            last: Run | None = None
            async for row in self.watch(run_id, load):
                last = row
                yield row
            nxt = await auto_resumed_from(last, load)
            if nxt is None:
                return
            run_id = nxt


async def auto_resumed_from(
    row: Run | None, load: Callable[[uuid.UUID], Awaitable[Run]]
) -> uuid.UUID | None:
    """The attempt that auto-resumed the ended attempt `row`, if the engine started one.

    The link is written in the transaction that ended the attempt, so a
    terminal row read once already says whether its chain goes on."""
    if row is None or row.status != states.FAILED or row.next_attempt_run_id is None:
        return None
    nxt = await load(row.next_attempt_run_id)
    return nxt.id if nxt.triggered_by == "auto_resume" else None



class Subscription:
    """One watcher's wake-up event under a changing set of ids (see `WatchHub.subscription`)."""

    def __init__(self, events: dict[uuid.UUID, set[asyncio.Event]]) -> None:
        self._events = events
        self._event = asyncio.Event()
        self._ids: set[uuid.UUID] = set()

    def follow(self, ids: Iterable[uuid.UUID]) -> None:
        """Follows exactly `ids` from now on, and clears the event (read after this)."""
        wanted = set(ids)
        for key in self._ids - wanted:
            watchers = self._events.get(key)
            if watchers is not None:
                watchers.discard(self._event)
                if not watchers:
                    del self._events[key]
        for key in wanted - self._ids:
            self._events.setdefault(key, set()).add(self._event)
        self._ids = wanted
        self._event.clear()

    async def wait(self, timeout: float = _POLL_SECONDS) -> None:
        """Returns when a followed id changed, or after `timeout` (the slow poll)."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout=timeout)
        except TimeoutError:
            pass
