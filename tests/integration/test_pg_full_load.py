"""Full loads by the postgres connector: exact rows, batches, checkpoints, load modes, types."""

from __future__ import annotations

import pytest

from syncplane.executor.connectors import postgres
from syncplane.executor.context import RunFailed
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    ORDER_COLUMNS,
    ORDERS_DDL,
    RecordingReporter,
    close_pools,
    column_types,
    entity,
    execute,
    fetch,
    make_ctx,
    rows_as_text,
    seed_orders,
)


async def test_full_upsert_copies_exact_rows_in_several_batches(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 2500)
    reporter = RecordingReporter()
    ctx = make_ctx(source, dest, [entity("orders", pk=["id"])], page_size=1000, reporter=reporter)

    await postgres.run(ctx)

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)
    # Three committed batches of up to 1000 rows, then the entity's final checkpoint.
    assert [c["rowsCommitted"] for c in reporter.checkpoints] == [1000, 2000, 2500, 2500]
    assert [c["lastKey"] for c in reporter.checkpoints[:3]] == [["1000"], ["2000"], ["2500"]]
    assert reporter.checkpoints[-1]["done"] is True
    assert ctx.rows_read == 2500 and ctx.rows_written == 2500
    assert ctx.entities["orders"].phase == "done"
    assert reporter.progress[-1]["phase"] == "done"


async def test_upsert_target_gets_primary_key_and_sync_metadata(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 10)
    ctx = make_ctx(source, dest, [entity("orders", pk=[])])  # empty key: the source's primary key

    await postgres.run(ctx)

    types = await column_types(dest, "orders")
    assert types["total"] == "numeric(12,2)"
    assert types["_syncplane_run_id"] == "uuid"
    assert types["_syncplane_synced_at"] == "timestamp with time zone"
    pk = await fetch(
        dest,
        "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = 'orders'::regclass AND i.indisprimary",
    )
    assert [r[0] for r in pk] == ["id"]
    run_ids = await fetch(dest, "SELECT DISTINCT _syncplane_run_id::text FROM orders")
    assert [r[0] for r in run_ids] == [ctx.root_run_id]


async def test_second_full_upsert_updates_changed_rows_in_place(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 300)
    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])], page_size=100))
    await execute(source, "UPDATE orders SET customer = 'changed' WHERE id % 50 = 0")
    await seed_orders(source, 20, start=301)

    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])], page_size=100))

    assert await rows_as_text(dest, "orders", ORDER_COLUMNS) == await rows_as_text(source, "orders", ORDER_COLUMNS)


async def test_append_event_adds_rows_with_ingestion_metadata(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 250)
    ctx = make_ctx(source, dest, [entity("orders", table="order_events", mode="append_event")], page_size=100, attempt=3)

    await postgres.run(ctx)

    types = await column_types(dest, "order_events")
    assert types["_syncplane_run_id"] == "uuid"
    assert types["_syncplane_attempt"] == "integer"
    assert types["_syncplane_ingested_at"] == "timestamp with time zone"
    meta = await fetch(
        dest,
        "SELECT _syncplane_run_id::text, _syncplane_attempt, count(*), bool_and(_syncplane_ingested_at IS NOT NULL)"
        " FROM order_events GROUP BY 1, 2",
    )
    assert [tuple(r) for r in meta] == [(ctx.root_run_id, 3, 250, True)]
    assert await rows_as_text(dest, "order_events", ORDER_COLUMNS) == await rows_as_text(
        source, "orders", ORDER_COLUMNS
    )


async def test_query_entity_loads_the_query_result(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE SCHEMA sales")
    await execute(source, ORDERS_DDL.replace("orders", "sales.orders"))
    await execute(
        source,
        "INSERT INTO sales.orders SELECT g, now(), 'c' || g, g, g, true FROM generate_series(1, 500) g",
    )
    ctx = make_ctx(
        source,
        dest,
        [entity("big_orders", pk=["id"])],
        page_size=64,
        source_config={"queries": {"big_orders": "SELECT id, customer, total FROM sales.orders WHERE total > 100;"}},
    )

    await postgres.run(ctx)

    got = await fetch(dest, "SELECT id, customer, total::int FROM big_orders ORDER BY id")
    assert [tuple(r) for r in got] == [(i, f"c{i}", i) for i in range(101, 501)]
    assert ctx.rows_written == 400


async def test_table_mapping_reads_another_schema(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE SCHEMA sales")
    await execute(source, ORDERS_DDL.replace("orders", "sales.orders"))
    await execute(source, "INSERT INTO sales.orders SELECT g, now(), 'c', 1, 1, true FROM generate_series(1, 30) g")
    ctx = make_ctx(
        source,
        dest,
        [entity("orders", pk=["id"])],
        source_config={"tables": {"orders": "sales.orders"}},
        dest_schema="warehouse",
    )

    await postgres.run(ctx)

    assert (await fetch(dest, "SELECT count(*) FROM warehouse.orders"))[0][0] == 30
    assert (await fetch(dest, "SELECT count(*) FROM warehouse._syncplane_fences"))[0][0] == 1


async def test_new_source_column_is_added_to_the_target(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 50)
    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])]))
    await execute(source, "ALTER TABLE orders ADD COLUMN note varchar(40); UPDATE orders SET note = 'n' || id")

    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])]))

    assert (await column_types(dest, "orders"))["note"] == "character varying(40)"
    cols = ORDER_COLUMNS + ["note"]
    assert await rows_as_text(dest, "orders", cols) == await rows_as_text(source, "orders", cols)


async def test_incompatible_type_change_fails_with_schema_error_and_keeps_rows(
    fresh_dsn: str, second_dsn: str
) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 50)
    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])]))
    await execute(source, "ALTER TABLE orders ALTER COLUMN qty TYPE text USING 'q' || qty")

    with pytest.raises(RunFailed) as failure:
        await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])]))

    assert failure.value.reason_code == "schema_error"
    assert "qty" in str(failure.value) and "text" in str(failure.value)
    assert (await fetch(dest, "SELECT count(*) FROM orders"))[0][0] == 50


async def test_widened_source_type_loads_into_existing_target(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 20)
    await execute(dest, "CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz, customer text,"
                  " total numeric, qty bigint, paid bool)")

    await postgres.run(make_ctx(source, dest, [entity("orders", pk=["id"])]))

    assert await rows_as_text(dest, "orders", ["id", "qty"]) == await rows_as_text(source, "orders", ["id", "qty"])


async def test_many_types_round_trip_exactly(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(
        source,
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
        CREATE TABLE typed (
          id int PRIMARY KEY, big bigint, small smallint, num numeric, money_like numeric(14,4),
          f4 real, f8 double precision, t text, vc varchar(10), ch char(3), b bool,
          ts timestamp, tstz timestamptz, d date, tm time, iv interval,
          js json, jb jsonb, u uuid, by bytea, ints int[], texts text[], jbs jsonb[],
          ip inet, rng int4range, m mood, moods mood[], pos positive_int
        );
        INSERT INTO typed VALUES
          (1, 9223372036854775807, -32768, 123456789.123456789, 12.3456, 1.5, 2.25e300, 'plain', 'short', 'ab',
           true, '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+05:30', '2024-02-29', '23:59:59', '1 day 2 hours',
           '{"a": [1, 2]}', '{"b": {"c": null}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10',
           '{1,2,NULL}', '{"x","y z",NULL}', ARRAY['{"k":1}'::jsonb], '10.1.2.3/24', '[1,10)', 'happy',
           '{sad,ok}', 7),
          (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          (3, -1, 0, 'NaN', 0, '-Infinity', 'NaN', E'quote '' backslash \\\\ tab\t', '', '   ', false,
           'infinity', '-infinity', '0001-01-01', '00:00', '-1 mon', '[]', '"s"', '00000000-0000-0000-0000-000000000000',
           '\\x', '{}', '{""}', '{}', '::1', 'empty', 'sad', '{}', 1);
        """,
    )
    columns = [r[0] for r in await fetch(source, "SELECT attname::text FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum")]

    await postgres.run(make_ctx(source, dest, [entity("typed", pk=["id"])], page_size=2))

    assert await rows_as_text(dest, "typed", columns) == await rows_as_text(source, "typed", columns)
    types = await column_types(dest, "typed")
    assert types["m"] == "text" and types["moods"] == "text[]" and types["pos"] == "integer"
    assert types["money_like"] == "numeric(14,4)" and types["vc"] == "character varying(10)"


async def test_composite_text_key_batches_are_exact(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE TABLE pairs (region text, n int, v text, PRIMARY KEY (region, n))")
    await execute(
        source,
        "INSERT INTO pairs SELECT r, n, r || n FROM unnest(ARRAY['a', 'B', E'o''neil\\\\', 'ü', 'a b', '']) r,"
        " generate_series(1, 37) n",
    )
    columns = ["region", "n", "v"]

    for _ in range(2):  # the second run upserts into the existing target
        await postgres.run(make_ctx(source, dest, [entity("pairs")], page_size=10))

    expected = await rows_as_text(source, "pairs", columns, order_by="region, n")
    assert await rows_as_text(dest, "pairs", columns, order_by="region, n") == expected
    assert len(expected) == 6 * 37


async def test_cursor_ordered_source_without_key_keeps_ties_and_nulls(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE TABLE clicks (at int, what text)")
    # Cursor values repeat (ties across batch boundaries) and some are NULL.
    await execute(
        source,
        "INSERT INTO clicks SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE g / 7 END, 'c' || g FROM generate_series(1, 333) g",
    )
    reporter = RecordingReporter()
    ctx = make_ctx(
        source, dest, [entity("clicks", cursor="at", mode="append_event")], page_size=5, reporter=reporter
    )

    await postgres.run(ctx)

    got = await rows_as_text(dest, "clicks", ["at", "what"], order_by="what")
    assert got == await rows_as_text(source, "clicks", ["at", "what"], order_by="what")
    assert len(reporter.checkpoints) > 40  # batched, not one pass


async def test_source_without_key_or_cursor_loads_in_one_pass(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, "CREATE TABLE notes (body text)")
    await execute(source, "INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 250) g")
    reporter = RecordingReporter()
    ctx = make_ctx(source, dest, [entity("notes", mode="replace")], page_size=10, reporter=reporter)

    await postgres.run(ctx)

    assert await rows_as_text(dest, "notes", ["body"], order_by="body") == await rows_as_text(
        source, "notes", ["body"], order_by="body"
    )
    assert len(reporter.checkpoints) == 1  # one batch: no mid-entity resume for such a source
    assert "one pass" in ctx.message
