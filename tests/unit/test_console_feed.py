"""The console's run feed (server/engine/run_feed.py) and list cursors (dialects/console/convert.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from syncplane.server.dialects.console.convert import decode_cursor, encode_cursor
from syncplane.server.engine.run_feed import RunFeed, drain


def test_a_change_names_its_runs_and_a_new_run_or_reconnect_asks_for_a_rescan() -> None:
    feed = RunFeed()
    a, b = uuid.uuid4(), uuid.uuid4()
    with feed.subscribe() as queue:
        feed.on_changed(f"{a},not-a-uuid,{b}")
        feed.on_changed("garbage")  # nothing to say: nothing queued
        feed.on_pending("default")
        feed.on_changed(None)
        assert queue.get_nowait() == frozenset({a, b})
        assert queue.get_nowait() is None
        assert queue.get_nowait() is None
        assert queue.empty()
    feed.on_changed(str(a))  # unsubscribed: nobody to tell, nothing kept
    assert not feed._queues


def test_drain_merges_a_burst_and_a_rescan_wins() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    queue: asyncio.Queue[frozenset[uuid.UUID] | None] = asyncio.Queue()
    queue.put_nowait(frozenset({b}))
    queue.put_nowait(frozenset({c}))
    assert drain(frozenset({a}), queue) == frozenset({a, b, c})
    assert queue.empty()
    queue.put_nowait(None)
    assert drain(frozenset({a}), queue) is None


def test_a_slow_subscriber_stops_queueing_instead_of_growing() -> None:
    feed = RunFeed()
    with feed.subscribe() as queue:
        for _ in range(1000):
            feed.on_changed(str(uuid.uuid4()))
        assert queue.qsize() == 256
        first = queue.get_nowait()
        assert drain(first, queue) is None  # too many to name: look again at everything recent


def test_cursor_round_trip_and_foreign_cursors() -> None:
    row = {"created_at": datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC), "id": uuid.uuid4()}
    assert decode_cursor(encode_cursor(row)) == (row["created_at"], row["id"])  # type: ignore[arg-type]
    for foreign in ("", "not-a-cursor", "MjAyNi0xMi0wMg", "bm8tcGlwZQ"):
        assert decode_cursor(foreign) is None
