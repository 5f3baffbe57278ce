"""Identity schedules, their steps, and the identity view of their executions (engine run graphs)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.identity_models import (
    ExecutionStep,
    Schedule,
    ScheduleExecution,
    ScheduleStep,
    ScheduleView,
)
from syncplane.server.db.queries import load

Q = load("identity_schedules")
Executor = Conn | asyncpg.Pool


@dataclass(frozen=True)
class ScheduleFields:
    """The stored fields of a schedule (what a create or replace writes)."""

    name: str
    description: str | None
    trigger_type: str
    cron_expression: str | None
    time_zone: str
    pattern_type: str | None
    days_of_week: str | None
    run_times: str | None
    interval_value: int | None
    interval_unit: str | None
    interval_window_start: str | None
    interval_window_end: str | None
    is_enabled: bool
    on_step_failure: str

    def values(self) -> tuple[Any, ...]:
        return (
            self.name, self.description, self.trigger_type, self.cron_expression, self.time_zone, self.pattern_type,
            self.days_of_week, self.run_times, self.interval_value, self.interval_unit, self.interval_window_start,
            self.interval_window_end, self.is_enabled, self.on_step_failure,
        )


@dataclass(frozen=True)
class StepFields:
    id: uuid.UUID
    step_index: int
    name: str | None
    execution_mode: str
    on_failure: str
    timeout_seconds: int | None
    connected_system_id: int
    run_profile_id: int


async def insert_schedule(conn: Conn, schedule_id: uuid.UUID, fields: ScheduleFields) -> None:
    await conn.execute(Q["insert_schedule"], schedule_id, *fields.values())


async def update_schedule(conn: Conn, schedule_id: uuid.UUID, fields: ScheduleFields) -> None:
    await conn.execute(Q["update_schedule"], schedule_id, *fields.values())


async def set_schedule_enabled(conn: Conn, schedule_id: uuid.UUID, enabled: bool) -> bool:
    return await conn.fetchval(Q["set_schedule_enabled"], schedule_id, enabled) is not None


async def delete_schedule(conn: Conn, schedule_id: uuid.UUID) -> bool:
    return await conn.fetchval(Q["delete_schedule"], schedule_id) is not None


async def lock_schedule(conn: Conn, schedule_id: uuid.UUID) -> Schedule | None:
    return Schedule.maybe(await conn.fetchrow(Q["lock_schedule"], schedule_id))


async def get_schedule(db: Executor, schedule_id: uuid.UUID) -> ScheduleView | None:
    return ScheduleView.maybe(await db.fetchrow(Q["get_schedule"], schedule_id))


async def list_schedules(
    db: Executor, search: str | None, sort_by: str, direction: str, limit: int, offset: int
) -> tuple[list[ScheduleView], int]:
    rows = await db.fetch(Q["list_schedules"], search, sort_by, direction, limit, offset)
    if rows:
        return ScheduleView.many(rows), rows[0]["total_count"]
    return [], await db.fetchval(Q["count_schedules"], search)


async def schedule_steps(db: Executor, schedule_id: uuid.UUID) -> list[ScheduleStep]:
    return ScheduleStep.many(await db.fetch(Q["schedule_steps"], schedule_id))


async def schedule_step_ids(db: Executor, schedule_id: uuid.UUID) -> set[uuid.UUID]:
    return {r["id"] for r in await db.fetch(Q["schedule_step_ids"], schedule_id)}


async def replace_schedule_steps(conn: Conn, schedule_id: uuid.UUID, steps: Sequence[StepFields]) -> None:
    await conn.execute(Q["delete_schedule_steps"], schedule_id)
    if steps:
        await conn.execute(
            Q["insert_schedule_steps"], schedule_id, [s.id for s in steps], [s.step_index for s in steps],
            [s.name for s in steps], [s.execution_mode for s in steps], [s.on_failure for s in steps],
            [s.timeout_seconds for s in steps], [s.connected_system_id for s in steps],
            [s.run_profile_id for s in steps],
        )


async def step_failure_settings(
    conn: Conn, schedule_id: uuid.UUID, step_id: uuid.UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["step_failure_settings"], schedule_id, step_id)


async def mark_activity_scheduled(
    conn: Conn, activity_id: uuid.UUID, execution_id: uuid.UUID, step_index: int,
    schedule_id: uuid.UUID, schedule_name: str | None,
) -> None:
    await conn.execute(Q["mark_activity_scheduled"], activity_id, execution_id, step_index, schedule_id, schedule_name)


async def list_executions(
    db: Executor, schedule_id: uuid.UUID | None, sort_by: str, direction: str, limit: int, offset: int
) -> tuple[list[ScheduleExecution], int]:
    rows = await db.fetch(Q["list_executions"], schedule_id, sort_by, direction, limit, offset)
    if rows:
        return ScheduleExecution.many(rows), rows[0]["total_count"]
    return [], await db.fetchval(Q["count_executions"], schedule_id)


async def active_executions(db: Executor) -> list[ScheduleExecution]:
    return ScheduleExecution.many(await db.fetch(Q["active_executions"]))


async def execution_steps(db: Executor, graph_id: uuid.UUID) -> list[ExecutionStep]:
    return ExecutionStep.many(await db.fetch(Q["execution_steps"], graph_id))


async def get_execution(db: Executor, graph_id: uuid.UUID) -> ScheduleExecution | None:
    return ScheduleExecution.maybe(await db.fetchrow(Q["get_execution"], graph_id))
