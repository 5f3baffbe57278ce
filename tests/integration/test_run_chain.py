"""The engine's calls about a run chain, on a real PostgreSQL: a watch follows
an auto-resumed attempt (and not a later manual retry), the chain's latest
attempt, a subject's active run, whether an attempt ended, and the state root
(a column: kept by an auto-resume, fresh for a retry of a success)."""

from __future__ import annotations

import uuid

import asyncpg

from syncplane.server.db import runs as db
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.engine.lifecycle import SUCCESS, RunEngine
from syncplane.server.engine.sweeper import Sweeper
from syncplane.server.engine.watch import WatchHub


async def _queue(engine: RunEngine, budget: int = 3) -> Run:
    subject = uuid.uuid4()
    return await engine.queue(NewRun(subject_kind="test", subject_id=subject, connector="noop", spec={"k": 1},
                                     triggered_by="manual", concurrency_key=f"test:{subject}",
                                     max_auto_resume_attempts=budget))


async def _claim(engine: RunEngine, run_id: uuid.UUID) -> asyncpg.Record:
    [claimed] = await db.claim_runs(engine.pool, "default", ["noop"], 1, "e1", 30.0)
    assert claimed["id"] == run_id
    return claimed


async def _lose(engine: RunEngine, run_id: uuid.UUID) -> Run:
    """Claims the attempt and lets its lease run out: the sweeper ends it (heartbeat_timeout)."""
    await _claim(engine, run_id)
    await db.expire_leases_now(engine.pool, [run_id])
    assert await Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60).sweep_once() == 1
    return await engine.get(run_id)


async def test_a_chain_watch_follows_the_auto_resumed_attempt_to_the_end(engine: RunEngine) -> None:
    hub = WatchHub()
    first = await _queue(engine)
    watch = hub.watch_chain(first.id, engine.get).__aiter__()
    assert (await anext(watch)).status == "pending"

    await _claim(engine, first.id)
    hub.on_notify(str(first.id))
    assert (await anext(watch)).status == "running"

    await db.expire_leases_now(engine.pool, [first.id])
    assert await Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60).sweep_once() == 1
    hub.on_notify(str(first.id))
    ended = await anext(watch)
    assert (ended.id, ended.status) == (first.id, "failed")
    second = await anext(watch)  # the watch moved on by itself
    assert second.id == ended.next_attempt_run_id and second.status == "pending"
    assert second.triggered_by == "auto_resume"

    claimed = await _claim(engine, second.id)
    await engine.finish(second.id, claimed["attempt_token"], SUCCESS, {})
    hub.on_notify(str(second.id))
    statuses = [row.status async for row in watch]
    assert statuses[-1] == "succeeded"
    assert await engine.has_ended(second.id, "test")
    assert (await engine.latest_attempt(first.id, "test")).id == second.id


async def test_a_chain_watch_does_not_follow_a_manual_retry(engine: RunEngine) -> None:
    first = await _queue(engine, budget=0)  # no auto-resume: the lost attempt ends the chain
    ended = await _lose(engine, first.id)
    assert ended.status == "failed" and ended.next_attempt_run_id is None
    retried = await engine.retry(first.id, "test", None, "someone")
    rows = [row async for row in WatchHub().watch_chain(first.id, engine.get)]
    assert [row.id for row in rows] == [first.id]
    assert (await engine.latest_attempt(first.id)).id == retried.id


async def test_the_active_run_of_a_subject_and_whether_it_ended(engine: RunEngine) -> None:
    run = await _queue(engine)
    assert (await engine.active_run("test", run.subject_id)).id == run.id
    assert await engine.active_run("other", run.subject_id) is None
    assert not await engine.has_ended(run.id, "test")
    await engine.cancel(run.id, "test", "someone", None)
    assert await engine.active_run("test", run.subject_id) is None
    assert await engine.has_ended(run.id, "test")


async def test_the_state_root_is_kept_by_a_resume_and_fresh_after_a_retry_of_a_success(engine: RunEngine) -> None:
    first = await _queue(engine)
    assert first.state_root == first.id
    assert "stateRoot" not in first.spec and "runMode" not in first.spec
    ended = await _lose(engine, first.id)
    resumed = await engine.get(ended.next_attempt_run_id)
    assert resumed.state_root == first.id and resumed.spec == {"k": 1}

    claimed = await _claim(engine, resumed.id)
    await engine.finish(resumed.id, claimed["attempt_token"], SUCCESS, {})
    again = await engine.retry(resumed.id, "test", "full", "someone")
    assert again.state_root not in (first.id, resumed.id)
    assert again.run_mode == "full" and again.spec == {"k": 1}
