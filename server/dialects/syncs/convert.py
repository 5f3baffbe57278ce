"""Rows -> syncs dialect messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import timestamp_pb2

from syncplane.server.db.models import Run
from syncplane.server.db.sync_models import Connection, Sync
from syncplane.syncs.v1 import messages_pb2 as pb
from syncplane.wire import to_struct


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def _opt(value: Any) -> Any:
    return None if value is None else str(value)


def binding(b: dict[str, Any]) -> pb.TableBinding:
    msg = pb.TableBinding(
        id=b["id"],
        entity_key=b["entityKey"],
        primary_key_columns=b.get("primaryKeyColumns") or [],
        load_mode=b["loadMode"],
        table_naming_version=b.get("tableNamingVersion", "legacy"),
    )
    for key, attr in (
        ("logicalTableName", "logical_table_name"),
        ("physicalTableName", "physical_table_name"),
        ("tableName", "table_name"),
        ("cursorField", "cursor_field"),
        ("sourceInstanceKey", "source_instance_key"),
    ):
        if b.get(key) is not None:
            setattr(msg, attr, b[key])
    for key, attr in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        if b.get(key):
            getattr(msg, attr).FromJsonString(b[key])
    return msg


def sync(row: Sync) -> pb.Sync:
    msg = pb.Sync(
        id=str(row.id),
        connection_id=str(row.connection_id),
        name=row.name,
        provider_key=row.provider_key,
        entities=list(row.entities),
        source_config=to_struct(row.source_config),
        destination_config=to_struct(row.destination_config),
        execution_backend=row.execution_backend,
        execution_config=to_struct(row.execution_config),
        execution_mode=row.execution_mode,
        status=row.status,
        trigger_mode=row.trigger_mode,
        table_bindings=[binding(b) for b in row.table_bindings],
        created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )
    if row.schedule is not None:
        msg.schedule.CopyFrom(to_struct(row.schedule))
    optional = {
        "slug": row.slug, "freshness_sla_seconds": row.freshness_sla_seconds, "last_error": row.last_error,
        "task_slug": row.task_slug, "created_by": row.created_by, "updated_by": row.updated_by,
    }
    for attr, value in optional.items():
        if value is not None:
            setattr(msg, attr, value)
    if row.last_success_at is not None:
        msg.last_success_at.CopyFrom(ts(row.last_success_at))
    _freshness(msg, row)
    return msg


def _freshness(msg: pb.Sync, row: Sync) -> None:
    """Fresh while the last success is younger than the SLA; never fresh before one."""
    sla = row.freshness_sla_seconds
    if sla is None:
        return
    last = row.last_success_at
    if last is None:
        msg.fresh = False
        return
    until = last + timedelta(seconds=sla)
    msg.fresh = until > datetime.now(UTC)
    msg.fresh_until.CopyFrom(ts(until))


def run(row: Run) -> pb.SyncRun:
    summary = dict(row.summary or {})
    if row.status in ("running", "cancelling") and row.progress:
        # While it runs, the summary is the latest coalesced progress.
        summary = dict(row.progress)
    msg = pb.SyncRun(
        id=str(row.id),
        sync_id=str(row.subject_id),
        status=row.status,
        run_mode=row.run_mode,
        triggered_by=row.triggered_by,
        execution_backend=row.execution_backend,
        execution_mode=row.execution_mode,
        attempt_number=row.attempt_number,
        max_auto_resume_attempts=row.max_auto_resume_attempts,
        summary=to_struct(summary),
        # Whichever backend ran it: what that backend said of it, and the checkpoint.
        backend_status=to_struct({**({"checkpoint": row.checkpoint} if row.checkpoint else {}), **row.backend_status}),
    )
    texts: tuple[tuple[str, object], ...] = (
        ("trigger_ref", row.trigger_ref),
        ("executor_id", row.executor_id),
        ("attempt_root_run_id", row.attempt_root_run_id),
        ("previous_attempt_run_id", row.previous_attempt_run_id),
        ("next_attempt_run_id", row.next_attempt_run_id),
        ("cancel_requested_by", row.cancel_requested_by),
        ("cancel_reason", row.cancel_reason),
        ("result_class", row.result_class),
        ("result_reason_code", row.result_reason_code),
        ("error", row.error),
        ("backend_run_ref", row.backend_run_ref),
        ("backend_run_url", row.backend_run_url),
    )
    for attr, text in texts:
        if text is not None:
            setattr(msg, attr, str(text))
    moments: tuple[tuple[str, datetime | None], ...] = (
        ("last_heartbeat_at", row.last_heartbeat_at),
        ("backend_heartbeat_at", row.backend_heartbeat_at or row.last_heartbeat_at),
        ("cancel_requested_at", row.cancel_requested_at),
        ("started_at", row.started_at),
        ("completed_at", row.completed_at),
        ("created_at", row.created_at),
        ("updated_at", row.updated_at),
    )
    for attr, moment in moments:
        if moment is not None:
            getattr(msg, attr).CopyFrom(ts(moment))
    return msg


def connection(row: Connection, secret_keys: list[str]) -> pb.Connection:
    msg = pb.Connection(
        id=str(row.id),
        name=row.name,
        provider_key=row.provider_key,
        config=to_struct(row.config),
        secret_keys=secret_keys,
        created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )
    for attr, value in (("created_by", row.created_by), ("updated_by", row.updated_by)):
        if value is not None:
            setattr(msg, attr, value)
    return msg
