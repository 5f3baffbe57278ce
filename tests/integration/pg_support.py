"""Helpers for the postgres connector tests: a recording reporter, plans, and row reads.

No mocks: the reporter is a small real implementation of the Reporter protocol
that keeps what the connector reported in lists.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from syncplane.executor import pools
from syncplane.executor.context import RunContext


@dataclass
class RecordingReporter:
    """Records progress and checkpoints; can request a cancel after some checkpoints."""

    cancel_after_checkpoints: int | None = None
    progress: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def report_progress(self, ctx: RunContext) -> None:
        self.progress.append({"phase": ctx.phase, "rowsRead": ctx.rows_read, "rowsWritten": ctx.rows_written})

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints.append(state)
        if self.cancel_after_checkpoints is not None and len(self.checkpoints) >= self.cancel_after_checkpoints:
            ctx.cancel_reason = "test cancel"
            ctx.cancel_event.set()


def entity(
    key: str,
    *,
    table: str | None = None,
    pk: list[str] | None = None,
    cursor: str | None = None,
    mode: str = "upsert",
) -> dict[str, Any]:
    return {
        "entityKey": key,
        "binding": {
            "tableName": table or key.rpartition(".")[2],
            "primaryKeyColumns": pk if pk is not None else [],
            "cursorField": cursor,
            "loadMode": mode,
        },
    }


def make_ctx(
    source_dsn: str,
    dest_dsn: str,
    entities: list[dict[str, Any]],
    *,
    sync_id: str = "11111111-1111-1111-1111-111111111111",
    run_mode: str = "full",
    page_size: int = 1000,
    root_run_id: str | None = None,
    token: int = 1,
    attempt: int = 1,
    reporter: RecordingReporter | None = None,
    source_config: dict[str, Any] | None = None,
    source_secrets: dict[str, Any] | None = None,
    dest_schema: str = "public",
    execution: dict[str, Any] | None = None,
) -> RunContext:
    run_id = str(uuid.uuid4())
    config = {"dsn": source_dsn, "schema": "public"}
    config.update(source_config or {})
    return RunContext(
        run_id=run_id,
        root_run_id=root_run_id or run_id,
        token=token,
        attempt_number=attempt,
        kind="sync",
        spec={
            "syncId": sync_id,
            "runMode": run_mode,
            "pageSize": page_size,
            "source": {"provider": "postgres", "config": config},
            "entities": entities,
            "destination": {"schema": dest_schema},
            # executionMode, maxParallelism, windowSize as plans.build_run sends them.
            **(execution or {}),
        },
        secrets={"source": source_secrets or {}, "destinationDsn": dest_dsn},
        checkpoint={},
        reporter=reporter or RecordingReporter(),
    )


async def execute(dsn: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def rows_as_text(dsn: str, table: str, columns: list[str], order_by: str = "id") -> list[tuple[str | None, ...]]:
    """Every row of `table` as text values of `columns`, for exact comparison across databases."""
    select = ", ".join(f'"{c}"::text' for c in columns)
    return [tuple(r) for r in await fetch(dsn, f"SELECT {select} FROM {table} ORDER BY {order_by}")]


async def column_types(dsn: str, table: str) -> dict[str, str]:
    rows = await fetch(
        dsn,
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        table,
    )
    return {r[0]: r[1] for r in rows}


ORDERS_DDL = """
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  updated_at timestamptz NOT NULL,
  customer text,
  total numeric(12,2),
  qty int,
  paid bool
)
"""

ORDER_COLUMNS = ["id", "updated_at", "customer", "total", "qty", "paid"]


async def seed_orders(dsn: str, n: int, *, start: int = 1) -> None:
    """`n` orders with ids from `start`; updated_at increases with id (one second apart)."""
    await execute(
        dsn,
        "INSERT INTO orders SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',"
        " 'customer ' || g, (g % 1000) / 10.0, g % 7, g % 2 = 0 FROM generate_series($1::int, $2::int) g",
        start,
        start + n - 1,
    )


@pytest.fixture(autouse=True)
async def close_pools() -> AsyncIterator[None]:
    """Closes the executor's pools after each test: every test has its own databases."""
    yield
    await pools.close_all()
