"""Fixtures of the integration tests that work on syncplane's own schema.

`migrated_dsn` is a fresh database with every migration applied; `pool` a pool
on it; `engine` a RunEngine on that pool with the subject kind "test", whose
hooks are the `kind_hooks` fixture (do-nothing hooks unless a module overrides
that fixture with its own).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from syncplane.server.db.migrate import migrate
from syncplane.server.db.pool import create_pool
from syncplane.server.engine.hooks import BaseKindHooks, KindHooks
from syncplane.server.engine.lifecycle import RunEngine


@pytest.fixture
async def migrated_dsn(fresh_dsn: str) -> str:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return fresh_dsn


@pytest.fixture
async def pool(migrated_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(migrated_dsn)
    yield p
    await p.close()


@pytest.fixture
def kind_hooks() -> KindHooks:
    return BaseKindHooks()


@pytest.fixture
async def engine(pool: asyncpg.Pool, kind_hooks: KindHooks) -> AsyncIterator[RunEngine]:
    engine = RunEngine(pool)
    engine.register_kind("test", kind_hooks)
    yield engine
    await engine.close()
