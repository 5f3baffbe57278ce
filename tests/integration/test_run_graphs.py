"""Run graphs on a real PostgreSQL: groups released in order inside the
transaction that ends the previous group's last step, parallel groups, stop
versus continue, cancel, and one active graph per subject for scheduled starts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncplane.server.db import graphs as gdb
from syncplane.server.db import runs as db
from syncplane.server.db import schedules as sdb
from syncplane.server.db.graphs import Graph, GraphStep
from syncplane.server.db.models import Run
from syncplane.server.engine import states
from syncplane.server.engine.graphs import BaseGraphHooks, NewGraph, NewStep, QueueFn, StepRefused
from syncplane.server.engine.lifecycle import SUCCESS, Outcome, RunEngine
from syncplane.server.engine.scheduler import Scheduler
from syncplane.server.errors import Conflict

FAILURE = Outcome(states.FAILED, "failure", "step_failed", "boom")


def _step(group: int, on_failure: str = "inherit") -> NewStep:
    run = {"subject_kind": "test", "subject_id": str(uuid.uuid4()), "connector": "noop", "spec": {},
           "triggered_by": "graph"}
    return NewStep(group=group, on_failure=on_failure, params={"run": run})


def _graph(steps: list[NewStep], on_step_failure: str = "stop", subject: uuid.UUID | None = None) -> NewGraph:
    return NewGraph(subject_kind="test_graph", subject_id=subject or uuid.uuid4(), steps=steps,
                    on_step_failure=on_step_failure)


async def _steps(engine: RunEngine, graph_id: uuid.UUID) -> list[tuple[str, str | None]]:
    return [(s.status, s.reason) for s in await engine.graphs.steps(graph_id)]


async def _run_step(engine: RunEngine, graph_id: uuid.UUID, position: int, outcome: Outcome = SUCCESS) -> Any:
    """Claims the step's run and ends it with `outcome`."""
    step = (await engine.graphs.steps(graph_id))[position]
    assert step.run_id is not None, f"step {position} was not released"
    claimed = {r["id"]: r for r in await db.claim_runs(engine.pool, "default", ["noop"], 10, "e1", 30.0)}
    token = claimed[step.run_id]["attempt_token"] if step.run_id in claimed else (
        await engine.get(step.run_id)).attempt_token
    return await engine.finish(step.run_id, token, outcome, {})


async def test_groups_run_in_order_and_a_group_is_released_when_its_last_step_ends(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0), _step(4), _step(4), _step(7)]))
    assert graph.current_group == 0
    assert await _steps(engine, graph.id) == [("running", None), ("waiting", None), ("waiting", None),
                                              ("waiting", None)]

    await _run_step(engine, graph.id, 0)
    # Released in the transaction that ended step 0: visible as soon as finish returned.
    assert [s for s, _ in await _steps(engine, graph.id)] == ["succeeded", "running", "running", "waiting"]
    assert (await engine.graphs.get(graph.id)).current_group == 4

    await _run_step(engine, graph.id, 1)
    assert [s for s, _ in await _steps(engine, graph.id)] == ["succeeded", "succeeded", "running", "waiting"]
    await _run_step(engine, graph.id, 2)
    await _run_step(engine, graph.id, 3)
    ended = await engine.graphs.get(graph.id)
    assert (ended.status, ended.completed_at is not None) == ("succeeded", True)


async def test_a_failing_step_set_to_stop_cancels_the_rest_and_fails_the_graph(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0, "stop"), _step(1), _step(2)], on_step_failure="continue"))
    await _run_step(engine, graph.id, 0, FAILURE)
    assert await _steps(engine, graph.id) == [("failed", "failed"), ("cancelled", "stopped"), ("cancelled", "stopped")]
    steps = await engine.graphs.steps(graph.id)
    assert steps[0].applied_on_failure == "stop" and steps[1].run_id is None
    assert (await engine.graphs.get(graph.id)).status == "failed"


async def test_a_failing_step_set_to_continue_goes_on_and_ends_completed_with_errors(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0, "continue"), _step(1)]))
    await _run_step(engine, graph.id, 0, FAILURE)
    assert await _steps(engine, graph.id) == [("failed", "failed"), ("running", None)]
    await _run_step(engine, graph.id, 1)
    assert (await engine.graphs.get(graph.id)).status == "completed_with_errors"


async def test_an_inheriting_step_follows_the_graph_setting(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0), _step(1)], on_step_failure="continue"))
    await _run_step(engine, graph.id, 0, FAILURE)
    assert (await engine.graphs.steps(graph.id))[0].applied_on_failure == "continue"
    assert await _steps(engine, graph.id) == [("failed", "failed"), ("running", None)]


async def test_a_stop_in_a_parallel_group_lets_its_siblings_finish(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0, "stop"), _step(0), _step(1)]))
    await _run_step(engine, graph.id, 0, FAILURE)
    assert await _steps(engine, graph.id) == [("failed", "failed"), ("running", None), ("cancelled", "stopped")]
    assert (await engine.graphs.get(graph.id)).status == "running"
    await _run_step(engine, graph.id, 1)
    assert (await engine.graphs.get(graph.id)).status == "failed"


async def test_cancel_cancels_waiting_steps_and_stops_running_ones(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0), _step(1)]))
    step0 = (await engine.graphs.steps(graph.id))[0]
    assert step0.run_id is not None
    [claimed] = await db.claim_runs(engine.pool, "default", ["noop"], 10, "e1", 30.0)
    cancelling = await engine.graphs.cancel(graph.id, "test_graph", "tester", "no longer needed")
    assert cancelling.status == "cancelling"
    assert (await engine.get(step0.run_id)).status == "cancelling"
    assert await _steps(engine, graph.id) == [("running", None), ("cancelled", "cancelled")]

    await engine.finish(step0.run_id, claimed["attempt_token"], Outcome(states.CANCELLED, "cancelled", "cancelled"), {})
    assert await _steps(engine, graph.id) == [("cancelled", "cancelled"), ("cancelled", "cancelled")]
    assert (await engine.graphs.get(graph.id)).status == "cancelled"
    with pytest.raises(Conflict):
        await engine.graphs.cancel(graph.id, "test_graph", "tester", None)


async def test_a_pending_step_is_cancelled_at_once_and_the_graph_ends(engine: RunEngine) -> None:
    graph = await engine.graphs.start(_graph([_step(0), _step(1)]))
    ended = await engine.graphs.cancel(graph.id, "test_graph", "tester", None)
    assert ended.status == "cancelled"
    assert await _steps(engine, graph.id) == [("cancelled", "cancelled"), ("cancelled", "cancelled")]


async def test_an_exclusive_start_is_refused_while_the_subject_has_an_active_graph(engine: RunEngine) -> None:
    subject = uuid.uuid4()
    first = await engine.graphs.start(_graph([_step(0)], subject=subject))
    with pytest.raises(Conflict):
        await engine.graphs.start(_graph([_step(0)], subject=subject), exclusive=True)
    overlapping = await engine.graphs.start(_graph([_step(0)], subject=subject))  # a manual start may overlap
    assert overlapping.id != first.id
    assert await gdb.active_graph_of_subject(engine.pool, "test_graph", subject) is not None


class _GraphSlots:
    """A scheduler hook answering every slot with a one-step graph."""

    async def scheduled_run(self, conn: Any, subject_id: Any, slot: Any) -> NewGraph:
        return _graph([_step(0)], subject=subject_id)


async def test_a_due_slot_starts_one_graph_and_is_skipped_while_it_is_active(engine: RunEngine) -> None:
    scheduler = Scheduler(engine.pool, engine, interval=3600)
    scheduler.register_kind("test_graph", _GraphSlots())
    subject = uuid.uuid4()
    past = datetime.now(UTC) - timedelta(seconds=1)
    await sdb.upsert_schedule(engine.pool, "test_graph", subject, "0 3 * * *", "UTC", "skip", True, past)

    assert await asyncio.gather(scheduler.tick(), scheduler.tick()) in ([1, 0], [0, 1])  # one fire per slot
    graph = await gdb.active_graph_of_subject(engine.pool, "test_graph", subject)
    assert graph is not None

    await engine.pool.execute("UPDATE syncplane.schedules SET next_fire_at = $2 WHERE subject_id = $1", subject, past)
    assert await scheduler.tick() == 0  # the previous graph is active: skipped
    row = await sdb.get_schedule(engine.pool, "test_graph", subject)
    assert row is not None and row["last_skipped_at"] == past and row["next_fire_at"] > datetime.now(UTC)


class _Refusing(BaseGraphHooks):
    """Refuses the steps whose params say so (what they name is gone, say)."""

    async def start_step(self, conn: Any, graph: Graph, step: GraphStep, queue: QueueFn) -> Run:
        if step.params.get("refuse"):
            raise StepRefused("Run profile with ID 7 not found.")
        return await super().start_step(conn, graph, step, queue)


def _refused(group: int, on_failure: str = "inherit") -> NewStep:
    return NewStep(group=group, on_failure=on_failure, params={"refuse": True})


async def test_refused_steps_fail_at_release_and_the_graph_moves_past_them(engine: RunEngine) -> None:
    engine.graphs.register_kind("refusing", _Refusing())
    going_on = NewGraph(subject_kind="refusing", subject_id=uuid.uuid4(), on_step_failure="continue",
                        steps=[_refused(0, "continue"), _refused(1), _step(2)])
    graph = await engine.graphs.start(going_on)
    steps = await engine.graphs.steps(graph.id)
    assert [(s.status, s.reason, s.error) for s in steps[:2]] == [("failed", "refused", "Run profile with ID 7 not found.")] * 2
    assert steps[2].status == "running" and graph.current_group == 2
    await _run_step(engine, graph.id, 2)
    assert (await engine.graphs.get(graph.id)).status == "completed_with_errors"

    stopping = NewGraph(subject_kind="refusing", subject_id=uuid.uuid4(), steps=[_refused(0), _step(1)])
    stopped = await engine.graphs.start(stopping)  # the graph's setting is stop: ended before anything ran
    assert stopped.status == "failed"
    assert await _steps(engine, stopped.id) == [("failed", "refused"), ("cancelled", "stopped")]
