"""Creating a sync job run, by the API or a cron trigger's slot: checks the
request against the job, account and webhook, resolves previous_run_date and
the mutex key, writes the dialect row and the `created` event, and returns the
engine run to queue (in the caller's transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from syncplane.server.db import jobs as db
from syncplane.server.db import jobs_runs as runs_db
from syncplane.server.db.jobs_models import CronTrigger, IntegratedAccount, SyncJob, Webhook
from syncplane.server.db.runs import NewRun
from syncplane.server.dialects.jobs import events, inputs, plans
from syncplane.server.dialects.validation import Checker
from syncplane.server.errors import InvalidArgument
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)


async def prepare(
    conn: asyncpg.Connection,
    c: Checker,
    *,
    sync_job_id: uuid.UUID | None,
    account_id: uuid.UUID | None,
    args: dict[str, Any],
    group: str | None,
    webhook_id: uuid.UUID | None,
    error_handling: str,
    ignore_previous_run: bool,
    triggered_by: str,
) -> tuple[uuid.UUID, NewRun]:
    """Writes the run (status created) and its `created` event; raises
    InvalidArgument naming every bad field."""
    job = await db.get_row(conn, SyncJob, sync_job_id) if sync_job_id else None
    if sync_job_id and job is None:
        c.add("sync_job_id", f"sync job {sync_job_id} not found", "not_found")
    account = await db.get_row(conn, IntegratedAccount, account_id) if account_id else None
    if account_id and account is None:
        c.add("integrated_account_id", f"integrated account {account_id} not found", "not_found")
    webhook = await db.get_row(conn, Webhook, webhook_id) if webhook_id else None
    if webhook_id and webhook is None:
        c.add("webhook_id", f"webhook {webhook_id} not found", "not_found")
    elif webhook is not None and not webhook.is_active:
        c.add("webhook_id", f"webhook {webhook_id} is inactive; re-activate it first", "inactive")
    if job is not None and account is not None and job.integration_name != account.integration_name:
        c.add(
            "integrated_account_id",
            f"the account is of integration '{account.integration_name}', the job of '{job.integration_name}'",
            "integration_mismatch",
        )
    if job is not None:
        inputs.args(c, args, job.args_schema)
    c.raise_if_any()
    assert job is not None and account is not None
    integration = await db.get_integration_by_name(conn, job.integration_name)
    assert integration is not None  # a foreign key keeps it
    run_id = uuid.uuid4()
    previous = None if ignore_previous_run else await runs_db.previous_run_date(conn, job.id, account.id)
    values = {
        "sync_job_id": job.id,
        "integrated_account_id": account.id,
        "args": args,
        "resources": job.resources,
        "daemon_group_key": group,
        "webhook_id": webhook.id if webhook else None,
        "error_handling": error_handling,
        "ignore_previous_run": ignore_previous_run,
        "mutex_key": plans.mutex_key(job, account, args),
        "previous_run_date": previous,
        "environment_id": job.environment_id,
        "triggered_by": triggered_by,
    }
    await runs_db.insert_run(conn, run_id, values)
    new = plans.build_run(run_id, values, job, account, integration, webhook)
    assert new.run_id is not None  # build_run chooses it
    # Before the engine queues the run (in this transaction): its ids as they will be.
    ids = run_context.RunIds(run_id=str(new.run_id), subject_id=str(run_id), attempt=1, kind=new.subject_kind,
                             backend=new.execution_backend)
    with run_context.bound(ids):
        await events.emit(conn, run_id, "created")
        log.info("jobs.run_created", sync_job_id=str(job.id), triggered_by=triggered_by,
                 mutex_key=values["mutex_key"], group=group, webhook_id=str(webhook_id) if webhook_id else None)
    return run_id, new


async def from_trigger(conn: asyncpg.Connection, trigger_id: uuid.UUID, slot: datetime) -> NewRun | None:
    """The run a cron trigger's slot starts; None when it cannot run any more."""
    trigger = await db.get_row(conn, CronTrigger, trigger_id)
    if trigger is None:
        return None
    c = Checker()
    try:
        async with conn.transaction():  # a savepoint: a refused run leaves the scheduler's work intact
            _, new = await prepare(
                conn, c, sync_job_id=trigger.sync_job_id, account_id=trigger.integrated_account_id,
                args=trigger.args or {}, group=trigger.daemon_group_key, webhook_id=trigger.webhook_id,
                error_handling=trigger.error_handling, ignore_previous_run=trigger.ignore_previous_run,
                triggered_by="cron_trigger",
            )
    except InvalidArgument as exc:
        log.warning("jobs.trigger_slot_refused", trigger_id=str(trigger_id), slot=slot.isoformat(), error=str(exc))
        return None
    return new
