"""SyncJobsService: /sync-job and /sync-job-cron-trigger (on the engine's scheduler)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from syncplane.server.db import jobs as db
from syncplane.server.db import jobs_runs as runs_db
from syncplane.server.db import schedules as schedules_db
from syncplane.server.db.jobs_models import CronTrigger, IntegratedAccount, SyncJob, Webhook
from syncplane.server.dialects.common import not_found
from syncplane.server.dialects.jobs import convert, inputs, paging
from syncplane.server.dialects.jobs.integrations_service import IntegrationsService
from syncplane.server.dialects.validation import Checker
from syncplane.server.engine import cron
from syncplane.server.errors import Conflict
from syncplane.server.grpc_errors import grpc_method

#: The schedule rows of cron triggers.
CRON_KIND = "sync_job_cron_trigger"
_get = IntegrationsService._get


async def sync_schedule(conn: asyncpg.Connection, trigger_id: uuid.UUID, cron_expression: str) -> None:
    """Keeps the engine's schedule row in step with the trigger."""
    first = cron.next_after(cron_expression, "UTC", datetime.now(UTC))
    # "skip": a slot that finds the previous run still going is skipped, as the syncs dialect does.
    await schedules_db.upsert_schedule(conn, CRON_KIND, trigger_id, cron_expression, "UTC", "skip", True, first)


class SyncJobsService(service_pb2_grpc.SyncJobsServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- sync jobs -------------------------------------------------------------------
    @grpc_method
    async def ListSyncJobs(self, request: pb.ListSyncJobsRequest, context: Any) -> pb.ListSyncJobsResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        env = c.uuid("environment_id", request.environment_id) if request.HasField("environment_id") else None
        c.raise_if_any()
        rows = await db.list_rows(
            self._pool, SyncJob, cursor, limit + 1, inputs.opt(request, "integration_name"), env
        )
        return paging.fill(pb.ListSyncJobsResponse(), rows, limit, convert.sync_job)

    @grpc_method
    async def CreateSyncJob(self, request: pb.CreateSyncJobRequest, context: Any) -> mpb.SyncJob:
        c = Checker()
        described = None
        if c.required("integration_name", request.integration_name, empty_is_missing=True):
            integration = await db.get_integration_by_name(self._pool, request.integration_name)
            if integration is None:
                c.add("integration_name", f"integration '{request.integration_name}' not found", "not_found")
            else:
                described = integration.resources
        schema = inputs.struct(request, "args_schema")
        inputs.args_schema(c, schema)
        values = {
            "integration_name": request.integration_name,
            "label": inputs.opt(request, "label") or "Untitled",
            "args_schema": schema,
            "resources": inputs.job_resources(c, list(request.resources), described),
            "environment_id": inputs.environment(c, request),
            "mutex_key": inputs.opt(request, "mutex_key") or None,
        }
        c.raise_if_any()
        return convert.sync_job(await db.insert_sync_job(self._pool, values))

    @grpc_method
    async def GetSyncJob(self, request: pb.GetSyncJobRequest, context: Any) -> mpb.SyncJob:
        return convert.sync_job(await _get(self._pool, SyncJob, request.id))

    @grpc_method
    async def UpdateSyncJob(self, request: pb.UpdateSyncJobRequest, context: Any) -> mpb.SyncJob:
        row = await _get(self._pool, SyncJob, request.id)
        c = Checker()
        values = {"label": row.label, "args_schema": row.args_schema, "resources": row.resources, "mutex_key": row.mutex_key}
        if request.HasField("label"):
            values["label"] = request.label
        if request.HasField("args_schema"):
            values["args_schema"] = inputs.struct(request, "args_schema")
            inputs.args_schema(c, values["args_schema"])
        if request.resources:
            integration = await db.get_integration_by_name(self._pool, row.integration_name)
            described = integration.resources if integration else None
            values["resources"] = inputs.job_resources(c, list(request.resources), described)
        if request.HasField("mutex_key"):
            values["mutex_key"] = request.mutex_key or None
        c.raise_if_any()
        return convert.sync_job(await db.update_sync_job(self._pool, row.id, values))

    @grpc_method
    async def DeleteSyncJob(self, request: pb.DeleteSyncJobRequest, context: Any) -> pb.DeleteResponse:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await _get(conn, SyncJob, request.id)
            active = await runs_db.active_run_of(conn, row.id)
            if active is not None:
                raise Conflict(f"sync job {row.id} has a run that has not ended ({active}); stop it first")
            for trigger in await db.list_rows(conn, CronTrigger, (None, None), 10_000, row.id, None):
                await schedules_db.delete_schedule(conn, CRON_KIND, trigger.id)
            await db.delete_row(conn, SyncJob, row.id)
        return pb.DeleteResponse(id=str(row.id))

    # -- cron triggers -----------------------------------------------------------------
    @grpc_method
    async def ListSyncJobCronTriggers(self, request: pb.ListSyncJobCronTriggersRequest, context: Any) -> pb.ListSyncJobCronTriggersResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        job = c.uuid("sync_job_id", request.sync_job_id) if request.HasField("sync_job_id") else None
        account = (
            c.uuid("integrated_account_id", request.integrated_account_id)
            if request.HasField("integrated_account_id") else None
        )
        c.raise_if_any()
        rows = await db.list_rows(self._pool, CronTrigger, cursor, limit + 1, job, account)
        return paging.fill(pb.ListSyncJobCronTriggersResponse(), rows, limit, convert.cron_trigger)

    @grpc_method
    async def CreateSyncJobCronTrigger(self, request: pb.CreateSyncJobCronTriggerRequest, context: Any) -> mpb.SyncJobCronTrigger:
        c = Checker()
        values = await self._trigger_values(c, request, None)
        async with self._pool.acquire() as conn, conn.transaction():
            trigger_id = await db.insert_cron_trigger(conn, values)
            await sync_schedule(conn, trigger_id, values["cron_expression"])
            row = await db.get_row(conn, CronTrigger, trigger_id)
        assert row is not None  # written in this transaction
        return convert.cron_trigger(row)

    @grpc_method
    async def GetSyncJobCronTrigger(self, request: pb.GetSyncJobCronTriggerRequest, context: Any) -> mpb.SyncJobCronTrigger:
        return convert.cron_trigger(await _get(self._pool, CronTrigger, request.id))

    @grpc_method
    async def UpdateSyncJobCronTrigger(self, request: pb.UpdateSyncJobCronTriggerRequest, context: Any) -> mpb.SyncJobCronTrigger:
        row = await _get(self._pool, CronTrigger, request.id)
        values = await self._trigger_values(Checker(), request, row)
        async with self._pool.acquire() as conn, conn.transaction():
            if await db.update_cron_trigger(conn, row.id, values) is None:
                raise not_found("cron_trigger", row.id)
            await sync_schedule(conn, row.id, values["cron_expression"])
            updated = await db.get_row(conn, CronTrigger, row.id)
        assert updated is not None  # written in this transaction
        return convert.cron_trigger(updated)

    @grpc_method
    async def DeleteSyncJobCronTrigger(self, request: pb.DeleteSyncJobCronTriggerRequest, context: Any) -> pb.DeleteResponse:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await _get(conn, CronTrigger, request.id)
            await schedules_db.delete_schedule(conn, CRON_KIND, row.id)
            await db.delete_row(conn, CronTrigger, row.id)
        return pb.DeleteResponse(id=str(row.id))

    async def _trigger_values(self, c: Checker, request: Any, row: CronTrigger | None) -> dict[str, Any]:
        """A trigger's fields from a create (row None) or an update request, checked."""
        has = request.HasField
        if row is None:
            job_id = c.uuid("sync_job_id", request.sync_job_id) if c.required("sync_job_id", request.sync_job_id, empty_is_missing=True) else None
            account_id = (
                c.uuid("integrated_account_id", request.integrated_account_id)
                if c.required("integrated_account_id", request.integrated_account_id, empty_is_missing=True) else None
            )
        else:
            job_id, account_id = row.sync_job_id, row.integrated_account_id
        cron_expression = request.cron_expression if row is None or has("cron_expression") else row.cron_expression
        inputs.cron_expression(c, cron_expression)
        if row is None or has("daemon_group_key") or has("webhook_id"):
            group, webhook_id = inputs.target(c, inputs.opt(request, "daemon_group_key"), inputs.opt(request, "webhook_id"))
        else:
            group, webhook_id = row.daemon_group_key, row.webhook_id
        error_handling = inputs.error_handling(
            c, inputs.opt(request, "error_handling") if row is None or has("error_handling") else row.error_handling
        )
        args = inputs.struct(request, "args")
        if args is None:
            args = row.args if row is not None else {}
        job = await db.get_row(self._pool, SyncJob, job_id) if job_id else None
        if job_id and job is None:
            c.add("sync_job_id", f"sync job {job_id} not found", "not_found")
        if account_id and await db.get_row(self._pool, IntegratedAccount, account_id) is None:
            c.add("integrated_account_id", f"integrated account {account_id} not found", "not_found")
        if webhook_id and await db.get_row(self._pool, Webhook, webhook_id) is None:
            c.add("webhook_id", f"webhook {webhook_id} not found", "not_found")
        if job is not None:
            inputs.args(c, args, job.args_schema)
        c.raise_if_any()
        return {
            "sync_job_id": job_id,
            "integrated_account_id": account_id,
            "args": args,
            "cron_expression": cron_expression,
            "daemon_group_key": group,
            "webhook_id": webhook_id,
            "error_handling": error_handling,
            "ignore_previous_run": request.ignore_previous_run if has("ignore_previous_run") else (
                row.ignore_previous_run if row is not None else False
            ),
        }
