"""SyncJobRunsService: /sync-job-run, on the run engine (docs/jobs.md)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from syncplane.server.db import jobs as jobs_db
from syncplane.server.db import jobs_runs as db
from syncplane.server.db import outbox as outbox_db
from syncplane.server.db.jobs_models import JobRun, SyncJob
from syncplane.server.dialects.common import actor, not_found, path_uuid
from syncplane.server.dialects.jobs import convert, inputs, paging, plans, run_factory
from syncplane.server.dialects.validation import Checker
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub
from syncplane.server.errors import Conflict
from syncplane.server.grpc_errors import grpc_method, grpc_stream


class SyncJobRunsService(service_pb2_grpc.SyncJobRunsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub) -> None:
        self._pool = pool
        self._engine = engine
        self._watch = watch

    @grpc_method
    async def ListSyncJobRuns(self, request: pb.ListSyncJobRunsRequest, context: Any) -> pb.ListSyncJobRunsResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        job = c.uuid("sync_job_id", request.sync_job_id) if request.HasField("sync_job_id") else None
        account = (
            c.uuid("integrated_account_id", request.integrated_account_id)
            if request.HasField("integrated_account_id") else None
        )
        status = inputs.opt(request, "status")
        if status is not None:
            c.choice("status", status, inputs.RUN_STATUSES)
        c.raise_if_any()
        rows = await db.list_runs(self._pool, cursor, limit + 1, job, account, status)
        jobs = {r.sync_job_id: await jobs_db.get_row(self._pool, SyncJob, r.sync_job_id) for r in rows}
        return paging.fill(pb.ListSyncJobRunsResponse(), rows, limit, lambda r: convert.run(r, jobs[r.sync_job_id]))

    @grpc_method
    async def CreateSyncJobRun(self, request: pb.CreateSyncJobRunRequest, context: Any) -> mpb.SyncJobRun:
        c = Checker()
        job_id = account_id = None
        if c.required("sync_job_id", request.sync_job_id, empty_is_missing=True):
            job_id = c.uuid("sync_job_id", request.sync_job_id)
        if c.required("integrated_account_id", request.integrated_account_id, empty_is_missing=True):
            account_id = c.uuid("integrated_account_id", request.integrated_account_id)
        group, webhook_id = inputs.target(c, inputs.opt(request, "daemon_group_key"), inputs.opt(request, "webhook_id"))
        error_handling = inputs.error_handling(c, inputs.opt(request, "error_handling"))
        async with self._pool.acquire() as conn, conn.transaction():
            run_id, new = await run_factory.prepare(
                conn, c, sync_job_id=job_id, account_id=account_id, args=inputs.struct(request, "args") or {},
                group=group, webhook_id=webhook_id, error_handling=error_handling,
                ignore_previous_run=request.ignore_previous_run, triggered_by="api",
            )
            await self._engine.queue(new, conn)
        return await self._message(run_id)

    @grpc_method
    async def GetSyncJobRun(self, request: pb.GetSyncJobRunRequest, context: Any) -> mpb.SyncJobRun:
        return await self._message(path_uuid("id", request.id, "sync job run"))

    @grpc_method
    async def UpdateSyncJobRun(self, request: pb.UpdateSyncJobRunRequest, context: Any) -> mpb.SyncJobRun:
        run_id = path_uuid("id", request.id, "sync job run")
        if request.HasField("status"):
            c = Checker()
            c.choice("status", request.status, ("stopped",))
            c.raise_if_any()
            await self._stop(run_id)
        return await self._message(run_id)

    @grpc_method
    async def DeleteSyncJobRun(self, request: pb.DeleteSyncJobRunRequest, context: Any) -> pb.DeleteResponse:
        run_id = path_uuid("id", request.id, "sync job run")
        await self._stop(run_id)
        return pb.DeleteResponse(id=str(run_id))

    @grpc_stream
    async def WatchSyncJobRun(self, request: pb.WatchSyncJobRunRequest, context: Any) -> AsyncIterator[mpb.SyncJobRun]:
        run_id = path_uuid("id", request.id, "sync job run")
        await self._row(run_id)  # 404 before the stream starts
        attempt = await self._latest_attempt(run_id)
        if attempt is None:
            yield await self._message(run_id)
            return
        # An auto-resumed attempt follows a failed one: the chain watch follows it.
        async for _ in self._watch.watch_chain(attempt, lambda rid: self._engine.get(rid, plans.KIND)):
            yield await self._message(run_id)

    @grpc_method
    async def ListSyncJobRunWebhookDeliveries(
        self, request: pb.ListSyncJobRunWebhookDeliveriesRequest, context: Any
    ) -> pb.ListSyncJobRunWebhookDeliveriesResponse:
        run_id = path_uuid("id", request.id, "sync job run")
        c = Checker()
        limit = paging.limit_of(c, request)
        after = paging.decode_after(c, request.next_cursor if request.HasField("next_cursor") else None)
        webhook = c.uuid("webhook_id", request.webhook_id) if request.HasField("webhook_id") else None
        status = inputs.opt(request, "status")
        if status is not None:
            c.choice("status", status, inputs.DELIVERY_STATUSES)
        c.raise_if_any()
        await self._row(run_id)  # 404 for a run that does not exist, not an empty list
        rows = await outbox_db.run_deliveries(self._pool, run_id, after, webhook, status, limit + 1)
        response = pb.ListSyncJobRunWebhookDeliveriesResponse(limit=limit)
        response.result.extend(convert.delivery(r) for r in rows[:limit])
        if len(rows) > limit:
            response.next_cursor = paging.encode_after(rows[limit - 1]["id"])
        return response

    async def _stop(self, run_id: uuid.UUID) -> None:
        await self._row(run_id)
        attempt = await self._latest_attempt(run_id)
        if attempt is None:
            raise Conflict(f"sync job run {run_id} has no attempt to stop")
        if await self._engine.has_ended(attempt, plans.KIND):
            raise Conflict(f"sync job run {run_id} already ended; nothing to stop")
        await self._engine.cancel(attempt, plans.KIND, actor(), "stopped by the user")

    async def _latest_attempt(self, run_id: uuid.UUID) -> uuid.UUID | None:
        return (await self._row(run_id)).engine_run_id

    async def _row(self, run_id: uuid.UUID) -> JobRun:
        row = await db.get_run(self._pool, run_id)
        if row is None:
            raise not_found("sync job run", run_id)
        return row

    async def _message(self, run_id: uuid.UUID) -> mpb.SyncJobRun:
        row = await self._row(run_id)
        return convert.run(row, await jobs_db.get_row(self._pool, SyncJob, row.sync_job_id))
