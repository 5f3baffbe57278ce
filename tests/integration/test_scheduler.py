"""The scheduler on a real PostgreSQL, with the clock controlled through the
schedule rows (a slot is made due by moving next_fire_at into the past)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from syncplane.server.db import schedules as sdb
from syncplane.server.db import syncs as syncs_db
from syncplane.server.db.pool import create_pool
from syncplane.server.db.runs import NewRun
from syncplane.server.dialects.syncs import plans
from syncplane.server.engine.hooks import BaseKindHooks
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.scheduler import Scheduler


class _Kind(BaseKindHooks):
    """A subject kind whose runs need nothing (the engine's view only)."""

    async def scheduled_run(self, conn: asyncpg.Connection, subject_id: Any, slot: datetime) -> NewRun | None:
        return NewRun(subject_kind="test", subject_id=subject_id, connector="noop", spec={},
                      triggered_by="schedule", trigger_ref=slot.isoformat(), concurrency_key=f"test:{subject_id}")

    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {}, {}

    async def on_terminal(self, conn: Any, run: Any) -> None:
        return None


@pytest.fixture
async def pools(migrated_dsn: str) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    a, b = await create_pool(migrated_dsn), await create_pool(migrated_dsn)
    yield a, b
    await a.close()
    await b.close()


def _scheduler(pool: asyncpg.Pool) -> tuple[Scheduler, RunEngine]:
    engine = RunEngine(pool)
    engine.register_kind("test", _Kind())
    scheduler = Scheduler(pool, engine, interval=3600)
    scheduler.register_kind("test", _Kind())
    return scheduler, engine


async def _due(pool: asyncpg.Pool, subject: uuid.UUID, overlap: str = "skip") -> None:
    past = datetime.now(UTC) - timedelta(seconds=5)
    await sdb.upsert_schedule(pool, "test", subject, "0 * * * *", "UTC", overlap, True, past)
    await pool.execute("UPDATE syncplane.schedules SET next_fire_at = $1 WHERE subject_id = $2", past, subject)


async def _runs(pool: asyncpg.Pool, subject: uuid.UUID) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM syncplane.runs WHERE subject_id = $1 ORDER BY created_at", subject)


async def test_two_replicas_fire_each_slot_once(pools) -> None:  # type: ignore[no-untyped-def]
    a, b = pools
    subjects = [uuid.uuid4() for _ in range(20)]
    for s in subjects:
        await _due(a, s)
    (sa, _), (sb, _) = _scheduler(a), _scheduler(b)
    fired = await asyncio.gather(sa.tick(), sb.tick(), sa.tick(), sb.tick())
    assert sum(fired) == 20
    for s in subjects:
        runs = await _runs(a, s)
        assert len(runs) == 1 and runs[0]["triggered_by"] == "schedule"
        row = await sdb.get_schedule(a, "test", s)
        assert row["next_fire_at"] > datetime.now(UTC)  # advanced to the next hour
    assert await sa.tick() == 0  # nothing is due any more


async def test_overlap_skip_skips_while_a_run_is_active(pools) -> None:  # type: ignore[no-untyped-def]
    a, _ = pools
    subject = uuid.uuid4()
    scheduler, _ = _scheduler(a)
    await _due(a, subject)
    assert await scheduler.tick() == 1
    await _due(a, subject)  # the next slot comes while the first run is still pending
    assert await scheduler.tick() == 0
    row = await sdb.get_schedule(a, "test", subject)
    assert row["last_skipped_at"] is not None and row["next_fire_at"] > datetime.now(UTC)
    assert len(await _runs(a, subject)) == 1


async def test_overlap_wait_fires_once_the_active_run_ends(pools) -> None:  # type: ignore[no-untyped-def]
    a, _ = pools
    subject = uuid.uuid4()
    scheduler, _ = _scheduler(a)
    await _due(a, subject, overlap="wait")
    assert await scheduler.tick() == 1
    await _due(a, subject, overlap="wait")
    assert await scheduler.tick() == 0 and await scheduler.tick() == 0  # waits, does not pile up
    assert (await sdb.get_schedule(a, "test", subject))["next_fire_at"] < datetime.now(UTC)
    await a.execute("UPDATE syncplane.runs SET status = 'succeeded' WHERE subject_id = $1", subject)
    assert await scheduler.tick() == 1
    assert len(await _runs(a, subject)) == 2


async def _scheduled_sync(pool: asyncpg.Pool, connection_id: uuid.UUID, name: str, backend: str) -> uuid.UUID:
    values = {
        "name": name, "slug": None, "entities": ["public.orders"], "source_config": {},
        "destination_config": {}, "execution_backend": backend, "execution_config": {},
        "execution_mode": "sequential", "status": "active", "trigger_mode": "scheduled",
        "schedule": {"cron": "0 * * * *"}, "freshness_sla_seconds": None, "table_bindings": [], "credential_id": None,
    }
    sync = await syncs_db.insert_sync(pool, connection_id, "postgres", values, "t")
    async with pool.acquire() as conn:
        await plans.sync_schedule(conn, sync)
    past = datetime.now(UTC) - timedelta(seconds=5)
    await pool.execute("UPDATE syncplane.schedules SET next_fire_at = $1 WHERE subject_id = $2", past, sync.id)
    return sync.id


async def test_a_slot_of_a_sync_whose_backend_is_not_offered_queues_nothing_and_says_why(
    pools: tuple[asyncpg.Pool, asyncpg.Pool], migrated_dsn: str
) -> None:
    pool, _ = pools
    engine = RunEngine(pool)  # no backend registry: `native` alone is offered
    hooks = plans.SyncHooks(migrated_dsn)
    engine.register_kind(plans.KIND, hooks)
    scheduler = Scheduler(pool, engine, interval=3600)
    scheduler.register_kind(plans.KIND, hooks)
    credential = await syncs_db.insert_credential(pool, {})
    connection = await syncs_db.insert_connection(pool, "shop", "postgres", {"dsn": migrated_dsn}, credential, "t")
    on_native = await _scheduled_sync(pool, connection.id, "on native", "native")
    on_temporal = await _scheduled_sync(pool, connection.id, "on temporal", "temporal")

    # Both slots are due in one pass: the native sync's fires, the other's queues nothing.
    assert await scheduler.tick() == 1
    assert [r["execution_backend"] for r in await _runs(pool, on_native)] == ["native"]
    assert await _runs(pool, on_temporal) == []
    sync = await syncs_db.get_sync(pool, on_temporal)
    assert sync is not None and sync.last_error is not None
    assert "executionBackend 'temporal' is not configured on this server; set SYNCPLANE_TEMPORAL_ADDRESS" in sync.last_error
    # The slot passed (not retried every pass): the next one is the next hour's.
    row = await sdb.get_schedule(pool, plans.KIND, on_temporal)
    assert row["next_fire_at"] > datetime.now(UTC) and row["last_fired_at"] is None
    assert await scheduler.tick() == 0
    assert (await syncs_db.get_sync(pool, on_native)).last_error is None  # type: ignore[union-attr]  # it exists
