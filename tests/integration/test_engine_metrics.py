"""The engine's own series on a real PostgreSQL: a claim counts a start (with its trigger->start
latency), a lease the sweeper finds expired counts a lease expiry, an auto-resume and a finished attempt,
and the sampler reads the queue the auto-resume left (by group and backend) and the pool's use."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
from prometheus_client import REGISTRY

from syncplane.server.db import runs as db
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import states
from syncplane.server.engine.backends.base import BackendRef, BackendState, Capacity, Liveness, RunPhase
from syncplane.server.engine.backends.registry import BackendRegistry
from syncplane.server.engine.dispatcher import Dispatcher
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.sweeper import Sweeper
from syncplane.server.observability.sampler import Sampler


class _Silent:
    """A lease backend whose attempts never report: their lease is all there is."""

    name = "silent"
    liveness = Liveness.LEASE

    def __init__(self) -> None:
        self.free = 1

    def capacity(self) -> Sequence[Capacity]:
        return [Capacity(key="s", group="metrics-group", connectors=frozenset({"noop"}), free=self.free, worker_id="w")]

    async def start(self, capacity: Capacity, run: asyncpg.Record) -> BackendRef | None:
        self.free = 0
        return BackendRef(self.name, "x")

    def cancel(self, run_id: uuid.UUID, token: int, reason: str) -> bool:
        return False

    async def poll(self, run: asyncpg.Record) -> BackendState:
        return BackendState(RunPhase.UNKNOWN)

    async def adopt(self, run: asyncpg.Record) -> BackendState:
        return BackendState(RunPhase.UNKNOWN)


def _value(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_claim_expiry_resume_and_the_sampled_queue(engine: RunEngine) -> None:
    backends = BackendRegistry()
    backends.register(_Silent())
    kind = {"kind": "test"}
    before = {
        "started": _value("syncplane_runs_started_total", {**kind, "backend": "silent"}),
        "latency": _value("syncplane_run_start_latency_seconds_count", {**kind, "backend": "silent"}),
        "expired": _value("syncplane_lease_expiries_total", kind),
        "resumed": _value("syncplane_auto_resumes_total", kind),
        "failed": _value("syncplane_runs_finished_total", {**kind, "backend": "silent", "result": "failed"}),
    }
    subject = uuid.uuid4()
    run = await engine.queue(NewRun(subject_kind="test", subject_id=subject, connector="noop", spec={},
                                    triggered_by="manual", concurrency_key=f"test:{subject}",
                                    execution_backend="silent", executor_group="metrics-group",
                                    max_auto_resume_attempts=3))
    assert await Dispatcher(engine.pool, engine, backends, 30, 3600).dispatch_once() == 1
    assert _value("syncplane_runs_started_total", {**kind, "backend": "silent"}) == before["started"] + 1
    assert _value("syncplane_run_start_latency_seconds_count", {**kind, "backend": "silent"}) == before["latency"] + 1

    await db.expire_leases_now(engine.pool, [run.id])
    assert await Sweeper(engine.pool, engine, interval=3600, cancel_timeout=60, backends=backends).sweep_once() == 1
    ended = await db.get_run(engine.pool, run.id)
    assert ended.status == states.FAILED and ended.next_attempt_run_id is not None
    assert _value("syncplane_lease_expiries_total", kind) == before["expired"] + 1
    assert _value("syncplane_auto_resumes_total", kind) == before["resumed"] + 1
    assert _value("syncplane_runs_finished_total", {**kind, "backend": "silent", "result": "failed"}) == before["failed"] + 1

    # The resumed attempt waits (the backend has no room): the sampler reads it by group and backend.
    await Sampler(engine.pool, [], 3600).sample_once()
    assert _value("syncplane_queue_depth", {"group": "metrics-group", "backend": "silent"}) == 1
    assert _value("syncplane_db_pool_connections", {"state": "max"}) == engine.pool.get_max_size()
