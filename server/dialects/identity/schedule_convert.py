"""Rows → identity schedule and schedule-execution messages (the reference's
fields, statuses and texts), plus the per-step progress the CLI draws."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.server.db.identity_models import ExecutionStep, ScheduleExecution, ScheduleStep, ScheduleView
from syncplane.server.dialects.common import set_present
from syncplane.server.dialects.identity import status as st
from syncplane.server.dialects.identity.schedule_rules import effective
from syncplane.server.engine import graph_policy as gp

EXECUTION_STATUS = {
    gp.GRAPH_RUNNING: "InProgress",
    # Cancelled at once, as the reference does; running steps stop in the background.
    gp.GRAPH_CANCELLING: "Cancelled",
    gp.GRAPH_SUCCEEDED: "Complete",
    gp.GRAPH_COMPLETED_WITH_ERRORS: "CompleteWithError",
    gp.GRAPH_FAILED: "Failed",
    gp.GRAPH_CANCELLED: "Cancelled",
}
ACTIVE_STATUSES = frozenset({"Queued", "InProgress"})
DIALECT_SETTING = {"stop": "Stop", "continue": "Continue"}
NOT_RUN = "Not run: an earlier step stopped the Schedule."
CANCELLED_BY_USER = "Cancelled by user"


def _ts(target: timestamp_pb2.Timestamp, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def schedule(row: ScheduleView, steps: Sequence[ScheduleStep] | None) -> spb.Schedule:
    """A schedule; with `steps` (get, create, replace) or as a list item (latest execution)."""
    msg = spb.Schedule(
        id=str(row.id), name=row.name, trigger_type=row.trigger_type, time_zone=row.time_zone,
        is_enabled=row.is_enabled, on_step_failure=row.on_step_failure, step_count=row.step_count,
    )
    set_present(
        msg,
        description=row.description, cron_expression=row.cron_expression, pattern_type=row.pattern_type,
        days_of_week=row.days_of_week, run_times=row.run_times, interval_value=row.interval_value,
        interval_unit=row.interval_unit, interval_window_start=row.interval_window_start,
        interval_window_end=row.interval_window_end,
    )
    _ts(msg.created, row.created_at)
    _ts(msg.last_updated, row.updated_at)
    _ts(msg.last_run_time, row.last_run_at)
    if row.is_enabled and row.trigger_type == "Cron":
        _ts(msg.next_run_time, row.next_fire_at)
    if steps is not None:
        msg.steps.extend(schedule_step(s, row.on_step_failure) for s in steps)
    elif row.last_graph_id is not None:
        msg.last_execution_id = str(row.last_graph_id)
        msg.last_execution_status = EXECUTION_STATUS[row.last_graph_status]
        if row.last_current_group is not None:
            msg.last_execution_current_step_index = row.last_current_group
        msg.last_execution_total_steps = row.last_group_count
        msg.last_execution_failed_step_indices.extend(row.last_failed_groups or [])
        _ts(msg.last_execution_completed_at, row.last_completed_at)
        if row.last_error is not None:
            msg.last_execution_error_message = row.last_error
    return msg


def schedule_step(row: ScheduleStep, schedule_setting: str) -> spb.ScheduleStep:
    cont, source = effective(row.on_failure, schedule_setting)
    msg = spb.ScheduleStep(
        id=str(row.id), step_index=row.step_index, execution_mode=row.execution_mode,
        step_type=row.step_type, on_failure=row.on_failure, continue_on_failure=cont,
        failure_behaviour_source=source, connected_system_id=row.connected_system_id,
        run_profile_id=row.run_profile_id,
    )
    set_present(
        msg,
        name=row.name, timeout_seconds=row.timeout_seconds, connected_system_name=row.connected_system_name,
        run_profile_name=row.run_profile_name,
    )
    return msg


def _initiated(msg: spb.ScheduleExecution, by: Any) -> None:
    by = list(by or ["System", None, None])
    msg.initiated_by_type = by[0] or "System"
    if by[1] is not None:
        msg.initiated_by_id = str(by[1])
    if by[2] is not None:
        msg.initiated_by_name = str(by[2])


def execution(row: ScheduleExecution, steps: Sequence[ExecutionStep] | None = None) -> spb.ScheduleExecution:
    """An execution (a run graph); with `steps` (the detail) its per-step detail and progress."""
    msg = spb.ScheduleExecution(
        id=str(row.id), schedule_id=str(row.subject_id), status=EXECUTION_STATUS[row.status],
        total_steps=row.group_count,
    )
    if row.label is not None:
        msg.schedule_name = row.label
    if row.current_group is not None:
        msg.current_step_index = row.current_group
    _ts(msg.queued_at, row.created_at)
    _ts(msg.started_at, row.started_at)
    _ts(msg.completed_at, row.completed_at)
    _initiated(msg, row.initiated_by)
    if row.status in (gp.GRAPH_CANCELLING, gp.GRAPH_CANCELLED):
        msg.error_message = CANCELLED_BY_USER
    elif row.error is not None:
        msg.error_message = row.error
    elif row.status == gp.GRAPH_COMPLETED_WITH_ERRORS and steps is not None:
        failed = sorted({s.params["stepIndex"] for s in steps if s.status == gp.FAILED})
        msg.error_message = f"Completed with errors: step(s) {', '.join(map(str, failed))} failed."
    if steps is not None:
        setting = DIALECT_SETTING[row.on_step_failure]
        details = [execution_step(s, setting) for s in steps]
        msg.steps.extend(details)
        msg.progress.CopyFrom(progress(row.current_group, details))
    return msg


def _step_status(row: ExecutionStep) -> tuple[str, str]:
    """(status text, progress enum name) of one step."""
    status = row.status
    if status == gp.WAITING:
        return "Waiting", "Pending"
    if status == gp.RUNNING:
        if row.run_status == "pending":
            return "Queued", "Queued"
        return "Running", "Processing"
    if status == gp.SUCCEEDED:
        if row.activity_status == st.COMPLETE_WITH_WARNING:
            return "Completed with Warning", "CompletedWithWarning"
        return "Completed", "Completed"
    if status == gp.FAILED:
        return "Failed", "Failed"
    if row.reason == gp.REASON_STOPPED:
        return "Not run", "NotRun"
    return "Cancelled", "Cancelled"


def _detail(row: ExecutionStep) -> dict[str, Any]:
    if row.activity_status in st.TERMINAL:
        return dict(row.activity_detail or {})
    return dict((row.run_progress or {}).get("detail") or {})


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def execution_step(row: ExecutionStep, schedule_setting: str) -> spb.ScheduleExecutionStep:
    p = row.params
    text, _ = _step_status(row)
    applied = row.applied_on_failure
    if applied is not None:
        cont, source = applied == "continue", ("Schedule" if p.get("onFailure") == "FollowSchedule" else "Step")
    else:
        cont, source = effective(p.get("onFailure") or "FollowSchedule", schedule_setting)
    msg = spb.ScheduleExecutionStep(
        step_index=int(p["stepIndex"]), step_type="RunProfile", status=text, continue_on_failure=cont,
        failure_behaviour_source=source, connected_system_id=int(p["connectedSystemId"]),
        run_profile_id=int(p["runProfileId"]),
    )
    name = p.get("name") or p.get("runProfileName")
    if name:
        msg.name = str(name)
    if p.get("connectedSystemName"):
        msg.connected_system_name = str(p["connectedSystemName"])
    if p.get("runProfileName"):
        msg.run_profile_name = str(p["runProfileName"])
    if row.run_id is not None:
        msg.task_id = str(row.run_id)
    if row.activity_id is not None:
        msg.activity_id = str(row.activity_id)
        msg.activity_status = row.activity_status
    _ts(msg.started_at, row.first_started_at)
    _ts(msg.completed_at, row.ended_at)
    if row.error is not None:
        msg.error_message = row.error
    if row.status == gp.CANCELLED:
        msg.cancellation_reason = NOT_RUN if row.reason == gp.REASON_STOPPED else CANCELLED_BY_USER
    detail = _detail(row)
    msg.objects_processed = _int(detail.get("objectsProcessed"))
    msg.objects_to_process = _int(detail.get("objectsToProcess"))
    if msg.objects_to_process > 0:
        msg.percent_complete = round(min(100.0, msg.objects_processed * 100.0 / msg.objects_to_process), 1)
    elif row.status == gp.SUCCEEDED:
        msg.percent_complete = 100.0
    phase = detail.get("currentPhase")
    if phase:
        msg.current_phase = str(phase)
    return msg


_GROUP_ORDER = ("Processing", "Queued", "Failed", "Cancelled", "CompletedWithWarning", "Completed", "NotRun",
                "Pending")
_ENUM_OF_TEXT = {"Waiting": "Pending", "Queued": "Queued", "Running": "Processing", "Completed": "Completed",
                 "Completed with Warning": "CompletedWithWarning", "Failed": "Failed", "Not run": "NotRun",
                 "Cancelled": "Cancelled"}


def progress(current_group: int | None, steps: Sequence[spb.ScheduleExecutionStep]) -> spb.ScheduleExecutionProgress:
    """Per group: its status (the most telling of its steps'), each step's, and whether it runs in parallel."""
    groups = sorted({s.step_index for s in steps})
    msg = spb.ScheduleExecutionProgress(total_steps=len(groups))
    if current_group is not None and current_group in groups:
        msg.current_step_number = groups.index(current_group) + 1
    for group in groups:
        members = [s for s in steps if s.step_index == group]
        statuses = [_ENUM_OF_TEXT[s.status] for s in members]
        entry = spb.ScheduleExecutionProgressStep(
            step_index=group, status=min(statuses, key=_GROUP_ORDER.index), task_statuses=statuses,
            is_parallel=len(members) > 1,
        )
        names = [s.name for s in members if s.HasField("name")]
        if names:
            entry.name = " + ".join(names)
        msg.steps.append(entry)
    return msg
