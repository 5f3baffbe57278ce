"""Queue order on a real PostgreSQL: a run chain keeps its place in the queue.

Found by bench/kills.py: with a backlog of triggered runs, an attempt whose
executor was killed was resumed behind the whole backlog (12-16 s from the
kill to the next attempt instead of ~lease + one sweep).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from syncplane.server.db import runs as db
from syncplane.server.db.runs import NewRun
from syncplane.server.engine.hooks import BaseKindHooks, KindHooks
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.server.engine.sweeper import Sweeper

LEASE = 30.0


class _Kind(BaseKindHooks):
    """A subject kind whose runs need nothing (the engine's view only)."""

    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {}, {}

    async def on_terminal(self, conn: Any, run: Any) -> None:
        return None


@pytest.fixture
def kind_hooks() -> KindHooks:
    return _Kind()


async def _queue(engine: RunEngine) -> uuid.UUID:
    subject = uuid.uuid4()
    row = await engine.queue(NewRun(subject_kind="test", subject_id=subject, connector="noop", spec={},
                                    triggered_by="manual", concurrency_key=f"test:{subject}"))
    return row.id


async def _claim_one(engine: RunEngine, executor: str) -> asyncpg.Record:
    rows = await db.claim_runs(engine.pool, "default", ["noop"], 1, executor, LEASE)
    assert len(rows) == 1
    return rows[0]


async def _fail_lost(engine: RunEngine, run_id: uuid.UUID) -> uuid.UUID:
    """The executor of `run_id` died: its lease runs out and the sweeper ends it."""
    await db.expire_leases_now(engine.pool, [run_id])
    assert await Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60).sweep_once() == 1
    ended = await db.get_run(engine.pool, run_id)
    assert ended.result_reason_code == "heartbeat_timeout" and ended.next_attempt_run_id is not None
    return ended.next_attempt_run_id


async def test_an_auto_resumed_attempt_goes_before_runs_queued_after_its_chain(engine: RunEngine) -> None:
    first = await _queue(engine)
    assert (await _claim_one(engine, "e1"))["id"] == first
    backlog = [await _queue(engine) for _ in range(5)]

    resumed = await _fail_lost(engine, first)

    claimed = await _claim_one(engine, "e2")
    assert claimed["id"] == resumed, f"claimed {claimed['id']} (backlog {backlog.index(claimed['id'])}) before the resume"
    assert claimed["attempt_number"] == 2 and claimed["triggered_by"] == "auto_resume"
    # The backlog keeps its own order behind it.
    assert [(await _claim_one(engine, "e2"))["id"] for _ in backlog] == backlog


async def test_a_manual_retry_queues_behind_runs_already_waiting(engine: RunEngine) -> None:
    first = await _queue(engine)
    claimed = await _claim_one(engine, "e1")
    backlog = [await _queue(engine) for _ in range(3)]
    failed = Outcome("failed", "failure", "run_error", "the source said no")
    assert await engine.finish(first, claimed["attempt_token"], failed, {}) is not None

    retry = await engine.retry(first, "test", None, "someone")

    order = [(await _claim_one(engine, "e1"))["id"] for _ in range(4)]
    assert order == [*backlog, retry.id]
