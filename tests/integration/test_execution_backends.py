"""The execution-backend seam on a real PostgreSQL, with a backend that is not `native`.

`_Outside` stands for an outside engine (what issue 12 adds: Temporal, Prefect, an
orchestrator's API): it starts attempts somewhere else, cannot renew a lease and is
polled. The dispatcher claims only the runs of a backend for that backend, the
sweeper adopts then polls its attempts (running renews the lease, ended ends the
attempt through the engine), and a cancel by NOTIFY reaches it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from syncplane.server.db import runs as db
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import states
from syncplane.server.engine.backends.base import (
    BackendRef,
    BackendState,
    Capacity,
    ExecutionBackend,
    Liveness,
    RunPhase,
)
from syncplane.server.engine.backends.registry import BackendRegistry, UnknownBackend
from syncplane.server.engine.dispatcher import Dispatcher
from syncplane.server.engine.hooks import BaseKindHooks, KindHooks
from syncplane.server.engine.lifecycle import SUCCESS, RunEngine
from syncplane.server.engine.sweeper import Sweeper

LEASE = 30.0


class _Kind(BaseKindHooks):
    def prepare_assignment(self, run: Any, secrets: Any) -> Any:
        return {}, {}

    async def on_terminal(self, conn: Any, run: Any) -> None:
        return None


class _Outside:
    """An outside engine's backend: attempts live in `states`, keyed by run id."""

    name = "outside"
    liveness = Liveness.POLL

    def __init__(self) -> None:
        self.states: dict[uuid.UUID, BackendState] = {}
        self.started: list[uuid.UUID] = []
        self.adopted: list[uuid.UUID] = []
        self.polled: list[uuid.UUID] = []
        self.cancelled: list[tuple[uuid.UUID, int]] = []

    def capacity(self) -> Sequence[Capacity]:
        return [Capacity(key="queue-1", group="default", connectors=frozenset({"noop"}), free=4, worker_id="outside-1")]

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        self.started.append(run["id"])
        self.states[run["id"]] = BackendState(RunPhase.STARTING, url=f"https://engine.example/runs/{run['id']}")
        return BackendRef(self.name, f"wf-{run['id']}")

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        if run_id not in self.states:
            return False
        self.cancelled.append((run_id, token))
        return True

    async def poll(self, run: asyncpg.Record) -> BackendState:
        self.polled.append(run["id"])
        return self.states.get(run["id"], BackendState(RunPhase.LOST))

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        self.adopted.append(run["id"])
        return self.states.get(run["id"], BackendState(RunPhase.LOST))


@pytest.fixture
def kind_hooks() -> KindHooks:
    return _Kind()


async def _queue(engine: RunEngine, backend: str) -> uuid.UUID:
    subject = uuid.uuid4()
    row = await engine.queue(NewRun(subject_kind="test", subject_id=subject, connector="noop", spec={},
                                    triggered_by="manual", concurrency_key=f"test:{subject}",
                                    execution_backend=backend))
    return row.id


def test_the_outside_backend_satisfies_the_protocol_and_names_are_unique() -> None:
    outside = _Outside()
    assert isinstance(outside, ExecutionBackend)
    registry = BackendRegistry()
    registry.register(outside)
    assert registry.get("outside") is outside and registry.polled() == [outside]
    with pytest.raises(ValueError):
        registry.register(_Outside())
    with pytest.raises(UnknownBackend):
        registry.get("temporal")


async def test_a_backend_claims_only_its_own_runs_then_is_polled_to_the_end(engine: RunEngine) -> None:
    outside = _Outside()
    backends = BackendRegistry()
    backends.register(outside)
    native_run = await _queue(engine, "native")
    outside_run = await _queue(engine, "outside")

    assert await Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once() == 1
    assert outside.started == [outside_run]
    claimed = await db.get_run(engine.pool, outside_run)
    assert claimed.status == states.RUNNING and claimed.executor_id == "outside-1"
    assert (await db.get_run(engine.pool, native_run)).status == states.PENDING

    # First pass: adopted (this process never saw it), starting: the lease is renewed.
    sweeper = Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60, backends=backends, lease_seconds=600)
    assert await sweeper.poll_once() == 0
    assert outside.adopted == [outside_run] and outside.polled == []
    renewed = await db.get_run(engine.pool, outside_run)
    assert renewed.lease_expires_at > claimed.lease_expires_at

    # Next pass: polled; the outside engine says it ended well: the engine ends the attempt.
    outside.states[outside_run] = BackendState(RunPhase.ENDED, outcome=SUCCESS, summary={"rowsWritten": 3})
    assert await sweeper.poll_once() == 1
    assert outside.polled == [outside_run]
    ended = await db.get_run(engine.pool, outside_run)
    assert ended.status == states.SUCCEEDED and ended.result_reason_code == "completed"
    assert await sweeper.poll_once() == 0  # nothing of this backend runs any more


async def test_an_attempt_the_outside_engine_lost_ends_heartbeat_timeout(engine: RunEngine) -> None:
    outside = _Outside()
    backends = BackendRegistry()
    backends.register(outside)
    run_id = await _queue(engine, "outside")
    assert await Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once() == 1
    del outside.states[run_id]  # the outside engine no longer knows it
    sweeper = Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60, backends=backends)
    assert await sweeper.poll_once() == 1
    ended = await db.get_run(engine.pool, run_id)
    assert ended.status == states.FAILED and ended.result_reason_code == "heartbeat_timeout"


async def test_a_cancel_by_notify_reaches_the_backend_running_the_attempt(engine: RunEngine) -> None:
    outside = _Outside()
    backends = BackendRegistry()
    backends.register(outside)
    run_id = await _queue(engine, "outside")
    dispatcher = Dispatcher(engine.pool, engine, backends, LEASE, 3600)
    assert await dispatcher.dispatch_once() == 1
    token = (await db.get_run(engine.pool, run_id)).attempt_token
    dispatcher.deliver_cancel(f"{uuid.uuid4()}:{token}")  # not an attempt this backend runs
    dispatcher.deliver_cancel("not a payload")
    assert outside.cancelled == []
    dispatcher.deliver_cancel(f"{run_id}:{token}")
    assert outside.cancelled == [(run_id, token)]


class _Gated(_Outside):
    """Starts hold until every attempt of the claim is being started: one
    start after another would wait forever. The run named `refuse` fails."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.in_flight = 0
        self.all_in = asyncio.Event()
        self.refuse: uuid.UUID | None = None

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        self.in_flight += 1
        if self.in_flight == self.expected:
            self.all_in.set()
        await self.all_in.wait()
        if run["id"] == self.refuse:
            raise RuntimeError("the outside engine refused this one")
        return await super().start(capacity, run)


async def test_a_claims_outside_attempts_start_together_and_each_ref_is_kept(engine: RunEngine) -> None:
    outside = _Gated(expected=4)
    backends = BackendRegistry()
    backends.register(outside)
    runs = [await _queue(engine, "outside") for _ in range(4)]
    outside.refuse = runs[2]

    # One claim of 4; the refused start surfaces after the others' refs are written.
    with pytest.raises(RuntimeError, match="refused"):
        await asyncio.wait_for(Dispatcher(engine.pool, engine, backends, LEASE, 3600).dispatch_once(), 30)
    assert sorted(outside.started) == sorted(r for r in runs if r != runs[2])
    for run_id in runs:
        row = await db.get_run(engine.pool, run_id)
        assert row.status == states.RUNNING  # claimed, fenced by its token
        assert row.backend_run_ref == (None if run_id == runs[2] else f"wf-{run_id}"), row
