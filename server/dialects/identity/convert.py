"""Rows to the dialect's messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.server.db.identity_models import (
    ActivityView,
    ConnectedSystemHeader,
    ConnectedSystemView,
    ConnectorDefinition,
    Partition,
    RunProfile,
    SyncRule,
    WorkerTask,
)
from syncplane.server.dialects.common import set_present
from syncplane.server.dialects.identity import status as st


def _ts(target: timestamp_pb2.Timestamp, value: datetime | str | None) -> None:
    if value is None:
        return
    if isinstance(value, str):
        try:
            target.FromJsonString(value)
        except ValueError:  # an executor's malformed time is left out, not fatal
            return
        return
    target.FromDatetime(value.astimezone(UTC))


def connector_definition(row: ConnectorDefinition) -> mpb.ConnectorDefinition:
    msg = mpb.ConnectorDefinition(
        id=row.id, name=row.name, description=row.description, connector=row.connector,
        supports_full_import=row.supports_full_import, supports_delta_import=row.supports_delta_import,
        supports_export=row.supports_export, supports_partitions=row.supports_partitions,
        supports_file_paths=row.supports_file_paths, runnable=row.runnable,
    )
    if row.unavailable_reason:
        msg.unavailable_reason = row.unavailable_reason
    for s in row.settings:
        setting = msg.settings.add(
            name=s["name"], type=s["type"], required=bool(s.get("required")), secret=bool(s.get("secret")),
            description=s.get("description", ""),
        )
        if "default" in s:
            setting.default.CopyFrom(json_format.ParseDict(s["default"], struct_pb2.Value()))
    return msg


def partition(row: Partition) -> mpb.Partition:
    return mpb.Partition(id=row.id, name=row.name, external_id=row.external_id, selected=row.selected)


def connected_system_header(row: ConnectedSystemHeader) -> mpb.ConnectedSystemHeader:
    msg = mpb.ConnectedSystemHeader(
        id=row.id, name=row.name, status=row.status, object_count=row.object_count,
        connector_name=row.connector_name, connector_id=row.connector_id,
        pending_export_objects_count=row.pending_export_count,
    )
    if row.description is not None:
        msg.description = row.description
    _ts(msg.created, row.created_at)
    return msg


def connected_system(row: ConnectedSystemView, partitions: list[Partition], secret_names: list[str]) -> mpb.ConnectedSystem:
    msg = mpb.ConnectedSystem(
        id=row.id, name=row.name, status=row.status, object_count=row.object_count,
        pending_export_objects_count=row.pending_export_count, connector_name=row.connector_name,
        connector_id=row.connector_definition_id, secret_settings=secret_names,
        partitions=[partition(p) for p in partitions], containers=[str(c) for c in row.containers],
    )
    if row.description is not None:
        msg.description = row.description
    msg.settings.update(row.settings)
    for ot in row.object_types:
        msg.object_types.append(object_type(ot))
    _ts(msg.created, row.created_at)
    _ts(msg.last_updated, row.updated_at)
    _ts(msg.schema_imported, row.schema_imported_at)
    return msg


def object_type(value: dict[str, Any]) -> mpb.ObjectType:
    return mpb.ObjectType(
        name=str(value.get("name", "")), anchor=str(value.get("anchor", "")),
        attributes=[
            mpb.Attribute(name=str(a.get("name", "")), type=str(a.get("type", "string")),
                          multi_valued=bool(a.get("multiValued")))
            for a in value.get("attributes") or [] if isinstance(a, dict)
        ],
    )


def run_profile(row: RunProfile) -> mpb.RunProfile:
    msg = mpb.RunProfile(
        id=row.id, name=row.name, connected_system_id=row.connected_system_id, run_type=row.run_type,
        page_size=row.page_size,
    )
    if row.partition_name is not None:
        msg.partition_name = row.partition_name
    if row.file_path is not None:
        msg.file_path = row.file_path
    return msg


def sync_rule(row: SyncRule) -> mpb.SyncRule:
    msg = json_format.ParseDict(row.rule, mpb.SyncRule(), ignore_unknown_fields=True)
    msg.id = row.id
    msg.name = row.name
    msg.connected_system_id = row.connected_system_id
    msg.direction = row.direction
    msg.enabled = row.enabled
    msg.precedence = row.precedence
    _ts(msg.created, row.created_at)
    _ts(msg.last_updated, row.updated_at)
    return msg


# -- activities ----------------------------------------------------------------------
def detail_of(row: ActivityView) -> dict[str, Any]:
    """The executor's detail: the final one once ended, else the live one."""
    if row.status in st.TERMINAL:
        return dict(row.detail or {})
    progress = row.run_progress or {}
    return dict(progress.get("detail") or {})


def executed_at(row: ActivityView) -> datetime | None:
    return row.first_started_at or row.executed_at


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def counters(detail: dict[str, Any]) -> mpb.ActivityCounters:
    c = st.counters(detail)
    return mpb.ActivityCounters(
        total_added=c["totalAdded"], total_updated=c["totalUpdated"], total_deleted=c["totalDeleted"],
        total_projected=c["totalProjected"], total_joined=c["totalJoined"],
        total_attribute_flows=c["totalAttributeFlows"], total_disconnected=c["totalDisconnected"],
        total_provisioned=c["totalProvisioned"], total_exported=c["totalExported"],
        total_pending_exports=c["totalPendingExports"], total_errors=st.error_count(detail),
    )


def activity(row: ActivityView) -> mpb.Activity:
    detail = detail_of(row)
    executed = executed_at(row)
    msg = mpb.Activity(
        id=str(row.id), status=row.status, target_type=row.target_type,
        target_operation_type=row.target_operation_type, initiated_by_type=row.initiated_by_type,
        objects_to_process=_count(detail.get("objectsToProcess")),
        objects_processed=_count(detail.get("objectsProcessed")),
        connected_system_run_type=row.run_type, counters=counters(detail),
    )
    set_present(
        msg,
        target_name=row.target_name, target_context=row.target_context, initiated_by_id=row.initiated_by_id,
        initiated_by_name=row.initiated_by_name, error_message=row.error_message,
        warning_message=row.warning_message,
    )
    live_message = detail.get("message") if row.status == st.IN_PROGRESS else None
    if live_message or row.message:
        msg.message = str(live_message or row.message)
    if row.connected_system_id is not None:
        msg.connected_system_id = row.connected_system_id
    if row.run_profile_id is not None:
        msg.connected_system_run_profile_id = row.run_profile_id
    if row.schedule_execution_id is not None:
        msg.schedule_execution_id = str(row.schedule_execution_id)
        msg.schedule_step_index = row.schedule_step_index
    if row.scheduled_by_schedule_id is not None:
        msg.scheduled_by_schedule_id = str(row.scheduled_by_schedule_id)
        if row.scheduled_by_schedule_name is not None:
            msg.scheduled_by_schedule_name = row.scheduled_by_schedule_name
    _ts(msg.created, row.created_at)
    _ts(msg.executed, executed)
    _ts(msg.ended, row.ended_at)
    execution = _seconds(executed, row.ended_at)
    if execution is not None:
        msg.execution_time = execution
    total = _seconds(row.created_at, row.ended_at)
    if total is not None:
        msg.total_activity_time = total
    return msg


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


OPERATION_NAMES = {
    "totalAdded": "Added", "totalUpdated": "Updated", "totalDeleted": "Deleted", "totalProjected": "Projected",
    "totalJoined": "Joined", "totalAttributeFlows": "AttributeFlows", "totalDisconnected": "Disconnected",
    "totalProvisioned": "Provisioned", "totalExported": "Exported", "totalPendingExports": "PendingExports",
}


def progress(row: ActivityView, now: datetime | None = None) -> mpb.ActivityProgress:
    now = now or datetime.now(UTC)
    detail = detail_of(row)
    terminal = row.status in st.TERMINAL
    executed = executed_at(row)
    end = row.ended_at if terminal else now
    elapsed = max(0.0, _seconds(executed, end) or 0.0)
    processed = _count(detail.get("objectsProcessed"))
    to_process = _count(detail.get("objectsToProcess"))
    r = st.rates(processed, to_process, elapsed, terminal)
    phases = [p for p in detail.get("phases") or [] if isinstance(p, dict)]
    current = detail.get("currentPhase")
    msg = mpb.ActivityProgress(
        id=str(row.id), status=row.status, objects_processed=processed, objects_to_process=to_process,
        elapsed_seconds=round(elapsed, 3), objects_per_second=r.objects_per_second, run_type=row.run_type,
        total_errors=st.error_count(detail), total_phases=len(phases),
    )
    c = st.counters(detail)
    for key, name in OPERATION_NAMES.items():
        msg.operation_counts[name] = c[key]
    if r.percent_complete is not None:
        msg.percent_complete = r.percent_complete
    if r.estimated_seconds_remaining is not None:
        msg.estimated_seconds_remaining = r.estimated_seconds_remaining
    text = detail.get("message") if not terminal else row.message
    if text:
        msg.message = str(text)
    for p in phases:
        phase = msg.phases.add(key=str(p.get("key", "")), name=str(p.get("name", p.get("key", ""))),
                               status=str(p.get("status", "Pending")))
        _ts(phase.started, p.get("started"))
        _ts(phase.ended, p.get("ended"))
    if current:
        msg.current_phase = str(current)
    number = st.current_phase_number(phases, str(current) if current else None)
    if number is not None:
        msg.current_phase_number = number
    _ts(msg.retrieved_at, now)
    return msg


def stats(row: ActivityView) -> mpb.ActivityStats:
    detail = detail_of(row)
    c = st.counters(detail)
    msg = mpb.ActivityStats(
        activity_id=str(row.id), status=row.status,
        total_objects_processed=_count(detail.get("objectsProcessed")),
        total_object_changes=c["totalAdded"] + c["totalUpdated"] + c["totalDeleted"],
        counters=counters(detail), warnings=[str(w) for w in detail.get("warnings") or []],
    )
    for item in detail.get("itemErrors") or []:
        if isinstance(item, dict):
            msg.item_errors.add(anchor=str(item.get("anchor", "")), error=str(item.get("error", "")))
    return msg


TASK_STATUS = {
    "pending": "Queued", "running": "Processing", "cancelling": "CancellationRequested",
    # A task's last state, as a cancel answers it when the task ended at once.
    "cancelled": "Cancelled", "succeeded": "Complete", "failed": "Failed",
}


#: A queued task behind another run of its connected system (the reference's status for a
#: task that waits for the one before it), as opposed to one waiting only for an executor.
WAITING_FOR_PREVIOUS = "WaitingForPreviousStep"


def task_status(run_status: str, waiting: bool) -> str:
    if run_status == "pending" and waiting:
        return WAITING_FOR_PREVIOUS
    return TASK_STATUS.get(run_status, run_status)


#: What /progress derives from the clock alone: it moves while nothing else does.
CLOCK_FIELDS = ("retrieved_at", "elapsed_seconds", "objects_per_second", "estimated_seconds_remaining")


def progress_state(msg: mpb.ActivityProgress) -> bytes:
    """A progress snapshot without its clock-derived fields: two snapshots with the
    same state tell a watcher nothing new."""
    state = mpb.ActivityProgress()
    state.CopyFrom(msg)
    for name in CLOCK_FIELDS:
        state.ClearField(name)
    return state.SerializeToString(deterministic=True)


def worker_task(row: WorkerTask) -> mpb.WorkerTask:
    operation = row.target_operation_type
    msg = mpb.WorkerTask(
        id=str(row.root_run_id), activity_id=str(row.activity_id),
        type="ImportSchema" if operation == "ImportSchema" else "ExecuteRunProfile",
        status=task_status(row.run_status, bool(row.waiting)), attempt=row.attempt_number,
    )
    name = row.target_name or row.target_context
    if name:
        msg.name = name
    if row.connected_system_id is not None:
        msg.connected_system_id = row.connected_system_id
    if row.run_profile_id is not None:
        msg.run_profile_id = row.run_profile_id
    if row.executor_id:
        msg.executor_id = row.executor_id
    _ts(msg.created, row.created_at)
    _ts(msg.started, row.started_at)
    return msg
