"""WorkerTasksService: /api/v1/worker-tasks (see worker_tasks.py)."""

from __future__ import annotations

import asyncpg
import grpc

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.identity.v1 import service_pb2_grpc
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.dialects.identity.worker_tasks import WorkerTasks
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub


class WorkerTasksService(service_pb2_grpc.WorkerTasksServiceServicer):
    """The gRPC face: each RPC delegates to the resource object that owns it."""

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self.worker_tasks = WorkerTasks(pool, engine, watch, settings)

    # -- worker tasks --------------------------------------------------------
    async def ListWorkerTasks(self, request: pb.ListWorkerTasksRequest, context: grpc.aio.ServicerContext) -> pb.ListWorkerTasksResponse:
        return await self.worker_tasks.ListWorkerTasks(request, context)

    async def GetWorkerTask(self, request: pb.GetWorkerTaskRequest, context: grpc.aio.ServicerContext) -> mpb.WorkerTask:
        return await self.worker_tasks.GetWorkerTask(request, context)

    async def CancelWorkerTask(self, request: pb.CancelWorkerTaskRequest, context: grpc.aio.ServicerContext) -> mpb.WorkerTask:
        return await self.worker_tasks.CancelWorkerTask(request, context)


__all__ = ["WorkerTasksService"]
