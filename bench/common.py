"""Shared bench plumbing: an embedded PostgreSQL and a running stack."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from syncplane.server.db.dsn import with_database
from tests.acceptance.harness import Stack


@contextlib.contextmanager
def embedded_postgres(dsn: str | None = None) -> contextlib.Generator[str, None, None]:
    """A PostgreSQL to benchmark on: `dsn` if given, else an embedded one
    (pgserver) in a temporary folder, removed afterwards."""
    if dsn:
        yield dsn
        return
    import pgserver

    data_dir = tempfile.mkdtemp(prefix="syncplane-bench-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


async def create_database(root_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(root_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(root_dsn, name)


@contextlib.asynccontextmanager
async def running_stack(dsn: str, executors: int, slots: int, env: dict[str, str] | None = None) -> AsyncIterator[Stack]:
    log_dir = Path(tempfile.mkdtemp(prefix="syncplane-bench-logs-"))
    stack = Stack(database_url=dsn, log_dir=log_dir, env={"SYNCPLANE_LOG_LEVEL": "WARNING", **(env or {})})
    try:
        yield await stack.start(executors=executors, slots=slots)
    finally:
        await stack.stop()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
