"""Resume after an interrupted attempt, and fencing of superseded attempts."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from syncplane.executor.connectors import postgres
from syncplane.executor.context import Cancelled, Fenced, RunContext
from syncplane.executor.destinations import state
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


async def test_resumed_attempt_continues_after_the_last_committed_batch(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 2500)
    first = make_ctx(source, dest, [ORDERS], page_size=500, reporter=RecordingReporter(cancel_after_checkpoints=2))

    with pytest.raises(Cancelled):
        await postgres.run(first)
    assert (await fetch(dest, "SELECT count(*) FROM orders"))[0][0] == 1000

    second = make_ctx(source, dest, [ORDERS], page_size=500, root_run_id=first.root_run_id, token=2, attempt=2)
    await postgres.run(second)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    assert second.rows_read == 1500 < 2500
    # The finished chain keeps its progress (so a late resume of it loads
    # nothing twice) until the next chain starts; the cursor stays for that one.
    scopes = await fetch(dest, "SELECT scope FROM _syncplane_cursors ORDER BY scope = 'sync'")
    assert [r[0] for r in scopes] == [first.root_run_id, "sync"]
    late = make_ctx(source, dest, [ORDERS], page_size=500, root_run_id=first.root_run_id, token=3, attempt=3)
    await postgres.run(late)
    assert late.rows_read == 0
    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    following = make_ctx(source, dest, [ORDERS], page_size=500, token=4)
    await postgres.run(following)
    scopes = await fetch(dest, "SELECT scope FROM _syncplane_cursors ORDER BY scope = 'sync'")
    assert [r[0] for r in scopes] == [following.root_run_id, "sync"]


async def test_resume_skips_entities_finished_by_an_earlier_attempt(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 100)
    await execute(source, "CREATE TABLE customers (id int PRIMARY KEY, name text)")
    await execute(source, "INSERT INTO customers SELECT g, 'n' || g FROM generate_series(1, 300) g")
    plan = [ORDERS, entity("customers")]
    # Checkpoints: orders' batch, orders done, customers' first batch -> cancel.
    first = make_ctx(source, dest, plan, page_size=100, reporter=RecordingReporter(cancel_after_checkpoints=3))
    with pytest.raises(Cancelled):
        await postgres.run(first)

    second = make_ctx(source, dest, plan, page_size=100, root_run_id=first.root_run_id, token=2)
    await postgres.run(second)

    assert second.entities["orders"].rows_read == 0
    assert second.entities["customers"].rows_read == 200
    assert (await fetch(dest, "SELECT count(*) FROM customers"))[0][0] == 300


async def test_older_attempt_is_fenced_at_start_and_writes_nothing(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 100)
    newer = make_ctx(source, dest, [ORDERS], token=5)
    await postgres.run(newer)
    await seed_orders(source, 100, start=101)

    older = make_ctx(source, dest, [ORDERS], token=4, root_run_id=newer.root_run_id)
    with pytest.raises(Fenced):
        await postgres.run(older)

    assert (await fetch(dest, "SELECT count(*) FROM orders"))[0][0] == 100
    assert older.rows_written == 0


async def test_running_attempt_stops_writing_once_a_newer_attempt_claims(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 5000)
    first_batch = asyncio.Event()

    class SignallingReporter(RecordingReporter):
        def report_checkpoint(self, ctx: RunContext, state_: dict[str, Any]) -> None:
            super().report_checkpoint(ctx, state_)
            first_batch.set()

    old = make_ctx(source, dest, [ORDERS], token=1, page_size=100, reporter=SignallingReporter())
    running = asyncio.create_task(postgres.run(old))
    await first_batch.wait()
    conn = await asyncpg.connect(dest)
    try:
        # Waits for a batch the old attempt has in flight, then takes over.
        await state.claim_fence(conn, "public", old.spec["syncId"], 2, old.run_id)
        rows_at_claim = await conn.fetchval("SELECT count(*) FROM orders")
    finally:
        await conn.close()

    with pytest.raises(Fenced):
        await running

    assert (await fetch(dest, "SELECT count(*) FROM orders"))[0][0] == rows_at_claim < 5000
    saved = await fetch(dest, "SELECT (state->>'rows')::int FROM _syncplane_cursors WHERE scope = $1", old.root_run_id)
    assert saved[0][0] == rows_at_claim  # the cursor state matches the rows: nothing half-written
