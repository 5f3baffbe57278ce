"""Acceptance fixtures: a real server and executors over a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.acceptance.harness import Stack

# Short leases keep crash tests quick; a real deployment keeps the defaults.
FAST_ENGINE = {
    "SYNCPLANE_LEASE_SECONDS": "2",
    "SYNCPLANE_HEARTBEAT_SECONDS": "0.5",
    "SYNCPLANE_SWEEP_SECONDS": "0.5",
    "SYNCPLANE_CANCEL_TIMEOUT_SECONDS": "5",
}


async def _stack(dsn: str, tmp_path: Path, request: pytest.FixtureRequest, executors: int) -> AsyncIterator[Stack]:
    s = Stack(database_url=dsn, log_dir=tmp_path / "logs", env=dict(FAST_ENGINE))
    try:
        yield await s.start(executors=executors, slots=2)
    finally:
        await s.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            for proc in [s.server, *s.executors]:
                if proc is not None:
                    print(f"----- {proc.name} log (tail) -----\n{proc.log()[-3000:]}")


@pytest.fixture
async def stack(fresh_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """A server with two executors of two slots each."""
    async for s in _stack(fresh_dsn, tmp_path, request, executors=2):
        yield s


@pytest.fixture
async def api_stack(fresh_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """A server with no executors: for API behaviour that runs nothing."""
    async for s in _stack(fresh_dsn, tmp_path, request, executors=0):
        yield s


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:  # type: ignore[type-arg]
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    return rep


async def make_source(dsn: str, rows: int, table: str = "orders") -> None:
    """A source table with a primary key, a cursor column and assorted types."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            f"""
            CREATE TABLE {table} (
                id bigint PRIMARY KEY, customer text NOT NULL, total numeric(12, 2),
                paid boolean, tags text[], meta jsonb,
                updated_at timestamptz NOT NULL DEFAULT '2026-01-01T00:00:00Z');
            INSERT INTO {table} (id, customer, total, paid, tags, meta, updated_at)
            SELECT g, 'customer-' || g, (g % 1000) / 7.0, g % 2 = 0, ARRAY['t' || g % 5],
                   jsonb_build_object('n', g), '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 second'
            FROM generate_series(1, {rows}) g;
            """
        )
    finally:
        await conn.close()


async def table_rows(dsn: str, query: str) -> list[tuple[object, ...]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


SOURCE_COLUMNS = "id, customer, total, paid, tags, meta, updated_at"
