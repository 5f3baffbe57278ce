"""JSON records become typed columns; a value that no longer fits widens its column,
never truncating anything, and the widening is logged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncplane.executor.connectors import http_api
from syncplane.executor.context import RunFailed
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    api,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import close_pools, column_types, execute, fetch  # noqa: F401

ROWS = {"path": "/rows", "recordPath": "rows"}


async def _load(api: FakeApi, dsn: str, records: list[dict[str, Any]], *, mode: str = "upsert", **kwargs: Any) -> Any:
    api.events = records
    ctx = make_ctx(api, dsn, [http_entity("items", mode=mode)], {"items": ROWS}, **kwargs)
    await http_api.run(ctx)
    return ctx


async def test_columns_get_types_from_the_json_values(fresh_dsn: str, api: FakeApi) -> None:
    await http_api.run(make_ctx(api, fresh_dsn, [http_entity("customers")], {"customers": PAGE_CUSTOMERS}))

    types = await column_types(fresh_dsn, "customers")
    assert {k: v for k, v in types.items() if not k.startswith("_syncplane_")} == {
        "id": "bigint",
        "name": "text",
        "updated_at": "text",
        "score": "double precision",
        "vip": "boolean",
        "address": "jsonb",
        "tags": "jsonb",
    }
    [row] = await fetch(fresh_dsn, "SELECT address->>'city', tags->>0, vip, score FROM customers WHERE id = 6")
    assert tuple(row) == ("city 6", "t0", True, 1.5)


async def test_a_string_in_an_integer_column_widens_it_to_text_and_logs_it(fresh_dsn: str, api: FakeApi) -> None:
    records = [{"id": 1, "code": 42}, {"id": 2, "code": 7}, {"id": 3, "code": "A-7"}]
    with capture_logs() as logs:
        await _load(api, fresh_dsn, records, page_size=2)  # the string arrives in the second batch

    assert (await column_types(fresh_dsn, "items"))["code"] == "text"
    assert [tuple(r) for r in await fetch(fresh_dsn, "SELECT id, code FROM items ORDER BY id")] == [
        (1, "42"),
        (2, "7"),
        (3, "A-7"),
    ]
    [widened] = [e for e in logs if e["event"] == "http.column_widened"]
    assert (widened["column"], widened["from_type"], widened["to_type"]) == ("code", "bigint", "text")


async def test_integers_and_fractions_widen_to_numeric_exactly(fresh_dsn: str, api: FakeApi) -> None:
    big = 2**62 + 1  # not exact in a double
    await _load(api, fresh_dsn, [{"id": 1, "amount": big}])
    await _load(api, fresh_dsn, [{"id": 2, "amount": 0.1}, {"id": 3, "amount": 2**70}])

    assert (await column_types(fresh_dsn, "items"))["amount"] == "numeric"
    amounts = [r[0] for r in await fetch(fresh_dsn, "SELECT amount FROM items ORDER BY id")]
    assert amounts == [Decimal(big), Decimal("0.1"), Decimal(2**70)]


async def test_an_object_in_a_text_column_widens_it_to_jsonb(fresh_dsn: str, api: FakeApi) -> None:
    await _load(api, fresh_dsn, [{"id": 1, "meta": "plain"}])
    await _load(api, fresh_dsn, [{"id": 2, "meta": {"nested": [1, 2]}}])

    assert (await column_types(fresh_dsn, "items"))["meta"] == "jsonb"
    metas = [r[0] for r in await fetch(fresh_dsn, "SELECT meta::text FROM items ORDER BY id")]
    assert metas == ['"plain"', '{"nested": [1, 2]}']


async def test_new_keys_become_columns_and_missing_keys_become_null(fresh_dsn: str, api: FakeApi) -> None:
    await _load(api, fresh_dsn, [{"id": 1, "a": "x", "b": True}])
    await _load(api, fresh_dsn, [{"id": 1, "a": "y", "c": 3.5}])

    [row] = await fetch(fresh_dsn, "SELECT a, b, c FROM items")
    assert tuple(row) == ("y", None, 3.5)  # the record is the new truth: b is gone


async def test_a_key_that_only_ever_had_nulls_becomes_a_text_column(fresh_dsn: str, api: FakeApi) -> None:
    await _load(api, fresh_dsn, [{"id": 1, "deleted_at": None}, {"id": 2, "deleted_at": None}])

    assert (await column_types(fresh_dsn, "items"))["deleted_at"] == "text"


async def test_replace_swaps_in_exactly_the_records_of_this_run(fresh_dsn: str, api: FakeApi) -> None:
    await _load(api, fresh_dsn, [{"id": i, "v": i} for i in range(1, 6)], mode="replace")
    # Upstream deleted 1-3 and repeated 5 on two pages: the target holds what the API has now.
    await _load(api, fresh_dsn, [{"id": 4, "v": 40}, {"id": 5, "v": 5}, {"id": 5, "v": 50}], mode="replace", page_size=1)

    assert [tuple(r) for r in await fetch(fresh_dsn, "SELECT id, v FROM items ORDER BY id")] == [(4, 40), (5, 50)]
    [pk] = await fetch(
        fresh_dsn, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'p'"
    )
    assert pk[0] == "PRIMARY KEY (id)"


async def test_a_column_of_a_type_the_connector_does_not_manage_is_not_guessed(fresh_dsn: str, api: FakeApi) -> None:
    await execute(fresh_dsn, "CREATE TABLE items (id bigint PRIMARY KEY, seen_at timestamptz, note text)")
    await execute(fresh_dsn, "INSERT INTO items VALUES (1, now(), 'mine')")
    await _load(api, fresh_dsn, [{"id": 1, "note": "theirs"}])  # no seen_at: left alone
    assert (await fetch(fresh_dsn, "SELECT seen_at IS NOT NULL, note FROM items"))[0][:] == (True, "theirs")

    with pytest.raises(RunFailed) as failure:
        await _load(api, fresh_dsn, [{"id": 1, "seen_at": "2024-01-01T00:00:00Z"}])
    assert failure.value.reason_code == "schema_error"
    assert "seen_at" in str(failure.value)


async def test_a_record_without_its_key_fails_the_run(fresh_dsn: str, api: FakeApi) -> None:
    with pytest.raises(RunFailed) as failure:
        await _load(api, fresh_dsn, [{"id": 1}, {"name": "no id"}])
    assert failure.value.reason_code == "source_error"
    assert await fetch(fresh_dsn, "SELECT to_regclass('items') IS NULL") == [(True,)]


async def test_widening_applies_to_rows_copied_straight_into_the_target(fresh_dsn: str, api: FakeApi) -> None:
    # append_event COPYs straight into the target: the COPY must follow the new type.
    records = [{"id": 1, "v": 1}, {"id": 2, "v": [1, "x"]}, {"id": 3, "v": "three"}]
    await _load(api, fresh_dsn, records, mode="append_event", page_size=1)

    assert (await column_types(fresh_dsn, "items"))["v"] == "jsonb"
    values = [r[0] for r in await fetch(fresh_dsn, "SELECT v::text FROM items ORDER BY id")]
    assert values == ["1", '[1, "x"]', '"three"']


async def test_a_key_repeated_on_a_later_page_is_upserted_not_duplicated(fresh_dsn: str, api: FakeApi) -> None:
    records = [{"id": 1, "v": "first"}, {"id": 2, "v": "two"}, {"id": 1, "v": "again"}, {"id": 3, "v": "three"}]
    ctx = await _load(api, fresh_dsn, records, page_size=2)  # id 1 comes back in the second batch

    rows = [tuple(r) for r in await fetch(fresh_dsn, "SELECT id, v FROM items ORDER BY id")]
    assert rows == [(1, "again"), (2, "two"), (3, "three")]
    assert ctx.rows_written == 4  # 2 inserted, then 1 updated + 1 inserted
