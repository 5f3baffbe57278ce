"""Run-graph rows (syncplane.run_graphs and run_graph_steps): the engine's SQL for graphs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load
from syncplane.server.db.rows import RowModel

Q = load("graphs")
Executor = Conn | asyncpg.Pool


@dataclass(frozen=True, slots=True, kw_only=True)
class Graph(RowModel):
    """One execution of a graph (a row of syncplane.run_graphs)."""

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    label: str | None
    status: str
    on_step_failure: str
    triggered_by: str
    trigger_ref: str | None
    current_group: int | None
    group_count: int
    stopped_by_step: int | None
    error: str | None
    cancel_requested_at: datetime | None
    cancel_requested_by: str | None
    created_at: datetime
    started_at: datetime
    completed_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphStep(RowModel):
    """One step of a graph (a row of syncplane.run_graph_steps)."""

    graph_id: uuid.UUID
    position: int
    group_index: int
    on_failure: str
    params: dict[str, Any]
    status: str
    run_id: uuid.UUID | None
    applied_on_failure: str | None
    reason: str | None
    error: str | None
    released_at: datetime | None
    ended_at: datetime | None


async def insert_graph(
    conn: Conn,
    graph_id: uuid.UUID,
    *,
    kind: str,
    subject_id: uuid.UUID,
    label: str | None,
    on_step_failure: str,
    triggered_by: str,
    trigger_ref: str | None,
    group_count: int,
) -> Graph:
    row = await conn.fetchrow(
        Q["insert_graph"], graph_id, kind, subject_id, label, on_step_failure, triggered_by, trigger_ref, group_count,
    )
    assert row is not None  # an INSERT … RETURNING returns its row
    return Graph.from_record(row)


async def insert_steps(
    conn: Conn, graph_id: uuid.UUID, steps: Sequence[tuple[int, int, str, dict[str, Any]]]
) -> None:
    """`steps`: (position, group_index, on_failure, params) each."""
    await conn.execute(
        Q["insert_steps"], graph_id, [s[0] for s in steps], [s[1] for s in steps], [s[2] for s in steps],
        [s[3] for s in steps],
    )


async def get_graph(db: Executor, graph_id: uuid.UUID) -> Graph | None:
    return Graph.maybe(await db.fetchrow(Q["get_graph"], graph_id))


async def lock_graph(conn: Conn, graph_id: uuid.UUID) -> Graph | None:
    return Graph.maybe(await conn.fetchrow(Q["lock_graph"], graph_id))


async def graph_of_run(db: Executor, root_run_id: uuid.UUID) -> uuid.UUID | None:
    value: uuid.UUID | None = await db.fetchval(Q["graph_of_run"], root_run_id)
    return value


async def graph_steps(db: Executor, graph_id: uuid.UUID) -> list[GraphStep]:
    return [GraphStep.from_record(r) for r in await db.fetch(Q["graph_steps"], graph_id)]


async def graph_steps_of(db: Executor, graph_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[GraphStep]]:
    out: dict[uuid.UUID, list[GraphStep]] = {gid: [] for gid in graph_ids}
    for row in await db.fetch(Q["graph_steps_of"], list(graph_ids)):
        out[row["graph_id"]].append(GraphStep.from_record(row))
    return out


async def active_graph_of_subject(db: Executor, kind: str, subject_id: uuid.UUID) -> Graph | None:
    return Graph.maybe(await db.fetchrow(Q["active_graph_of_subject"], kind, subject_id))


async def step_released(conn: Conn, graph_id: uuid.UUID, position: int, run_id: uuid.UUID) -> None:
    await conn.execute(Q["step_released"], graph_id, position, run_id)


async def step_ended(
    conn: Conn,
    graph_id: uuid.UUID,
    position: int,
    *,
    status: str,
    reason: str | None,
    error: str | None,
    applied_on_failure: str | None,
) -> None:
    await conn.execute(Q["step_ended"], graph_id, position, status, reason, error, applied_on_failure)


async def cancel_waiting_steps(conn: Conn, graph_id: uuid.UUID, reason: str) -> None:
    await conn.execute(Q["cancel_waiting_steps"], graph_id, reason)


async def graph_group_released(conn: Conn, graph_id: uuid.UUID, group: int) -> None:
    await conn.execute(Q["graph_group_released"], graph_id, group)


async def graph_stopped(conn: Conn, graph_id: uuid.UUID, position: int, error: str | None) -> None:
    await conn.execute(Q["graph_stopped"], graph_id, position, error)


async def graph_cancelling(conn: Conn, graph_id: uuid.UUID, by: str | None, reason: str | None) -> Graph | None:
    return Graph.maybe(await conn.fetchrow(Q["graph_cancelling"], graph_id, by, reason))


async def graph_ended(conn: Conn, graph_id: uuid.UUID, status: str, error: str | None) -> Graph | None:
    return Graph.maybe(await conn.fetchrow(Q["graph_ended"], graph_id, status, error))


async def graph_touched(conn: Conn, graph_id: uuid.UUID) -> None:
    await conn.execute(Q["graph_touched"], str(graph_id))
