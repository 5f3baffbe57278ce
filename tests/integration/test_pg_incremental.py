"""Incremental runs: only new and changed rows, no loss at the cursor boundary, no duplicate events."""

from __future__ import annotations

from syncplane.executor.connectors import postgres
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    ORDER_COLUMNS,
    ORDERS_DDL,
    close_pools,
    entity,
    execute,
    fetch,
    make_ctx,
    rows_as_text,
    seed_orders,
)

ORDERS = entity("orders", pk=["id"], cursor="updated_at")


async def test_incremental_upsert_reads_only_new_and_changed_rows(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 1000)
    first = make_ctx(source, dest, [ORDERS], run_mode="incremental", page_size=300)
    await postgres.run(first)
    assert first.rows_read == 1000  # no high-water mark yet: a full read

    await seed_orders(source, 40, start=1001)
    await execute(
        source,
        "UPDATE orders SET customer = 'changed', updated_at = timestamptz '2030-01-01 00:00:00+00' + id * interval '1 ms'"
        " WHERE id IN (5, 50, 500)",
    )
    second = make_ctx(source, dest, [ORDERS], run_mode="incremental", page_size=7)
    await postgres.run(second)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    # 40 new, 3 updated, and the boundary row (id 1000, whose cursor was the mark) read again.
    assert second.rows_read == 44


async def test_incremental_upsert_keeps_late_rows_with_the_boundary_cursor(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 100)
    await postgres.run(make_ctx(source, dest, [ORDERS], run_mode="incremental"))
    # A row committed late with exactly the cursor value of the last row already synced.
    await execute(
        source,
        "INSERT INTO orders SELECT 5000, updated_at, 'late', 1, 1, true FROM orders WHERE id = 100",
    )

    await postgres.run(make_ctx(source, dest, [ORDERS], run_mode="incremental"))

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)


async def test_incremental_run_after_full_run_starts_from_its_high_water_mark(
    fresh_dsn: str, second_dsn: str
) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 500)
    await postgres.run(make_ctx(source, dest, [ORDERS], run_mode="full", page_size=100))
    await seed_orders(source, 5, start=501)

    again = make_ctx(source, dest, [ORDERS], run_mode="incremental", page_size=100)
    await postgres.run(again)

    assert again.rows_read == 6  # the boundary row and the 5 new ones
    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)


async def test_incremental_append_event_does_not_duplicate_boundary_rows(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    events = entity("orders", table="order_events", pk=["id"], cursor="updated_at", mode="append_event")
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 300)
    await postgres.run(make_ctx(source, dest, [events], run_mode="incremental", page_size=64))
    # Same cursor as the last synced row, larger key: after the mark, so loaded once.
    await execute(source, "INSERT INTO orders SELECT 9000, updated_at, 'tie', 1, 1, true FROM orders WHERE id = 300")
    await execute(source, "UPDATE orders SET updated_at = '2031-01-01', customer = 'v2' WHERE id = 7")
    await seed_orders(source, 10, start=301)

    second = make_ctx(source, dest, [events], run_mode="incremental", page_size=4)
    await postgres.run(second)
    third = make_ctx(source, dest, [events], run_mode="incremental", page_size=4)
    await postgres.run(third)

    assert second.rows_read == 12 and third.rows_read == 0
    counts = await fetch(dest, "SELECT id, count(*) FROM order_events GROUP BY id HAVING count(*) > 1")
    assert [tuple(r) for r in counts] == [(7, 2)]  # the update is a second event; nothing else twice
    assert (await fetch(dest, "SELECT count(*) FROM order_events"))[0][0] == 300 + 1 + 1 + 10
