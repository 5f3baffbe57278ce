"""Rows to the dialect's messages: snake_case, timestamps with milliseconds and Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from google.protobuf import json_format

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.server.db.jobs_models import (
    CronTrigger,
    Daemon,
    IntegratedAccount,
    Integration,
    JobRun,
    SyncJob,
    Webhook,
)
from syncplane.server.dialects.common import set_present

#: How long after its last heartbeat a connected executor still counts as active.
DAEMON_ACTIVE_WINDOW = timedelta(seconds=30)


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def integration(row: Integration) -> mpb.Integration:
    return set_present(
        mpb.Integration(), id=str(row.id), name=row.name, label=row.label, base_url=row.base_url,
        auth=row.auth, resources=row.resources, created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )


def account(row: IntegratedAccount) -> mpb.IntegratedAccount:
    return set_present(
        mpb.IntegratedAccount(), id=str(row.id), integration_name=row.integration_name,
        context=row.context, tenant_id=row.tenant_id, environment_id=str(row.environment_id),
        has_credentials=row.has_credentials, created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )


def webhook(row: Webhook, secret: str | None = None) -> mpb.Webhook:
    return set_present(
        mpb.Webhook(event_types=list(row.event_types)), id=str(row.id), target_url=row.target_url,
        is_active=row.is_active, environment_id=str(row.environment_id), secret=secret,
        consecutive_failures=row.consecutive_failures, created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )


def delivery(row: asyncpg.Record) -> mpb.WebhookDelivery:
    """One outbox row of a run with its logged attempts (`log`: a JSON list, oldest first)."""
    msg = set_present(
        mpb.WebhookDelivery(), id=str(row["id"]), event_id=str(row["event_id"]), event=row["event"],
        webhook_id=str(row["webhook_id"]), target_url=row["target_url"], status=row["status"],
        attempt_count=row["attempts"], last_error=row["last_error"], created_at=ts(row["created_at"]),
        delivered_at=ts(row["delivered_at"]), set_aside_at=ts(row["set_aside_at"]),
        next_attempt_at=ts(row["next_attempt_at"]) if row["status"] == "pending" else None, body=row["body"],
    )
    for entry in row["log"] or []:
        msg.attempts.append(set_present(
            mpb.WebhookDeliveryAttempt(), attempt=entry["attempt"], http_status=entry["http_status"],
            error=entry["error"], duration_ms=entry["duration_ms"],
            at=ts(datetime.fromisoformat(entry["at"])),
        ))
    return msg


def resources(items: list[dict[str, Any]]) -> list[mpb.SyncJobResource]:
    return [json_format.ParseDict(item, mpb.SyncJobResource()) for item in items]


def sync_job(row: SyncJob) -> mpb.SyncJob:
    return set_present(
        mpb.SyncJob(resources=resources(row.resources)), id=str(row.id),
        integration_name=row.integration_name, label=row.label, args_schema=row.args_schema,
        environment_id=str(row.environment_id), mutex_key=row.mutex_key, created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )


def run(row: JobRun, job: SyncJob | None) -> mpb.SyncJobRun:
    msg = set_present(
        mpb.SyncJobRun(resources=resources(row.resources)), id=str(row.id), args=row.args,
        sync_job_id=str(row.sync_job_id), integrated_account_id=str(row.integrated_account_id),
        status=row.status, daemon_id=row.daemon_id, daemon_group_key=row.daemon_group_key,
        webhook_id=str(row.webhook_id) if row.webhook_id else None, error_handling=row.error_handling,
        ignore_previous_run=row.ignore_previous_run, mutex_key=row.mutex_key,
        previous_run_date=ts(row.previous_run_date),
        rate_limited_until=row.rate_limited_until if row.status == "rate_limited" else None,
        error=row.error if row.status == "failed" else None,
        created_at=ts(row.created_at), updated_at=ts(row.changed_at), started_at=ts(row.started_at),
        finished_at=ts(row.finished_at),
    )
    msg.resource_stats.update(row.resource_stats or {})
    if job is not None:
        msg.sync_job.CopyFrom(sync_job(job))
    return msg


def cron_trigger(row: CronTrigger) -> mpb.SyncJobCronTrigger:
    return set_present(
        mpb.SyncJobCronTrigger(), id=str(row.id), sync_job_id=str(row.sync_job_id),
        integrated_account_id=str(row.integrated_account_id), args=row.args,
        cron_expression=row.cron_expression, daemon_group_key=row.daemon_group_key,
        webhook_id=str(row.webhook_id) if row.webhook_id else None, error_handling=row.error_handling,
        ignore_previous_run=row.ignore_previous_run, next_run_at=ts(row.next_run_at),
        last_run_at=ts(row.last_run_at), created_at=ts(row.created_at), updated_at=ts(row.updated_at),
    )


def daemon_status(row: Daemon, now: datetime) -> str:
    if row.connected is None:
        return "starting"  # registered, never connected
    if not row.connected or row.last_seen_at < now - DAEMON_ACTIVE_WINDOW:
        return "stopped"
    return "stopping" if row.draining else "active"


def daemon(row: Daemon) -> mpb.Daemon:
    now = datetime.now(UTC)
    return set_present(
        mpb.Daemon(), id=str(row.id), label=row.label, group_key=row.group_key,
        status=daemon_status(row, now), last_active_at=ts(row.last_seen_at), created_at=ts(row.created_at),
        updated_at=ts(row.updated_at),
    )
