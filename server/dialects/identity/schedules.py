"""Schedules (/api/v1/schedules): run profiles as the steps of a schedule,
started by hand or by cron as an engine run graph (kind "identity_schedule")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc
import structlog

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.identity.v1 import schedules_service_pb2 as pb
from syncplane.server.db import identity as idm_db
from syncplane.server.db import identity_schedules as db
from syncplane.server.db import schedules as schedules_db
from syncplane.server.db.identity_models import Schedule
from syncplane.server.db.identity_schedules import ScheduleFields, StepFields
from syncplane.server.dialects.common import actor
from syncplane.server.dialects.identity import schedule_convert as convert
from syncplane.server.dialects.identity import schedule_rules as sr
from syncplane.server.dialects.identity.base import Resource, found
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import ASP_NET, Rules
from syncplane.server.dialects.identity.schedule_graph import KIND, new_graph
from syncplane.server.dialects.validation import parse_uuid
from syncplane.server.engine import cron
from syncplane.server.errors import FailedPrecondition
from syncplane.server.grpc_errors import grpc_method

log = structlog.get_logger(__name__)

SORT_KEYS = ("name", "isEnabled", "lastRunTime", "nextRunTime", "created")
#: What a slot does while the schedule's previous execution is active: skip it.
OVERLAP = "skip"

Body = pb.CreateScheduleRequest | pb.UpdateScheduleRequest


def schedule_uuid(value: str) -> uuid.UUID:
    return parse_uuid(ASP_NET, "id", value, "schedule id")


def _opt(request: Any, field: str) -> Any:
    return getattr(request, field) if request.HasField(field) else None


def sort_direction(request: Any, default: str) -> str:
    """sortDirection (this dialect's lists) or the reference's sortDescending for these two lists."""
    if request.HasField("sort_descending"):
        return "desc" if request.sort_descending else "asc"
    return default


@dataclass(frozen=True)
class Checked:
    fields: ScheduleFields
    steps: list[StepFields]


async def check_body(
    conn: asyncpg.Connection, request: Body, stored: Schedule | None, stored_steps: dict[uuid.UUID, str]
) -> Checked:
    """The body's fields and steps, validated (all violations at once); `stored` is the schedule a PUT replaces."""
    rules = Rules()
    name = _opt(request, "name")
    if rules.required("name", name):
        rules.length("name", name, 1, sr.NAME_MAX)
    rules.length("description", _opt(request, "description"), 0, sr.DESCRIPTION_MAX)
    rules.length("changeReason", _opt(request, "change_reason"), 0, sr.CHANGE_REASON_MAX)
    # Create defaults to Manual; a PUT that leaves it out means Cron (the reference's DTO default).
    trigger = _opt(request, "trigger_type") or ("Cron" if stored is not None else "Manual")
    rules.choice("triggerType", trigger, sr.TRIGGER_TYPES)
    on_step_failure = _opt(request, "on_step_failure") or (stored.on_step_failure if stored else "Stop")
    rules.choice("onStepFailure", on_step_failure, sr.ON_STEP_FAILURE)
    pattern_type = _opt(request, "pattern_type")
    if pattern_type is not None:
        rules.choice("patternType", pattern_type, sr.PATTERN_TYPES)
    pattern = sr.Pattern(
        pattern_type if pattern_type in sr.PATTERN_TYPES else None, _opt(request, "days_of_week"),
        _opt(request, "run_times"), _opt(request, "interval_value"), _opt(request, "interval_unit"),
        _opt(request, "interval_window_start"), _opt(request, "interval_window_end"),
    )
    expression = sr.pattern_cron(rules, pattern) if trigger == "Cron" else None
    expression = expression or _opt(request, "cron_expression") or None
    tz = _opt(request, "time_zone") or "UTC"
    if not cron.valid_timezone(tz):
        rules.add("timeZone", f"'{tz[:100]}' is not a known time zone (an IANA name such as Europe/London).",
                  "time_zone")
    if expression is not None:
        rules.length("cronExpression", expression, 1, sr.CRON_MAX)
    if trigger == "Cron":
        if expression is None:
            rules.add("cronExpression", "A cron expression is required when the trigger type is Cron.", "missing")
        elif len(expression.split()) != 5 or not cron.valid_cron(expression):
            rules.add("cronExpression", f"'{expression[:100]}' is not a five-field cron expression that fires "
                      f"at least once every {cron.MAX_YEARS_BETWEEN_FIRES} years.", "cron")
    steps = await _check_steps(conn, rules, list(request.steps), on_step_failure, stored_steps)
    rules.raise_if_any()
    return Checked(
        ScheduleFields(
            name=name, description=_opt(request, "description"), trigger_type=trigger, cron_expression=expression,
            time_zone=tz, pattern_type=pattern_type, days_of_week=pattern.days_of_week, run_times=pattern.run_times,
            interval_value=pattern.interval_value, interval_unit=pattern.interval_unit,
            interval_window_start=pattern.window_start, interval_window_end=pattern.window_end,
            is_enabled=bool(_opt(request, "is_enabled")), on_step_failure=on_step_failure,
        ),
        steps,
    )


async def _check_steps(
    conn: asyncpg.Connection, rules: Rules, steps: list[spb.ScheduleStep], schedule_setting: str,
    stored: dict[uuid.UUID, str],
) -> list[StepFields]:
    out: list[StepFields] = []
    for i, step in enumerate(steps):
        f = f"steps[{i}]"
        index = _opt(step, "step_index")
        if rules.required(f"{f}.stepIndex", index):
            rules.int_range(f"{f}.stepIndex", index, 0, sr.STEP_INDEX_MAX)
        step_type = _opt(step, "step_type") or None
        if rules.required(f"{f}.stepType", step_type) and rules.choice(f"{f}.stepType", step_type, sr.STEP_TYPES):
            if step_type != sr.RUNNABLE_STEP_TYPE:
                rules.add(f"{f}.stepType", f"{step_type} steps are not supported by this service: only "
                          "RunProfile steps run (a step that would never run is refused).", "not_supported")
        rules.length(f"{f}.name", _opt(step, "name"), 0, sr.NAME_MAX)
        if step.HasField("execution_mode"):
            rules.choice(f"{f}.executionMode", step.execution_mode, sr.EXECUTION_MODES)
        if step.HasField("on_failure"):
            rules.choice(f"{f}.onFailure", step.on_failure, sr.STEP_ON_FAILURE)
        rules.int_range(f"{f}.timeoutSeconds", _opt(step, "timeout_seconds"), 1, sr.TIMEOUT_MAX)
        step_id: uuid.UUID | None = None
        if step.HasField("id") and step.id:
            step_id = rules.uuid(f"{f}.id", step.id, "step id")
            if step_id is not None and step_id not in stored:
                rules.add(f"{f}.id", f"Schedule step with ID {step_id} is not a step of this schedule.", "not_found")
        cs_id, rp_id = _opt(step, "connected_system_id"), _opt(step, "run_profile_id")
        if not cs_id:
            rules.add(f"{f}.connectedSystemId", "The ConnectedSystemId field is required.", "missing")
        if not rp_id:
            rules.add(f"{f}.runProfileId", "The RunProfileId field is required.", "missing")
        if cs_id and rp_id:
            if await idm_db.get_connected_system(conn, cs_id) is None:
                rules.add(f"{f}.connectedSystemId", f"Connected system with ID {cs_id} not found.", "not_found")
            elif await idm_db.get_run_profile(conn, cs_id, rp_id) is None:
                rules.add(f"{f}.runProfileId",
                          f"Run profile with ID {rp_id} not found in connected system {cs_id}.", "not_found")
        on_failure = sr.step_on_failure(
            _opt(step, "on_failure") if _opt(step, "on_failure") in sr.STEP_ON_FAILURE else None,
            _opt(step, "continue_on_failure"), stored.get(step_id) if step_id else None, schedule_setting,
        )
        out.append(StepFields(
            id=step_id or uuid.uuid4(), step_index=index or 0, name=_opt(step, "name"),
            execution_mode=_opt(step, "execution_mode") or "Sequential", on_failure=on_failure,
            timeout_seconds=_opt(step, "timeout_seconds"), connected_system_id=cs_id or 0, run_profile_id=rp_id or 0,
        ))
    return out


async def sync_cron(conn: asyncpg.Connection, schedule_id: uuid.UUID, fields: ScheduleFields, was_enabled: bool) -> None:
    """Keeps the engine's schedule row in step: a Cron schedule has one (enabled
    or not); a re-enabled one starts from its next slot, not a missed one."""
    if fields.trigger_type != "Cron" or not fields.cron_expression:
        await schedules_db.delete_schedule(conn, KIND, schedule_id)
        return
    if fields.is_enabled and not was_enabled:
        await schedules_db.delete_schedule(conn, KIND, schedule_id)
    first = cron.next_after(fields.cron_expression, fields.time_zone, datetime.now(UTC))
    await schedules_db.upsert_schedule(conn, KIND, schedule_id, fields.cron_expression, fields.time_zone, OVERLAP,
                                       fields.is_enabled, first)


def _fields_of(row: Schedule, enabled: bool) -> ScheduleFields:
    return ScheduleFields(
        name=row.name, description=row.description, trigger_type=row.trigger_type,
        cron_expression=row.cron_expression, time_zone=row.time_zone, pattern_type=row.pattern_type,
        days_of_week=row.days_of_week, run_times=row.run_times, interval_value=row.interval_value,
        interval_unit=row.interval_unit, interval_window_start=row.interval_window_start,
        interval_window_end=row.interval_window_end, is_enabled=enabled, on_step_failure=row.on_step_failure,
    )


def change_reason(request: Any) -> str | None:
    """The caller's reason for a change (body, or `?changeReason=` on delete,
    enable and disable), checked like the body's other fields. Kept in the
    change's log event with who made it: the operators' audit trail."""
    reason = _opt(request, "change_reason")
    rules = Rules()
    rules.length("changeReason", reason, 0, sr.CHANGE_REASON_MAX)
    rules.raise_if_any()
    return str(reason) if reason else None


def queued_message(name: str) -> str:
    return f"Schedule '{name}' has been queued for execution."


class Schedules(Resource):
    @grpc_method
    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: grpc.aio.ServicerContext) -> pb.ListSchedulesResponse:
        page = page_of(request, SORT_KEYS, "created", "asc")
        search = request.search if request.HasField("search") and request.search else None
        rows, total = await db.list_schedules(self._pool, search, page.sort_by, sort_direction(request, page.direction),
                                              page.page_size, page.offset)
        return page.envelope(pb.ListSchedulesResponse(), [convert.schedule(r, None) for r in rows], total)

    @grpc_method
    async def GetSchedule(self, request: pb.GetScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self._message(schedule_uuid(request.id))

    @grpc_method
    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        schedule_id = uuid.uuid4()
        async with self._pool.acquire() as conn, conn.transaction():
            checked = await check_body(conn, request, None, {})
            await db.insert_schedule(conn, schedule_id, checked.fields)
            await db.replace_schedule_steps(conn, schedule_id, checked.steps)
            await sync_cron(conn, schedule_id, checked.fields, was_enabled=False)
        log.info("identity.schedule_created", schedule_id=str(schedule_id), trigger=checked.fields.trigger_type,
                 steps=len(checked.steps), by=actor(), change_reason=change_reason(request))
        return await self._message(schedule_id)

    @grpc_method
    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        schedule_id = schedule_uuid(request.id)
        async with self._pool.acquire() as conn, conn.transaction():
            stored = found(await db.lock_schedule(conn, schedule_id), "Schedule", schedule_id)
            stored_steps = {r.id: r.on_failure for r in await db.schedule_steps(conn, schedule_id)}
            checked = await check_body(conn, request, stored, stored_steps)
            await db.update_schedule(conn, schedule_id, checked.fields)
            await db.replace_schedule_steps(conn, schedule_id, checked.steps)
            await sync_cron(conn, schedule_id, checked.fields, was_enabled=stored.is_enabled)
        log.info("identity.schedule_replaced", schedule_id=str(schedule_id), steps=len(checked.steps), by=actor(),
                 change_reason=change_reason(request))
        return await self._message(schedule_id)

    @grpc_method
    async def DeleteSchedule(self, request: pb.DeleteScheduleRequest, context: grpc.aio.ServicerContext) -> pb.DeleteScheduleResponse:
        schedule_id = schedule_uuid(request.id)
        reason = change_reason(request)
        async with self._pool.acquire() as conn, conn.transaction():
            found(await db.lock_schedule(conn, schedule_id), "Schedule", schedule_id)
            await db.delete_schedule(conn, schedule_id)
            await schedules_db.delete_schedule(conn, KIND, schedule_id)
        log.info("identity.schedule_deleted", schedule_id=str(schedule_id), by=actor(), change_reason=reason)
        return pb.DeleteScheduleResponse()

    @grpc_method
    async def EnableSchedule(self, request: pb.EnableScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self._set_enabled(request.id, True, change_reason(request))

    @grpc_method
    async def DisableSchedule(self, request: pb.DisableScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self._set_enabled(request.id, False, change_reason(request))

    @grpc_method
    async def RunSchedule(self, request: pb.RunScheduleRequest, context: grpc.aio.ServicerContext) -> pb.RunScheduleResponse:
        """Starts an execution now: manual runs work on disabled schedules and may overlap."""
        schedule_id = schedule_uuid(request.id)
        async with self._pool.acquire() as conn, conn.transaction():
            schedule = found(await db.lock_schedule(conn, schedule_id), "Schedule", schedule_id)
            graph = await new_graph(conn, schedule, triggered_by="manual")
            if graph is None:
                raise FailedPrecondition(f"Schedule '{schedule.name}' has no steps to run.")
            execution = await self._engine.graphs.start(graph, conn)
        log.info("identity.schedule_run", schedule_id=str(schedule_id), execution_id=str(execution.id))
        return pb.RunScheduleResponse(execution_id=str(execution.id), message=queued_message(schedule.name))

    # -- helpers ---------------------------------------------------------------------
    async def _set_enabled(self, raw_id: str, enabled: bool, reason: str | None) -> spb.Schedule:
        schedule_id = schedule_uuid(raw_id)
        async with self._pool.acquire() as conn, conn.transaction():
            stored = found(await db.lock_schedule(conn, schedule_id), "Schedule", schedule_id)
            await db.set_schedule_enabled(conn, schedule_id, enabled)
            await sync_cron(conn, schedule_id, _fields_of(stored, enabled), was_enabled=stored.is_enabled)
        log.info("identity.schedule_enabled" if enabled else "identity.schedule_disabled", schedule_id=str(schedule_id),
                 by=actor(), change_reason=reason)
        return await self._message(schedule_id)

    async def _message(self, schedule_id: uuid.UUID) -> spb.Schedule:
        row = found(await db.get_schedule(self._pool, schedule_id), "Schedule", schedule_id)
        return convert.schedule(row, await db.schedule_steps(self._pool, schedule_id))


__all__ = ["Schedules", "schedule_uuid"]
