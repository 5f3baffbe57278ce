"""Worker tasks (/api/v1/worker-tasks): the engine runs of identity
activities while they are queued or running."""

from __future__ import annotations

import dataclasses
import uuid

import grpc
import structlog

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import WorkerTask
from syncplane.server.dialects.common import actor
from syncplane.server.dialects.identity import convert, plans
from syncplane.server.dialects.identity.base import Resource, found
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import ASP_NET
from syncplane.server.dialects.validation import parse_uuid
from syncplane.server.errors import Conflict, NotFound
from syncplane.server.grpc_errors import grpc_method
from syncplane.server.observability import run_context

log = structlog.get_logger(__name__)


def task_uuid(value: str) -> uuid.UUID:
    return parse_uuid(ASP_NET, "id", value, "worker task id")


class WorkerTasks(Resource):
    @grpc_method
    async def ListWorkerTasks(self, request: pb.ListWorkerTasksRequest, context: grpc.aio.ServicerContext) -> pb.ListWorkerTasksResponse:
        page = page_of(request)
        rows, total = await db.list_worker_tasks(self._pool, page.page_size, page.offset)
        return page.envelope(pb.ListWorkerTasksResponse(), [convert.worker_task(r) for r in rows], total)

    @grpc_method
    async def GetWorkerTask(self, request: pb.GetWorkerTaskRequest, context: grpc.aio.ServicerContext) -> mpb.WorkerTask:
        return convert.worker_task(await self._task(request.id))

    @grpc_method
    async def CancelWorkerTask(self, request: pb.CancelWorkerTaskRequest, context: grpc.aio.ServicerContext) -> mpb.WorkerTask:
        task = await self._task(request.id)
        try:
            run = await self._engine.cancel(task.run_id, plans.KIND, actor(), "cancelled through the worker-tasks API")
        except Conflict:
            raise NotFound(f"Worker task with ID {request.id} not found (it has finished).") from None
        with run_context.bound(run):
            log.info("identity.task_cancel", task_id=request.id, run_status=run.status)
        row = await db.get_worker_task(self._pool, task.root_run_id)
        if row is not None:
            return convert.worker_task(row)
        # Cancelled before it started: the task is gone, this is its last state.
        return convert.worker_task(dataclasses.replace(task, run_status=run.status))

    async def _task(self, raw_id: str) -> WorkerTask:
        task_id = task_uuid(raw_id)
        return found(await db.get_worker_task(self._pool, task_id), "Worker task", task_id)


__all__ = ["WorkerTasks", "task_uuid"]
