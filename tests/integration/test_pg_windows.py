"""executionMode fan_out_window: one entity's key range loaded as parallel windows,
each checkpointed on its own, against real PostgreSQL source and destination."""

from __future__ import annotations

import pytest

from syncplane.executor.connectors import postgres
from syncplane.executor.context import Cancelled, RunFailed
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    ORDER_COLUMNS,
    ORDERS_DDL,
    RecordingReporter,
    close_pools,
    entity,
    execute,
    fetch,
    make_ctx,
    rows_as_text,
    seed_orders,
)

ORDERS = entity("orders", pk=["id"], cursor="updated_at")


def windows(parallelism: int = 3, size: object = None) -> dict[str, object]:
    out: dict[str, object] = {"executionMode": "fan_out_window", "maxParallelism": parallelism}
    if size is not None:
        out["windowSize"] = size
    return out


async def window_states(dest: str) -> list[tuple[str, bool, int]]:
    rows = await fetch(
        dest,
        "SELECT entity, (state->>'done')::bool, (state->>'rows')::int FROM _syncplane_cursors"
        " WHERE entity LIKE 'orders@w%' ORDER BY substr(entity, 9)::int",
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def test_windows_of_equal_row_counts_load_exactly_the_source(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 6000)
    ctx = make_ctx(source, dest, [ORDERS], page_size=700, execution=windows(parallelism=3))

    await postgres.run(ctx)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    detail = ctx.detail["windows"]["orders"]
    # 3 workers x 4 windows each, cut at percentiles of 6000 distinct ids.
    assert detail["count"] == 12 and detail["done"] == 12
    assert sum(detail["rowsByWindow"]) == 6000
    assert min(detail["rowsByWindow"]) > 300  # about equal counts, not one window with everything
    states = await window_states(dest)
    assert len(states) == 12 and all(done for _, done, _ in states)
    assert ctx.rows_written == 6000


async def test_window_width_in_key_units(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 5000)
    ctx = make_ctx(source, dest, [ORDERS], page_size=400, execution=windows(parallelism=2, size=1000))

    await postgres.run(ctx)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    # ids 1..5000 cut every 1000 from 1: (.., 1001], (1001, 2001], ..., (4001, ..).
    assert ctx.detail["windows"]["orders"]["rowsByWindow"] == [1001, 1000, 1000, 1000, 999]


async def test_a_resume_redoes_only_unfinished_windows(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 8000)
    first = make_ctx(
        source, dest, [ORDERS], page_size=500, execution=windows(parallelism=2, size=2000),
        reporter=RecordingReporter(cancel_after_checkpoints=5),
    )
    with pytest.raises(Cancelled):
        await postgres.run(first)
    loaded_first = (await fetch(dest, "SELECT count(*) FROM orders"))[0][0]
    assert 0 < loaded_first < 8000
    before = await window_states(dest)
    assert len(before) >= 2 and not all(done for _, done, _ in before)

    second = make_ctx(
        source, dest, [ORDERS], page_size=500, execution=windows(parallelism=2, size=2000),
        root_run_id=first.root_run_id, token=2, attempt=2,
    )
    await postgres.run(second)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    # Every committed row of the first attempt was kept, not read again.
    assert second.rows_read == 8000 - loaded_first
    assert second.detail["windows"]["orders"]["count"] == 4


@pytest.mark.parametrize("mode", ["append_event", "replace"])
async def test_resumed_windows_neither_lose_nor_double_rows(fresh_dsn: str, second_dsn: str, mode: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 4000)
    plan = [entity("orders", pk=["id"], cursor="updated_at", mode=mode)]
    if mode == "replace":
        # What replace must not lose while the new copy loads: the old table.
        await execute(dest, "CREATE TABLE orders AS SELECT 1::bigint AS id")
    first = make_ctx(
        source, dest, plan, page_size=300, execution=windows(parallelism=3),
        reporter=RecordingReporter(cancel_after_checkpoints=4),
    )
    with pytest.raises(Cancelled):
        await postgres.run(first)
    if mode == "replace":
        assert (await fetch(dest, "SELECT count(*) FROM orders"))[0][0] == 1
    second = make_ctx(
        source, dest, plan, page_size=300, execution=windows(parallelism=3),
        root_run_id=first.root_run_id, token=2, attempt=2,
    )
    await postgres.run(second)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    ids = await fetch(dest, "SELECT count(*), count(DISTINCT id) FROM orders")
    assert tuple(ids[0]) == (4000, 4000)


async def test_incremental_windows_on_a_time_cursor_take_only_changes(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 3000)
    full = make_ctx(source, dest, [ORDERS], page_size=500, execution=windows(parallelism=2))
    await postgres.run(full)

    # Changes after the mark: 200 updated rows and 300 new ones, all with later timestamps.
    await execute(
        source, "UPDATE orders SET customer = 'changed', updated_at = updated_at + interval '1 day' WHERE id <= 200"
    )
    await seed_orders(source, 300, start=3001)
    await execute(source, "UPDATE orders SET updated_at = updated_at + interval '1 day' WHERE id > 3000")
    incremental = make_ctx(
        source, dest, [ORDERS], run_mode="incremental", page_size=100,
        execution=windows(parallelism=2, size="6 hours"),
    )
    await postgres.run(incremental)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    # The closed boundary re-reads the mark's row; nothing older.
    assert 500 <= incremental.rows_read <= 501
    # The windows were cut on the cursor, from the mark on.
    assert incremental.detail["windows"]["orders"]["count"] >= 2


async def test_window_width_needs_a_numeric_or_time_key(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE TABLE tags (name text PRIMARY KEY, n int)")
    await execute(source, "INSERT INTO tags SELECT 'tag ' || g, g FROM generate_series(1, 50) g")
    ctx = make_ctx(source, dest, [entity("tags", pk=["name"])], execution=windows(size=10))
    with pytest.raises(RunFailed) as failed:
        await postgres.run(ctx)
    assert failed.value.reason_code == "config_error"
    assert "numeric or date/time key" in str(failed.value)

    # Without a width, text keys are cut at percentiles.
    ctx = make_ctx(source, dest, [entity("tags", pk=["name"])], page_size=7, execution=windows(parallelism=2))
    await postgres.run(ctx)
    assert (await fetch(dest, "SELECT count(*) FROM tags"))[0][0] == 50
    assert ctx.detail["windows"]["tags"]["count"] == 8


async def test_an_entity_without_a_key_is_loaded_in_one_pass(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE TABLE events (payload text)")
    await execute(source, "INSERT INTO events SELECT 'e' || g FROM generate_series(1, 30) g")
    ctx = make_ctx(source, dest, [entity("events", mode="append_event")], execution=windows())
    await postgres.run(ctx)
    assert (await fetch(dest, "SELECT count(*) FROM events"))[0][0] == 30
    assert "windows" not in ctx.detail
    assert "no primary key or cursor" in ctx.message


ITEMS_DDL = "CREATE TABLE items (id integer PRIMARY KEY, name text)"
ITEMS = entity("items", pk=["id"])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 10, 1000])
async def test_integer_windows_of_any_width_neither_overlap_nor_leave_gaps(
    fresh_dsn: str, second_dsn: str, size: int
) -> None:
    # ids 1..40 with holes; 7 does not divide the range, 1000 is wider than it.
    source, dest = second_dsn, fresh_dsn
    await execute(source, ITEMS_DDL)
    await execute(
        source, "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 40) AS i WHERE i % 5 <> 3"
    )
    for attempt in (1, 2):  # the second run upserts over the first run's rows
        ctx = make_ctx(source, dest, [ITEMS], page_size=2, execution=windows(parallelism=3, size=size))
        await postgres.run(ctx)
        assert ctx.rows_written == 32, attempt

    assert await rows_as_text(dest, "items", ["id", "name"]) == await rows_as_text(source, "items", ["id", "name"])
    detail = ctx.detail["windows"]["items"]
    assert sum(detail["rowsByWindow"]) == 32
    assert detail["count"] == max(1, min(-(-39 // size), 40))
