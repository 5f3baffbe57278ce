"""Replace loads: the target is swapped only when the whole source was read."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.connectors import postgres
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    RecordingReporter,
    close_pools,
    entity,
    execute,
    fetch,
    make_ctx,
    rows_as_text,
)

# Fails on row 1500 while the table fail_switch has a row: a source that breaks midway.
QUERY = (
    "SELECT id, v, 1 / (CASE WHEN id = 1500 AND EXISTS (SELECT 1 FROM fail_switch) THEN 0 ELSE 1 END) AS ok"
    " FROM items"
)
ITEMS = entity("items", pk=["id"], mode="replace")


async def _source(dsn: str) -> None:
    await execute(dsn, "CREATE TABLE items (id int PRIMARY KEY, v text); CREATE TABLE fail_switch (x int)")
    await execute(dsn, "INSERT INTO items SELECT g, 'v1-' || g FROM generate_series(1, 2000) g")


def _ctx(source: str, dest: str, **kwargs: Any) -> RunContext:
    return make_ctx(source, dest, [ITEMS], page_size=400, source_config={"queries": {"items": QUERY}}, **kwargs)


async def _tables(dsn: str) -> list[str]:
    rows = await fetch(dsn, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [r[0] for r in rows]


async def test_replace_swaps_in_exactly_the_source_rows(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await _source(source)
    await execute(dest, "CREATE TABLE items (id int, v text, stale bool); INSERT INTO items VALUES (99999, 'old', true)")

    await postgres.run(_ctx(source, dest))

    assert await rows_as_text(dest, "items", ["id", "v"]) == await rows_as_text(source, "items", ["id", "v"])
    assert await _tables(dest) == ["_syncplane_cursors", "_syncplane_fences", "items"]
    pk = await fetch(dest, "SELECT conname::text FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'p'")
    assert [r[0] for r in pk] == ["items_pkey"]


async def test_replace_keeps_the_old_target_when_the_source_fails_midway(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await _source(source)
    await postgres.run(_ctx(source, dest))
    old = await rows_as_text(dest, "items", ["id", "v"])
    await execute(source, "UPDATE items SET v = 'v2-' || id; INSERT INTO fail_switch VALUES (1)")

    reporter = RecordingReporter()
    with pytest.raises(RunFailed) as failure:
        await postgres.run(_ctx(source, dest, reporter=reporter))

    assert failure.value.reason_code == "source_error"
    assert "division by zero" in str(failure.value)
    assert len(reporter.checkpoints) == 3  # rows 1-1200 committed to the replace table, not the target
    assert await rows_as_text(dest, "items", ["id", "v"]) == old

    await execute(source, "DELETE FROM fail_switch")
    await postgres.run(_ctx(source, dest))
    assert await rows_as_text(dest, "items", ["id", "v"]) == await rows_as_text(source, "items", ["id", "v"])


async def test_replace_resumes_into_its_replace_table(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await _source(source)
    first = _ctx(source, dest, reporter=RecordingReporter(cancel_after_checkpoints=2))
    with pytest.raises(Cancelled):
        await postgres.run(first)
    assert await _tables(dest) == ["_syncplane_cursors", "_syncplane_fences", "items_sp_replace_" + first.root_run_id.replace("-", "")[:12]]

    second = _ctx(source, dest, root_run_id=first.root_run_id, token=2)
    await postgres.run(second)

    assert second.rows_read == 1200
    assert await rows_as_text(dest, "items", ["id", "v"]) == await rows_as_text(source, "items", ["id", "v"])
