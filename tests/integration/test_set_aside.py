"""One bad row never stops a background loop: the sweeper, the finisher, the
scheduler and the outbox deliverer set aside a row that raises (a dialect hook,
a delivery that cannot be recorded), log why, go on with the other rows, and
skip that row on later passes. Real PostgreSQL; the bad rows are real hooks
that raise and a real trigger that refuses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
import structlog.testing

from syncplane.server.db import outbox as outbox_db
from syncplane.server.db import schedules as sdb
from syncplane.server.db import syncs as credentials_db
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.dialects.jobs.delivery import Deliverer, DeliverySettings
from syncplane.server.engine.hooks import BaseKindHooks
from syncplane.server.engine.lifecycle import SUCCESS, RunEngine
from syncplane.server.engine.scheduler import Scheduler
from syncplane.server.engine.sweeper import Sweeper
from tests.acceptance.webhook_receiver import WebhookReceiver


class _Hooks(BaseKindHooks):
    """A kind whose hooks raise for the subjects in `bad` (a dialect bug)."""

    def __init__(self) -> None:
        self.bad: set[uuid.UUID] = set()
        self.ended: list[uuid.UUID] = []

    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {}, {}

    async def on_terminal(self, conn: asyncpg.Connection, run: Run) -> None:
        if run.subject_id in self.bad:
            raise LookupError("no such sync in the dialect cache")
        self.ended.append(run.subject_id)

    async def scheduled_run(self, conn: asyncpg.Connection, subject_id: Any, slot: datetime) -> NewRun | None:
        if subject_id in self.bad:
            raise ValueError("schedule names a preset that no longer exists")
        return NewRun(subject_kind="test", subject_id=subject_id, connector="noop", spec={}, triggered_by="schedule")


def _engine(pool: asyncpg.Pool) -> tuple[RunEngine, _Hooks]:
    engine, hooks = RunEngine(pool), _Hooks()
    engine.register_kind("test", hooks)
    return engine, hooks


async def _running(pool: asyncpg.Pool, engine: RunEngine, n: int, *, expired: bool) -> list[asyncpg.Record]:
    """n runs of their own subjects, taken by an executor (their lease run out if `expired`)."""
    rows = []
    for _ in range(n):
        run = await engine.queue(NewRun(subject_kind="test", subject_id=uuid.uuid4(), connector="noop", spec={},
                                        triggered_by="api", max_auto_resume_attempts=0))
        rows.append(await pool.fetchrow(
            "UPDATE syncplane.runs SET status = 'running', started_at = clock_timestamp(),"
            " attempt_token = nextval('syncplane.attempt_tokens'),"
            " lease_expires_at = clock_timestamp() + $2 * interval '1 second'"
            " WHERE id = $1 RETURNING *",
            run.id, -5 if expired else 60,
        ))
    return rows


async def _status(pool: asyncpg.Pool, run_id: uuid.UUID) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT status, result_reason_code, set_aside_at, set_aside_reason FROM syncplane.runs WHERE id = $1", run_id
    )


async def test_the_sweeper_sets_aside_a_run_whose_hook_raises_and_ends_the_others(pool: asyncpg.Pool) -> None:
    engine, hooks = _engine(pool)
    runs = await _running(pool, engine, 4, expired=True)
    bad = runs[1]
    hooks.bad.add(bad["subject_id"])
    sweeper = Sweeper(pool, engine, interval=3600, cancel_timeout=60)

    with structlog.testing.capture_logs() as logs:
        assert await sweeper.sweep_once() == 3

    for run in runs:
        row = await _status(pool, run["id"])
        if run is bad:
            assert row["status"] == "running" and row["set_aside_at"] is not None
            assert row["set_aside_reason"] == "LookupError: no such sync in the dialect cache"
        else:
            assert (row["status"], row["result_reason_code"]) == ("failed", "heartbeat_timeout")
            assert row["set_aside_at"] is None
    assert sorted(hooks.ended) == sorted(r["subject_id"] for r in runs if r is not bad)
    [event] = [e for e in logs if e["event"] == "sweeper.row_set_aside"]
    assert event["run_id"] == str(bad["id"]) and event["log_level"] == "error"
    assert event["error"].startswith("LookupError")
    # Later passes skip it: the hook is not called again, nothing is left to end.
    assert await sweeper.sweep_once() == 0


async def test_the_sweeper_loop_keeps_running_past_a_bad_row(pool: asyncpg.Pool) -> None:
    engine, hooks = _engine(pool)
    first = await _running(pool, engine, 2, expired=True)
    hooks.bad.add(first[0]["subject_id"])
    task = asyncio.create_task(Sweeper(pool, engine, interval=0.01, cancel_timeout=60).run())
    try:
        async with asyncio.timeout(30):
            while (await _status(pool, first[1]["id"]))["status"] == "running":
                await asyncio.sleep(0.02)
            # A run that expires after the bad row was met is still ended by the same loop.
            [later] = await _running(pool, engine, 1, expired=True)
            while (await _status(pool, later["id"]))["status"] == "running":
                await asyncio.sleep(0.02)
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await _status(pool, first[0]["id"]))["set_aside_at"] is not None


async def test_the_finisher_sets_aside_a_result_whose_hook_raises_and_records_the_others(pool: asyncpg.Pool) -> None:
    engine, hooks = _engine(pool)
    runs = await _running(pool, engine, 5, expired=False)
    bad = runs[2]
    hooks.bad.add(bad["subject_id"])
    try:
        with structlog.testing.capture_logs() as logs:
            # Together: they share one batch, which fails and is retried item by item.
            results = await asyncio.gather(
                *(engine.finish(r["id"], r["attempt_token"], SUCCESS, {}) for r in runs)
            )
        for run, result in zip(runs, results):
            row = await _status(pool, run["id"])
            if run is bad:
                assert result is not None and result.set_aside_at is not None
                assert row["status"] == "running" and row["set_aside_reason"].startswith("LookupError")
            else:
                assert result.status == row["status"] == "succeeded"
        assert [e["run_id"] for e in logs if e["event"] == "finisher.row_set_aside"] == [str(bad["id"])]
        # The sweeper of any replica skips it once its lease runs out.
        await pool.execute("UPDATE syncplane.runs SET lease_expires_at = clock_timestamp() - interval '5 s'")
        assert await Sweeper(pool, engine, interval=3600, cancel_timeout=60).sweep_once() == 0
        # The finisher still works for the next result.
        [later] = await _running(pool, engine, 1, expired=False)
        assert (await engine.finish(later["id"], later["attempt_token"], SUCCESS, {})).status == "succeeded"
    finally:
        await engine.close()


async def _due(pool: asyncpg.Pool, subject: uuid.UUID) -> None:
    past = datetime.now(UTC) - timedelta(seconds=5)
    await sdb.upsert_schedule(pool, "test", subject, "0 * * * *", "UTC", "skip", True, past)
    await pool.execute("UPDATE syncplane.schedules SET next_fire_at = $1 WHERE subject_id = $2", past, subject)


async def test_the_scheduler_sets_aside_a_schedule_whose_hook_raises_and_fires_the_others(pool: asyncpg.Pool) -> None:
    engine, hooks = _engine(pool)
    scheduler = Scheduler(pool, engine, interval=3600)
    scheduler.register_kind("test", hooks)
    subjects = [uuid.uuid4() for _ in range(4)]
    for s in subjects:
        await _due(pool, s)
    hooks.bad.add(subjects[0])

    with structlog.testing.capture_logs() as logs:
        assert await scheduler.tick() == 3

    bad_row = await sdb.get_schedule(pool, "test", subjects[0])
    assert bad_row["set_aside_at"] is not None
    assert bad_row["set_aside_reason"] == "ValueError: schedule names a preset that no longer exists"
    assert await pool.fetchval("SELECT count(*) FROM syncplane.runs WHERE subject_id = $1", subjects[0]) == 0
    for s in subjects[1:]:
        assert await pool.fetchval("SELECT count(*) FROM syncplane.runs WHERE subject_id = $1", s) == 1
    [event] = [e for e in logs if e["event"] == "scheduler.row_set_aside"]
    assert event["subject_id"] == str(subjects[0]) and event["error"].startswith("ValueError")
    # Still due, but skipped from now on; saving the schedule again brings it back.
    assert await scheduler.tick() == 0
    hooks.bad.clear()
    await _due(pool, subjects[0])
    assert await scheduler.tick() == 1


async def _webhook(pool: asyncpg.Pool, url: str) -> uuid.UUID:
    credential = await credentials_db.insert_credential(pool, {"secret": "k"})
    return await pool.fetchval(
        "INSERT INTO syncplane.jobs_webhooks (id, target_url, event_types, is_active, environment_id, credential_id)"
        " VALUES ($1, $2, '{*}', true, $3, $4) RETURNING id",
        uuid.uuid4(), url, uuid.UUID(int=0), credential,
    )


async def test_the_outbox_sets_aside_a_delivery_that_cannot_be_recorded_and_delivers_the_others(
    pool: asyncpg.Pool,
) -> None:
    async with WebhookReceiver() as receiver:
        webhook = await _webhook(pool, receiver.url("a"))
        events = [uuid.uuid4() for _ in range(4)]
        for eid in events:
            assert await outbox_db.enqueue(pool, eid, webhook, "sync_job_run:created", f'{{"id": "{eid}"}}')
        bad = await pool.fetchval("SELECT id FROM syncplane.jobs_outbox WHERE event_id = $1", events[1])
        # A row the database refuses to record an attempt of, every time.
        await pool.execute(
            "CREATE FUNCTION refuse_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.outbox_id = {int(bad)} THEN RAISE EXCEPTION 'attempt log refused'; END IF; RETURN NEW; END $$;"
            " CREATE TRIGGER refuse_log BEFORE INSERT ON syncplane.jobs_delivery_log"
            " FOR EACH ROW EXECUTE FUNCTION refuse_log()"
        )
        deliverer = Deliverer(pool, DeliverySettings(lease_seconds=0.01, poll_seconds=0.05))
        with structlog.testing.capture_logs() as logs:
            async with aiohttp.ClientSession() as http:
                assert await deliverer.deliver_once(http) == 4
                # Its lease has run out, yet it is not claimed again.
                await pool.execute("UPDATE syncplane.jobs_outbox SET next_attempt_at = clock_timestamp()"
                                   " WHERE status = 'pending'")
                assert await deliverer.deliver_once(http) == 0

        rows = {r["id"]: r for r in await pool.fetch("SELECT * FROM syncplane.jobs_outbox")}
        assert rows[bad]["status"] == "pending" and rows[bad]["set_aside_at"] is not None
        assert rows[bad]["set_aside_reason"].startswith("RaiseError: attempt log refused")
        assert sorted(r["status"] for i, r in rows.items() if i != bad) == ["delivered"] * 3
        [event] = [e for e in logs if e["event"] == "outbox.row_set_aside"]
        assert event["outbox_id"] == bad
