"""Domain objects of the sync-jobs dialect: its run view, integrations, integrated accounts,
webhooks, sync jobs, cron triggers and daemons."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRun(RowModel):
    """A sync job run as the dialect shows it (a row of syncplane.jobs_runs_view: the dialect's row
    joined with its latest engine attempt, whose status is mapped to the dialect's vocabulary)."""

    id: uuid.UUID
    sync_job_id: uuid.UUID
    integrated_account_id: uuid.UUID
    args: dict[str, Any]
    resources: Any
    daemon_group_key: str | None
    webhook_id: uuid.UUID | None
    error_handling: str
    ignore_previous_run: bool
    mutex_key: str | None
    previous_run_date: datetime | None
    environment_id: uuid.UUID
    triggered_by: str
    created_at: datetime
    updated_at: datetime
    #: The latest engine attempt (None until the first is queued).
    engine_run_id: uuid.UUID | None
    daemon_id: str | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None
    #: The later of the dialect row's and the attempt's last change: the list's cursor.
    changed_at: datetime
    resource_stats: dict[str, Any]
    rate_limited_until: str | None
    #: created | running | rate_limited | stopped | completed | failed
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Integration(RowModel):
    """An outside API the sync jobs read (a row of syncplane.jobs_integrations)."""

    id: uuid.UUID
    name: str
    label: str
    base_url: str
    auth: dict[str, Any]
    resources: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegratedAccount(RowModel):
    """One tenant's account at an integration (a row of syncplane.jobs_integrated_accounts). Its
    credentials live sealed in syncplane.credentials under `credential_id`, never here."""

    id: uuid.UUID
    integration_name: str
    context: dict[str, Any]
    tenant_id: str | None
    environment_id: uuid.UUID
    credential_id: uuid.UUID
    has_credentials: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook(RowModel):
    """Where run events are delivered (a row of syncplane.jobs_webhooks); its signing secret lives
    sealed under `credential_id`."""

    id: uuid.UUID
    target_url: str
    event_types: list[str]
    is_active: bool
    environment_id: uuid.UUID
    credential_id: uuid.UUID
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncJob(RowModel):
    """A sync job (a row of syncplane.jobs_sync_jobs): which resources of an integration it reads."""

    id: uuid.UUID
    integration_name: str
    label: str
    args_schema: dict[str, Any] | None
    resources: list[dict[str, Any]]
    environment_id: uuid.UUID
    mutex_key: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CronTrigger(RowModel):
    """A cron trigger of a sync job (a row of syncplane.jobs_cron_triggers) with its schedule's
    times (None while it has no slot)."""

    id: uuid.UUID
    sync_job_id: uuid.UUID
    integrated_account_id: uuid.UUID
    args: dict[str, Any]
    cron_expression: str
    daemon_group_key: str | None
    webhook_id: uuid.UUID | None
    error_handling: str
    ignore_previous_run: bool
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None
    last_run_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Daemon(RowModel):
    """A registered daemon (a row of syncplane.jobs_daemons) with its executor's live state (all
    None until it first connects)."""

    id: uuid.UUID
    label: str
    group_key: str
    created_at: datetime
    updated_at: datetime
    connected: bool | None
    draining: bool | None
    last_seen_at: datetime | None
