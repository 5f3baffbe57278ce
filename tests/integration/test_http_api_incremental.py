"""Incremental runs send the last committed cursor and load only what changed,
without losing late records at the boundary or duplicating events."""

from __future__ import annotations

import json

from syncplane.executor.connectors import http_api
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    SYNC_ID,
    FakeApi,
    api,
    customer,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import close_pools, fetch  # noqa: F401

CUSTOMERS = http_entity("customers", cursor="updated_at")
EVENTS = http_entity("events", cursor="updated_at", mode="append_event")
EVENTS_CONFIG = {"path": "/rows", "recordPath": "rows", "cursorParam": "updated_since", "primaryKey": ["id"]}


async def _mark(dsn: str, entity: str) -> dict:
    rows = await fetch(
        dsn,
        "SELECT state::text FROM _syncplane_cursors WHERE state_key = $1 AND scope = 'sync' AND entity = $2",
        SYNC_ID,
        entity,
    )
    return json.loads(rows[0][0])


async def _rows(dsn: str) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in await fetch(dsn, "SELECT id, name, updated_at FROM customers ORDER BY id")]


def _expected(api: FakeApi) -> list[tuple[int, str, str]]:
    return sorted((c["id"], c["name"], c["updated_at"]) for c in api.customers)


async def test_incremental_run_sends_the_cursor_and_loads_only_changed_records(fresh_dsn: str, api: FakeApi) -> None:
    first = make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="incremental")
    await http_api.run(first)
    assert first.rows_read == 50  # no mark yet: a full read
    assert all("updated_since" not in s.query for s in api.seen)
    assert (await _mark(fresh_dsn, "customers"))["values"] == ["2024-01-01T00:00:50Z"]

    api.seen.clear()
    for c in api.customers:
        if c["id"] in (5, 17):
            c.update(name=f"renamed {c['id']}", updated_at=f"2024-02-01T00:00:{c['id']:02d}Z")
    api.customers += [customer(51), customer(52)]
    second = make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="incremental")
    await http_api.run(second)

    assert {s.query["updated_since"] for s in api.seen} == {"2024-01-01T00:00:50Z"}  # closed boundary: >=
    # 2 changed, 2 new, and the boundary record (id 50, whose cursor was the mark) read again.
    assert second.rows_read == 5
    assert await _rows(fresh_dsn) == _expected(api)
    assert (await _mark(fresh_dsn, "customers"))["values"] == ["2024-02-01T00:00:17Z"]


async def test_a_late_record_with_the_boundary_cursor_is_not_lost(fresh_dsn: str, api: FakeApi) -> None:
    await http_api.run(make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="incremental"))
    # Committed upstream after our read, with exactly the cursor value of the mark.
    api.customers.append(customer(500, updated_at="2024-01-01T00:00:50Z"))

    await http_api.run(make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="incremental"))

    assert await _rows(fresh_dsn) == _expected(api)


async def test_full_run_leaves_a_mark_an_incremental_run_starts_from(fresh_dsn: str, api: FakeApi) -> None:
    await http_api.run(make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="full"))
    api.seen.clear()
    again = make_ctx(api, fresh_dsn, [CUSTOMERS], {"customers": PAGE_CUSTOMERS}, run_mode="incremental")
    await http_api.run(again)

    assert api.seen[0].query["updated_since"] == "2024-01-01T00:00:50Z"
    assert again.rows_read == 1


async def test_incremental_append_event_neither_duplicates_nor_loses_boundary_events(
    fresh_dsn: str, api: FakeApi
) -> None:
    t1, t2, t3, t4 = (f"2024-03-01T00:00:0{i}Z" for i in range(1, 5))
    api.events = [{"id": i, "updated_at": t, "kind": "click"} for i, t in [(1, t1), (2, t2), (3, t2), (4, t3), (5, t3)]]

    async def run() -> int:
        ctx = make_ctx(api, fresh_dsn, [EVENTS], {"events": EVENTS_CONFIG}, run_mode="incremental")
        await http_api.run(ctx)
        return ctx.rows_written

    assert await run() == 5
    # A late event at the mark's cursor value, and a newer one.
    api.events += [{"id": 6, "updated_at": t3, "kind": "late"}, {"id": 7, "updated_at": t4, "kind": "new"}]
    assert await run() == 2  # 4 and 5 came back (>= t3) and were dropped
    assert api.seen[-1].query["updated_since"] == t3
    assert await run() == 0  # only 7 comes back, and it was loaded

    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM events ORDER BY id")]
    assert ids == [1, 2, 3, 4, 5, 6, 7]
    mark = await _mark(fresh_dsn, "events")
    assert mark["values"] == [t4] and mark["boundaryKeys"] == ["[7]"]
