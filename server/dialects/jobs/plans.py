"""What an executor runs for a sync job run (the plan of docs/jobs.md), and
the engine hooks of the "sync_job" subject kind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from syncplane.server.db import jobs_runs as runs_db
from syncplane.server.db.jobs_models import IntegratedAccount, Integration, SyncJob, Webhook
from syncplane.server.db.models import Run, RunProgress
from syncplane.server.db.runs import NewRun
from syncplane.server.dialects.jobs import convert, events
from syncplane.server.dialects.jobs.templates import render
from syncplane.server.engine.hooks import BaseKindHooks

log = structlog.get_logger(__name__)

KIND = "sync_job"
CONNECTOR = "sync_job"
STORE_SCHEMA = "sync_job_data"
DEFAULT_AUTO_RESUMES = 3

# The engine's outcome -> the event a run's end sends (the view maps statuses the same way).
_TERMINAL_EVENTS = {"succeeded": "completed", "cancelled": "stopped"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _camel_keys(value: dict[str, Any]) -> dict[str, Any]:
    return {camel(k): v for k, v in value.items()}


def integration_plan(integration: Integration) -> dict[str, Any]:
    """The integration as the executor reads it (camelCase keys; query
    objects stay as written, their keys are the API's parameter names)."""
    resources: dict[str, Any] = {}
    for name, methods in (integration.resources or {}).items():
        resources[name] = {}
        for method, spec in methods.items():
            out = _camel_keys({k: v for k, v in spec.items() if k != "pagination"})
            if isinstance(spec.get("pagination"), dict):
                out["pagination"] = _camel_keys(spec["pagination"])
            resources[name][method] = out
    return {
        "name": integration.name,
        "baseUrl": integration.base_url,
        "auth": _camel_keys(integration.auth or {"type": "none"}),
        "resources": resources,
    }


def mutex_key(job: SyncJob, account: IntegratedAccount, args: dict[str, Any]) -> str | None:
    """The job's templated mutex_key resolved for this run (None: no mutex)."""
    if not job.mutex_key:
        return None
    scope = {
        "args": args,
        "context": account.context or {},
        "integrated_account_id": str(account.id),
        "sync_job_id": str(job.id),
    }
    return render(job.mutex_key, scope)


def build_run(
    run_id: uuid.UUID,
    values: dict[str, Any],
    job: SyncJob,
    account: IntegratedAccount,
    integration: Integration,
    webhook: Webhook | None,
) -> NewRun:
    target: dict[str, Any] = {"kind": "daemon"}
    credentials = {"account": str(account.credential_id)}
    if webhook is not None:
        target = {"kind": "webhook", "webhookId": str(webhook.id), "url": webhook.target_url}
        credentials["webhook"] = str(webhook.credential_id)
    spec = {
        "syncJobRunId": str(run_id),
        "syncJobId": str(job.id),
        "integratedAccountId": str(account.id),
        "environmentId": str(job.environment_id),
        "integration": integration_plan(integration),
        "context": account.context or {},
        "resources": values["resources"],
        "args": values["args"],
        "previousRunDate": convert.ts(values["previous_run_date"]),
        "errorHandling": values["error_handling"],
        "target": target,
        "store": {"schema": STORE_SCHEMA},
    }
    mutex = values["mutex_key"]
    return NewRun(
        subject_kind=KIND,
        subject_id=run_id,
        connector=CONNECTOR,
        spec=spec,
        triggered_by=values["triggered_by"],
        executor_group=values["daemon_group_key"] or "default",
        credential_ids=credentials,
        max_auto_resume_attempts=DEFAULT_AUTO_RESUMES,
        # Scoped to the environment: keys of two environments never collide.
        mutex_key=f"sync_job:{job.environment_id}:{mutex}" if mutex else None,
        # Chosen here: the `created` lines logged before the engine queues it name the engine run.
        run_id=uuid.uuid4(),
    )


def _parse_time(text: str) -> datetime | None:
    """The executor's ISO time (`…Z`); None if unreadable (the event is then sent anyway)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class JobHooks(BaseKindHooks):
    """The engine's view of the "sync_job" subject kind."""

    def __init__(self, data_store_url: str) -> None:
        self._data_store_url = data_store_url

    def prepare_assignment(self, run: Run, secrets: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        out: dict[str, Any] = {"account": secrets.get("account") or {}, "storeDsn": self._data_store_url}
        webhook = secrets.get("webhook")
        if webhook:
            out["webhookSecret"] = webhook.get("secret")
        return dict(run.spec), out

    async def on_started(self, conn: asyncpg.Connection, run: Run) -> None:
        # Auto-resumed attempts start again: the deterministic id keeps one `started`.
        await events.emit(conn, run.subject_id, "started")

    async def on_progress(self, conn: asyncpg.Connection, row: RunProgress) -> None:
        until = ((row.progress or {}).get("detail") or {}).get("rateLimitedUntil")
        if not until:
            return
        end = _parse_time(str(until))
        if end is not None and end <= datetime.now(UTC):
            # A report saved after its wait ended: the run was never shown
            # rate_limited, so no event would match the run's status.
            # The engine bound run_id, subject_id (this sync job run) and attempt.
            log.info("jobs.rate_limited_report_late", until=str(until))
            return
        # One event per backoff: its end tells two 429s apart.
        await events.emit(conn, row.subject_id, "rate_limited", str(until))

    async def on_terminal(self, conn: asyncpg.Connection, run: Run) -> None:
        name = _TERMINAL_EVENTS.get(run.status, "failed")
        if run.status == "failed" and run.result_reason_code == "webhook_rejected":
            name = "stopped"  # the run's webhook refused `started`
        await events.emit(conn, run.subject_id, name)
        log.info("jobs.run_ended", event_name=name)  # the engine bound run_id, subject_id and attempt

    async def scheduled_run(self, conn: asyncpg.Connection, subject_id: object, slot: datetime) -> NewRun | None:
        """A cron trigger's slot: creates the sync job run (dialect row, `created` event)."""
        from syncplane.server.dialects.jobs import run_factory

        return await run_factory.from_trigger(conn, subject_id, slot)  # type: ignore[arg-type]  # the hook protocol passes the subject id untyped

    async def previous_run_date(self, conn: asyncpg.Connection, job_id: uuid.UUID, account_id: uuid.UUID) -> datetime | None:
        return await runs_db.previous_run_date(conn, job_id, account_id)
