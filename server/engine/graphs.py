"""Run graphs: an execution whose steps are child run chains released group by group.

A graph is the parent; a step becomes a run (queued through the engine, so
it waits, is dispatched, resumed and cancelled like any run) when its group
is released. Every transition happens under the graph's row lock and in the
transaction of the change that caused it: the first group in the one that
starts the graph, the next group in the one that ends the last step of the
previous group (the engine's finish path calls `chain_ended`). So a server
restart or an executor kill finds the graph where it was: a step is released
once, and none is forgotten.

Nothing here knows a dialect. The kind that owns a graph registers
`GraphHooks` to turn a step into a run, to judge whether a step failed, and
to read the failure setting when it fails (a schedule edited while running
counts from then on).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import structlog

from syncplane.server.db import graphs as db
from syncplane.server.db.connection import Conn
from syncplane.server.db.graphs import Graph, GraphStep
from syncplane.server.db.models import Run
from syncplane.server.db.runs import NewRun
from syncplane.server.engine import graph_policy as policy
from syncplane.server.engine import states
from syncplane.server.errors import Conflict, DomainError, InvalidArgument, NotFound, Violation

log = structlog.get_logger(__name__)

QueueFn = Callable[[NewRun], Awaitable[Run]]


class StepRefused(Exception):
    """A step that cannot become a run now (what it names is gone, say): it fails with this text."""


@dataclass(frozen=True)
class NewStep:
    group: int
    on_failure: str = policy.INHERIT
    #: The owning kind's description of the step, handed back to its hooks.
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewGraph:
    subject_kind: str
    subject_id: uuid.UUID
    steps: Sequence[NewStep]
    on_step_failure: str = policy.STOP
    triggered_by: str = "manual"
    trigger_ref: str | None = None
    label: str | None = None


class GraphHooks(Protocol):
    """The engine's calls into the kind that owns a graph, each in the transaction of the change."""

    async def start_step(self, conn: Conn, graph: Graph, step: GraphStep, queue: QueueFn) -> Run:
        """Queues the step's run with `queue` (and records what the kind keeps of it); raises StepRefused."""
        ...

    async def step_error(self, conn: Conn, graph: Graph, step: GraphStep, run: Run) -> str | None:
        """Why the step's ended run counts as a failure, or None when it succeeded."""
        ...

    async def failure_setting(self, conn: Conn, graph: Graph, step: GraphStep) -> str:
        """"stop" or "continue": what the failing step does, read when it fails."""
        ...


class BaseGraphHooks:
    """Hooks for a kind whose step params hold a `NewRun`'s fields under "run" (JSON: the subject id a string)."""

    async def start_step(self, conn: Conn, graph: Graph, step: GraphStep, queue: QueueFn) -> Run:
        fields = dict(step.params["run"])
        return await queue(NewRun(**{**fields, "subject_id": uuid.UUID(str(fields["subject_id"]))}))

    async def step_error(self, conn: Conn, graph: Graph, step: GraphStep, run: Run) -> str | None:
        if run.status == states.SUCCEEDED:
            return None
        return run.error or f"the run {run.status}"

    async def failure_setting(self, conn: Conn, graph: Graph, step: GraphStep) -> str:
        return policy.applied_setting(step.on_failure, graph.on_step_failure)


class RunQueue(Protocol):
    """What graphs need of the run engine."""

    async def queue(self, new: NewRun, conn: Conn | None = None) -> Run: ...

    async def cancel(self, run_id: uuid.UUID, kind: str, by: str | None, reason: str | None) -> Run: ...

    async def latest_attempt(self, run_id: uuid.UUID, kind: str | None = None) -> Run: ...


class RunGraphs:
    def __init__(self, pool: asyncpg.Pool, runs: RunQueue) -> None:
        self._pool = pool
        self._runs = runs
        self._hooks: dict[str, GraphHooks] = {}

    def register_kind(self, kind: str, hooks: GraphHooks) -> None:
        self._hooks[kind] = hooks

    # -- reads ---------------------------------------------------------------------
    async def get(self, graph_id: uuid.UUID, kind: str | None = None) -> Graph:
        graph = await db.get_graph(self._pool, graph_id)
        if graph is None or (kind is not None and graph.subject_kind != kind):
            raise NotFound(f"graph {graph_id} not found")
        return graph

    async def steps(self, graph_id: uuid.UUID) -> list[GraphStep]:
        return await db.graph_steps(self._pool, graph_id)

    async def active(self, kind: str, subject_id: uuid.UUID, conn: Conn | None = None) -> Graph | None:
        return await db.active_graph_of_subject(conn or self._pool, kind, subject_id)

    # -- commands --------------------------------------------------------------------
    async def start(self, new: NewGraph, conn: Conn | None = None, *, exclusive: bool = False) -> Graph:
        """Starts a graph and releases its first group, in the caller's transaction when given.

        `exclusive`: refused (Conflict) while another graph of the subject is
        active (a scheduled slot skips; a manual start may overlap)."""
        if not new.steps:
            raise InvalidArgument(Violation("steps", "a graph needs at least one step", "missing"))
        if conn is None:
            async with self._pool.acquire() as own, own.transaction():
                return await self._start(own, new, exclusive)
        return await self._start(conn, new, exclusive)

    async def _start(self, conn: Conn, new: NewGraph, exclusive: bool) -> Graph:
        if exclusive:
            active = await db.active_graph_of_subject(conn, new.subject_kind, new.subject_id)
            if active is not None:
                raise Conflict(f"graph {active.id} of this {new.subject_kind} is still {active.status}")
        graph_id = uuid.uuid4()
        await db.insert_graph(
            conn, graph_id, kind=new.subject_kind, subject_id=new.subject_id, label=new.label,
            on_step_failure=new.on_step_failure, triggered_by=new.triggered_by, trigger_ref=new.trigger_ref,
            group_count=len({s.group for s in new.steps}),
        )
        await db.insert_steps(conn, graph_id, [(i, s.group, s.on_failure, s.params) for i, s in enumerate(new.steps)])
        log.info("graph.started", graph_id=str(graph_id), kind=new.subject_kind, subject_id=str(new.subject_id),
                 steps=len(new.steps), triggered_by=new.triggered_by)
        graph = await db.lock_graph(conn, graph_id)
        assert graph is not None
        return await self._advance(conn, graph)

    async def cancel(self, graph_id: uuid.UUID, kind: str, by: str | None, reason: str | None) -> Graph:
        """Cancels waiting steps at once and asks running ones to stop; the graph
        ends cancelled when the last of them ends."""
        async with self._pool.acquire() as conn, conn.transaction():
            graph = await db.lock_graph(conn, graph_id)
            if graph is None or graph.subject_kind != kind:
                raise NotFound(f"graph {graph_id} not found")
            if graph.status == policy.GRAPH_CANCELLING:
                return graph
            if graph.status != policy.GRAPH_RUNNING:
                raise Conflict(f"graph {graph_id} already ended ({graph.status}); nothing to cancel")
            cancelling = await db.graph_cancelling(conn, graph_id, by, reason)
            assert cancelling is not None
            running = [s.run_id for s in await db.graph_steps(conn, graph_id) if s.status == policy.RUNNING]
            graph = await self._advance(conn, cancelling)
        log.info("graph.cancel_requested", graph_id=str(graph_id), by=by, running_steps=len(running))
        # After the commit: a step's run that ends now finds the graph cancelling.
        for root in running:
            assert root is not None
            latest = await self._runs.latest_attempt(root)
            try:
                await self._runs.cancel(latest.id, latest.subject_kind, by, reason)
            except Conflict:
                pass  # it ended meanwhile; its end already moved the graph
        return await self.get(graph_id)

    # -- called by the engine in the transaction that ends a run chain ---------------------
    async def chain_ended(self, conn: Conn, run: Run) -> None:
        """A run chain ended: if it is a step, record it and move its graph on."""
        root = run.attempt_root_run_id or run.id
        graph_id = await db.graph_of_run(conn, root)
        if graph_id is None:
            return
        graph = await db.lock_graph(conn, graph_id)
        if graph is None or graph.status not in policy.GRAPH_ACTIVE:
            return
        step = next((s for s in await db.graph_steps(conn, graph_id) if s.run_id == root), None)
        if step is None or step.status != policy.RUNNING:
            return  # already recorded (a replayed end)
        error = await self._hooks_of(graph).step_error(conn, graph, step, run)
        if error is None:
            await db.step_ended(conn, graph.id, step.position, status=policy.SUCCEEDED, reason=None, error=None,
                                applied_on_failure=None)
        else:
            status = policy.CANCELLED if run.status == states.CANCELLED else policy.FAILED
            await self._step_failed(conn, graph, step, status, reason=status, error=error)
        log.info("graph.step_ended", graph_id=str(graph.id), position=step.position, run_id=str(root),
                 failed=error is not None)
        graph = await db.lock_graph(conn, graph_id)
        assert graph is not None
        await self._advance(conn, graph)

    # -- internals ---------------------------------------------------------------------
    def _hooks_of(self, graph: Graph) -> GraphHooks:
        return self._hooks.get(graph.subject_kind, NO_GRAPH_HOOKS)

    async def _step_failed(
        self, conn: Conn, graph: Graph, step: GraphStep, status: str, *, reason: str, error: str
    ) -> None:
        setting: str | None = None
        if graph.status == policy.GRAPH_RUNNING:
            setting = await self._hooks_of(graph).failure_setting(conn, graph, step)
        await db.step_ended(conn, graph.id, step.position, status=status, reason=reason, error=error,
                            applied_on_failure=setting)
        if setting == policy.STOP:
            await db.graph_stopped(conn, graph.id, step.position, error)
            log.info("graph.stopped", graph_id=str(graph.id), position=step.position)

    async def _advance(self, conn: Conn, graph: Graph) -> Graph:
        """Applies `graph_policy.next_move` until the graph waits on a running step or ends."""
        while True:
            steps = await db.graph_steps(conn, graph.id)
            move = policy.next_move(
                [policy.StepFacts(s.position, s.group_index, s.status) for s in steps],
                cancelling=graph.status == policy.GRAPH_CANCELLING,
                stopped=graph.stopped_by_step is not None,
            )
            if move.cancel_waiting is not None:
                await db.cancel_waiting_steps(conn, graph.id, move.cancel_waiting)
            if move.final_status is not None:
                ended = await db.graph_ended(conn, graph.id, move.final_status, None)
                log.info("graph.ended", graph_id=str(graph.id), status=move.final_status)
                return ended or graph
            if move.waits:
                await db.graph_touched(conn, graph.id)
                return graph
            assert move.release_group is not None
            await db.graph_group_released(conn, graph.id, move.release_group)
            started = 0
            for step in (s for s in steps if s.position in move.release):
                started += await self._release(conn, graph, step)
            log.info("graph.group_released", graph_id=str(graph.id), group=move.release_group,
                     steps=len(move.release), refused=len(move.release) - started)
            refreshed = await db.lock_graph(conn, graph.id)
            assert refreshed is not None
            graph = refreshed
            if started:
                return graph
            # Every step of the group was refused: decide again (the next group, or the end).

    async def _release(self, conn: Conn, graph: Graph, step: GraphStep) -> int:
        """Starts one step's run; 1 when it runs, 0 when it was refused (and failed)."""

        async def queue(new: NewRun) -> Run:
            return await self._runs.queue(new, conn)

        try:
            async with conn.transaction():  # a savepoint: a refused step leaves the graph intact
                run = await self._hooks_of(graph).start_step(conn, graph, step, queue)
                await db.step_released(conn, graph.id, step.position, run.id)
        except (StepRefused, DomainError) as exc:  # a refused queue (Conflict) or a dialect's check
            await self._step_failed(conn, graph, step, policy.FAILED, reason="refused", error=str(exc))
            log.info("graph.step_refused", graph_id=str(graph.id), position=step.position, error=str(exc))
            return 0
        return 1


NO_GRAPH_HOOKS: GraphHooks = BaseGraphHooks()
