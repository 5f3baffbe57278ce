"""Attempts run outside syncplane's executors, on a real PostgreSQL: the
external backend's claim (by queue), the fenced fetch/report/finish every
outside worker uses (server/engine/attempts.py), and what the engine keeps of
a polled backend's answers (its reference, its view, its true end time, a poll
that hangs)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from syncplane.server.db import runs as db
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import states
from syncplane.server.engine.attempts import OutsideAttempts, Report
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.backends.external import ExternalBackend
from syncplane.server.engine.backends.registry import BackendRegistry
from syncplane.server.engine.dispatcher import Dispatcher
from syncplane.server.engine.hooks import BaseKindHooks, KindHooks
from syncplane.server.engine.lifecycle import SUCCESS, Outcome, RunEngine
from syncplane.server.engine.notify import Listener
from syncplane.server.engine.progress import ProgressWriter
from syncplane.server.engine.sweeper import Sweeper, polled_lease_seconds
from syncplane.server.errors import FailedPrecondition
from tests.acceptance.wait_support import wait_for

LEASE = 30.0


class _Kind(BaseKindHooks):
    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {**run.spec, "prepared": True}, {"role": "opened"}

    async def on_terminal(self, conn: Any, run: Any) -> None:
        return None


@pytest.fixture
def kind_hooks() -> KindHooks:
    return _Kind()


async def _queue(engine: RunEngine, backend: str, group: str = "default", connector: str = "noop") -> uuid.UUID:
    subject = uuid.uuid4()
    row = await engine.queue(NewRun(
        subject_kind="test", subject_id=subject, connector=connector, spec={"n": 1}, triggered_by="manual",
        concurrency_key=f"test:{subject}", execution_backend=backend, executor_group=group,
    ))
    return row.id


def _attempts(engine: RunEngine) -> tuple[OutsideAttempts, ProgressWriter]:
    progress = ProgressWriter(engine.pool, 0.01, engine)
    return OutsideAttempts(engine.pool, engine, progress, LEASE), progress


async def test_external_workers_claim_by_queue_and_every_call_is_fenced(engine: RunEngine) -> None:
    attempts, progress = _attempts(engine)
    external = ExternalBackend(engine.pool, engine, attempts)
    native_run = await _queue(engine, "native", group="nightly")
    nightly = await _queue(engine, "external", group="nightly")
    other = await _queue(engine, "external", group="hourly", connector="postgres")

    assert external.capacity() == []  # workers pull: the dispatcher hands it nothing
    [work] = await external.claim("worker-1", "nightly", [], 10)
    assert (work.run_id, work.queue, work.spec, work.secrets) == (nightly, "nightly", {"n": 1, "prepared": True}, {"role": "opened"})
    assert await external.claim("worker-1", "nightly", [], 10) == []
    assert await external.claim("worker-2", "", ["noop"], 10) == []  # connectors filter
    [work2] = await external.claim("worker-2", "", [], 10)
    assert work2.run_id == other
    assert (await db.get_run(engine.pool, native_run)).status == states.PENDING
    claimed = await db.get_run(engine.pool, nightly)
    assert (claimed.status, claimed.executor_id, claimed.backend_run_ref) == (states.RUNNING, "worker-1", "worker-1")

    token = work.token
    assert (await attempts.fetch(nightly, token)).spec == work.spec
    with pytest.raises(FailedPrecondition):
        await attempts.fetch(nightly, token + 1000)

    reported = await attempts.report(nightly, token, Report(
        progress={"phase": "loading", "rowsRead": 5, "rowsWritten": 4, "entities": {}},
        checkpoint={"orders": {"cursor": 4}},
        backend_ref="dag-run-7", backend_url="https://airflow.example/runs/7", backend_status={"state": "running"},
    ))
    assert not reported.cancel_requested and reported.lease_expires_at > claimed.lease_expires_at
    await progress.flush()
    row = await db.get_run(engine.pool, nightly)
    assert (row.backend_run_ref, row.backend_run_url, row.backend_status) == (
        "dag-run-7", "https://airflow.example/runs/7", {"state": "running"},
    )
    assert row.backend_heartbeat_at is not None and row.checkpoint == {"orders": {"cursor": 4}}
    assert row.progress["rowsWritten"] == 4

    await engine.cancel(nightly, "test", "me", "stop it")
    assert (await attempts.report(nightly, token, Report())).cancel_requested

    ended = await attempts.finish(nightly, token, Outcome(states.CANCELLED, "cancelled", "cancelled"), {"rowsWritten": 4})
    assert ended.status == states.CANCELLED
    # A finish sent again (its answer lost) is answered; another result is refused.
    again = await attempts.finish(nightly, token, Outcome(states.CANCELLED, "cancelled", "cancelled"), {})
    assert again.id == nightly and again.status == states.CANCELLED
    with pytest.raises(FailedPrecondition):
        await attempts.finish(nightly, token, SUCCESS, {})
    with pytest.raises(FailedPrecondition):
        await attempts.report(nightly, token, Report())

    # A retry is the next attempt in the same backend, claimed by the same queue's workers.
    nxt = await engine.retry(nightly, "test", None, "me")
    assert (nxt.execution_backend, nxt.executor_group, nxt.status) == ("external", "nightly", states.PENDING)
    [again_work] = await external.claim("worker-3", "nightly", [], 10)
    assert again_work.run_id == nxt.id and again_work.attempt_number == 2


class _Polled:
    """An outside engine: `answers` by run id; a run in `hang` never answers."""

    name = "outside"
    liveness = Liveness.POLL

    def __init__(self) -> None:
        self.answers: dict[uuid.UUID, BackendState] = {}
        self.hang: set[uuid.UUID] = set()

    def capacity(self) -> Sequence[Capacity]:
        return [Capacity(key="q", group="default", connectors=frozenset({"noop"}), free=4, worker_id="outside-1")]

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        self.answers[run["id"]] = BackendState(RunPhase.STARTING)
        return BackendRef(self.name, f"wf-{run['id']}", f"https://engine.example/wf-{run['id']}")

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        return False

    async def poll(self, run: asyncpg.Record) -> BackendState:
        if run["id"] in self.hang:
            await asyncio.Event().wait()
        return self.answers[run["id"]]

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        return await self.poll(run)


async def test_the_engine_keeps_what_a_polled_backend_says(engine: RunEngine) -> None:
    outside = _Polled()
    backends = BackendRegistry()
    backends.register(outside)
    hung, answered = await _queue(engine, "outside"), await _queue(engine, "outside")
    assert await Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once() == 2
    for run_id in (hung, answered):
        row = await db.get_run(engine.pool, run_id)
        assert (row.backend_run_ref, row.backend_run_url) == (f"wf-{run_id}", f"https://engine.example/wf-{run_id}")

    progress = ProgressWriter(engine.pool, 0.01, engine)
    sweeper = Sweeper(
        engine.pool, engine, interval=3600, cancel_timeout=60, backends=backends, lease_seconds=600,
        progress=progress, poll_timeout=0.2,
    )
    outside.hang.add(hung)
    beat = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    outside.answers[answered] = BackendState(
        RunPhase.RUNNING, heartbeat_at=beat, url="https://engine.example/ui/x",
        progress={"phase": "loading", "rowsRead": 7, "rowsWritten": 7, "entities": {}},
        detail={"status": "RUNNING", "attempt": 2, "lastFailure": "worker lost"},
    )
    # The hung poll answers unknown when its timeout runs out; the other is recorded.
    assert await sweeper.poll_once() == 0
    await progress.flush()
    row = await db.get_run(engine.pool, answered)
    assert (row.backend_status, row.backend_heartbeat_at, row.backend_run_url) == (
        {"status": "RUNNING", "attempt": 2, "lastFailure": "worker lost"}, beat, "https://engine.example/ui/x",
    )
    assert row.progress["rowsRead"] == 7
    assert (await db.get_run(engine.pool, hung)).status == states.RUNNING

    # It ended while nobody watched: recorded with its result and its true end.
    ended_at = datetime.now(UTC) - timedelta(minutes=5)
    outside.answers[answered] = BackendState(
        RunPhase.ENDED, outcome=SUCCESS, summary={"rowsWritten": 7}, ended_at=ended_at, detail={"status": "COMPLETED"},
    )
    assert await sweeper.poll_once() == 1
    row = await db.get_run(engine.pool, answered)
    assert (row.status, row.completed_at, row.summary, row.backend_status["status"]) == (
        states.SUCCEEDED, ended_at, {"rowsWritten": 7}, "COMPLETED",
    )


async def test_a_waiting_claim_is_answered_when_a_run_is_queued(engine: RunEngine, migrated_dsn: str) -> None:
    attempts, _ = _attempts(engine)
    # No periodic recheck: only the notification can answer a waiting claim.
    external = ExternalBackend(engine.pool, engine, attempts, recheck_seconds=3600)
    listener = Listener(migrated_dsn)  # the queued run's NOTIFY, as a server hears it
    listener.subscribe("syncplane_runs_pending", external.wake)
    await listener.start()
    try:
        # Nothing pending: a claim without a wait answers at once, empty.
        assert await external.claim("worker-1", "", [], 1) == []
        waiting = asyncio.create_task(external.claim("worker-1", "", [], 1, wait=60))

        async def is_waiting() -> bool:
            return external.waiting == 1

        await wait_for(is_waiting, 10, "the claim to wait")
        run_id = await _queue(engine, "external")
        [work] = await asyncio.wait_for(waiting, 30)
        assert work.run_id == run_id and external.waiting == 0
        # A run of another backend wakes the claim but is not handed out; the wait runs out empty.
        other = asyncio.create_task(external.claim("worker-1", "", [], 1, wait=0.5))
        await _queue(engine, "native")
        assert await other == []
        # A stopping server answers waiting claims at once (they would hold up its shutdown).
        last = asyncio.create_task(external.claim("worker-1", "", [], 1, wait=60))
        await wait_for(is_waiting, 10, "the claim to wait")
        external.close()
        assert await asyncio.wait_for(last, 30) == []
    finally:
        await listener.stop()


async def test_a_polled_attempts_lease_outlives_slow_polls_and_reports_never_shorten_it(engine: RunEngine) -> None:
    outside = _Polled()
    backends = BackendRegistry()
    backends.register(outside)
    run_id = await _queue(engine, "outside")
    # An executor's lease of 2 s; a poll may take up to 5 s.
    polled = polled_lease_seconds(2.0, 1.0, 5.0)
    assert polled == 18.0
    dispatcher = Dispatcher(engine.pool, engine, backends, 2.0, 3600, polled_lease_seconds=polled)
    assert await dispatcher.dispatch_once() == 1
    outside.answers[run_id] = BackendState(RunPhase.RUNNING, detail={"status": "RUNNING"})
    sweeper = Sweeper(engine.pool, engine, interval=1.0, cancel_timeout=60, backends=backends, lease_seconds=2.0,
                      poll_timeout=5.0)

    async def lease_left() -> float:
        left = await engine.pool.fetchval(
            "SELECT extract(epoch FROM lease_expires_at - clock_timestamp()) FROM syncplane.runs WHERE id = $1", run_id)
        return float(left)

    # The claim already holds the polled lease: a flood of starts loses nothing before its first poll.
    assert 2.0 < await lease_left() <= 18.0
    assert await sweeper.poll_once() == 0
    # Three passes whose poll timed out (3 x (5 + 1) s) before it runs out, not the executor's 2 s.
    assert 2.0 < await lease_left() <= 18.0
    # The worker's report (a lease of LEASE = 30 s) extends it; a shorter renewal never cuts it back.
    attempts, _ = _attempts(engine)
    row = await db.get_run(engine.pool, run_id)
    await attempts.report(run_id, row.attempt_token, Report())
    assert await lease_left() > 18.0
    assert await sweeper.poll_once() == 0
    assert await lease_left() > 18.0


async def test_an_adoption_that_answers_unknown_gets_one_lease_of_grace(engine: RunEngine) -> None:
    outside = _Polled()
    backends = BackendRegistry()
    backends.register(outside)
    run_id = await _queue(engine, "outside")
    assert await Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once() == 1
    outside.hang.add(run_id)  # the backend does not answer (still connecting, after a restart)

    async def expire() -> None:  # as after an outage longer than the lease
        await engine.pool.execute(
            "UPDATE syncplane.runs SET lease_expires_at = clock_timestamp() - interval '1 minute' WHERE id = $1", run_id)

    async def lease_left() -> float:
        return float(await engine.pool.fetchval(
            "SELECT extract(epoch FROM lease_expires_at - clock_timestamp()) FROM syncplane.runs WHERE id = $1", run_id))

    # A new server (sweeper): its first look at the attempt answers unknown.
    # A long pass interval (only the lease is sized from it here: the passes are called by hand), so the
    # granted lease (3 x 30.2 s) cannot run out between this test's steps however slow the machine.
    sweeper = Sweeper(engine.pool, engine, interval=30.0, cancel_timeout=60, backends=backends, lease_seconds=2.0,
                      poll_timeout=0.2)
    await expire()
    assert await sweeper.poll_once() == 0
    assert await lease_left() > 2.0  # granted a polled lease, not ended at the next sweep
    assert await sweeper.sweep_once() == 0
    # Only once: still unknown when that lease is gone, the attempt is lost.
    await expire()
    assert await sweeper.poll_once() == 0
    assert await lease_left() < 0
    assert await sweeper.sweep_once() == 1
    row = await db.get_run(engine.pool, run_id)
    assert (row.status, row.result_reason_code) == (states.FAILED, "heartbeat_timeout")


class _Closing(_Polled):
    """Closes its side of an attempt a moment after the worker's finish: the
    first poll still says running, every later one that it completed."""

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0

    async def poll(self, run: asyncpg.Record) -> BackendState:
        self.polls += 1
        if self.polls == 1:
            return BackendState(RunPhase.RUNNING, detail={"status": "RUNNING"})
        return BackendState(RunPhase.ENDED, outcome=SUCCESS, detail={"status": "COMPLETED"})


async def test_a_workers_finish_is_followed_by_a_last_look_at_the_backend(engine: RunEngine) -> None:
    outside = _Closing()
    backends = BackendRegistry()
    backends.register(outside)
    run_id = await _queue(engine, "outside")
    assert await Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once() == 1
    token = (await db.get_run(engine.pool, run_id)).attempt_token
    attempts, _ = _attempts(engine)
    sweeper = Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60, backends=backends, poll_timeout=30)
    attempts.on_finished = sweeper.final_look

    # No sweeper pass runs: only the last look can tell what the backend says now.
    ended = await attempts.finish(run_id, token, SUCCESS, {"rowsWritten": 1},
                                  Report(backend_status={"status": "STARTED"}))
    assert ended.status == states.SUCCEEDED

    async def final() -> Any:
        row = await db.get_run(engine.pool, run_id)
        return row if row.backend_status == {"status": "COMPLETED"} else None

    row = await wait_for(final, 30, "the backend's final view recorded")
    assert outside.polls == 2  # asked again after "running", and not after "ended"
    assert (row.status, row.summary) == (states.SUCCEEDED, {"rowsWritten": 1})  # the worker's result stands
