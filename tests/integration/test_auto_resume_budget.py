"""The auto-resume budget on a real PostgreSQL: it counts attempts that
committed nothing, so a run that keeps moving survives repeated crashes.

Found by bench/kills.py: with executors killed every few seconds, 6 of 200
runs failed after four lost attempts although every attempt had committed
batches (and resumed from them).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from syncplane.server.db import runs as db
from syncplane.server.db.runs import NewRun
from syncplane.server.engine.hooks import BaseKindHooks, KindHooks
from syncplane.server.engine.lifecycle import MAX_CHAIN_ATTEMPTS, RunEngine
from syncplane.server.engine.sweeper import Sweeper


class _Kind(BaseKindHooks):
    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {}, {}

    async def on_terminal(self, conn: Any, run: Any) -> None:
        return None


@pytest.fixture
def kind_hooks() -> KindHooks:
    return _Kind()


async def _queue(engine: RunEngine, budget: int) -> uuid.UUID:
    subject = uuid.uuid4()
    row = await engine.queue(NewRun(subject_kind="test", subject_id=subject, connector="noop", spec={},
                                    triggered_by="manual", concurrency_key=f"test:{subject}",
                                    max_auto_resume_attempts=budget))
    return row.id


async def _attempt_lost(engine: RunEngine, run_id: uuid.UUID, *, commits: int) -> uuid.UUID | None:
    """Claims `run_id`, commits `commits` checkpoints, loses it (lease expiry);
    returns the next attempt, if one was queued."""
    [claimed] = await db.claim_runs(engine.pool, "default", ["noop"], 1, "e1", 30.0)
    assert claimed["id"] == run_id
    token, checkpoint = claimed["attempt_token"], dict(claimed["checkpoint"] or {})
    for _ in range(commits):
        state = {"rowsCommitted": int(checkpoint.get("rowsCommitted", 0)) + 100}
        assert await db.save_checkpoint(engine.pool, run_id, token, state)
        saved = await db.get_run(engine.pool, run_id)
        assert saved is not None
        checkpoint = dict(saved.checkpoint or {})
    await db.expire_leases_now(engine.pool, [run_id])
    assert await Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60).sweep_once() == 1
    ended = await db.get_run(engine.pool, run_id)
    assert ended.status == "failed" and ended.result_reason_code == "heartbeat_timeout"
    return ended.next_attempt_run_id


async def test_attempts_that_commit_do_not_use_up_the_budget(engine: RunEngine) -> None:
    run = await _queue(engine, budget=1)
    # Two lost attempts that each committed: resumed both times, budget untouched.
    for _ in range(2):
        nxt = await _attempt_lost(engine, run, commits=2)
        assert nxt is not None
        assert (await db.get_run(engine.pool, nxt)).auto_resume_count == 0
        run = nxt
    # A lost attempt that committed nothing uses the one resume there is...
    nxt = await _attempt_lost(engine, run, commits=0)
    assert nxt is not None and (await db.get_run(engine.pool, nxt)).auto_resume_count == 1
    # ...and the next one without progress ends the chain.
    assert await _attempt_lost(engine, nxt, commits=0) is None
    assert (await db.get_run(engine.pool, nxt)).attempt_number == 4


async def test_a_zero_budget_never_resumes_even_with_progress(engine: RunEngine) -> None:
    run = await _queue(engine, budget=0)
    assert await _attempt_lost(engine, run, commits=3) is None


async def test_a_chain_that_keeps_committing_stops_at_the_attempt_cap(engine: RunEngine) -> None:
    run: uuid.UUID | None = await _queue(engine, budget=3)
    attempts = 0
    while run is not None:
        attempts += 1
        run = await _attempt_lost(engine, run, commits=1)
    assert attempts == MAX_CHAIN_ATTEMPTS
