"""SchedulesService and ScheduleExecutionsService: /api/v1/schedules and
/api/v1/schedule-executions; each RPC delegates to the resource that owns it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.identity.v1 import schedules_service_pb2 as pb
from syncplane.identity.v1 import schedules_service_pb2_grpc as pb_grpc
from syncplane.server.dialects.identity.schedule_executions import ScheduleExecutions
from syncplane.server.dialects.identity.schedules import Schedules
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub


class SchedulesService(pb_grpc.SchedulesServiceServicer):
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self.schedules = Schedules(pool, engine, watch, settings)

    async def ListSchedules(self, request: pb.ListSchedulesRequest, context: grpc.aio.ServicerContext) -> pb.ListSchedulesResponse:
        return await self.schedules.ListSchedules(request, context)

    async def GetSchedule(self, request: pb.GetScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self.schedules.GetSchedule(request, context)

    async def CreateSchedule(self, request: pb.CreateScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self.schedules.CreateSchedule(request, context)

    async def UpdateSchedule(self, request: pb.UpdateScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self.schedules.UpdateSchedule(request, context)

    async def DeleteSchedule(self, request: pb.DeleteScheduleRequest, context: grpc.aio.ServicerContext) -> pb.DeleteScheduleResponse:
        return await self.schedules.DeleteSchedule(request, context)

    async def EnableSchedule(self, request: pb.EnableScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self.schedules.EnableSchedule(request, context)

    async def DisableSchedule(self, request: pb.DisableScheduleRequest, context: grpc.aio.ServicerContext) -> spb.Schedule:
        return await self.schedules.DisableSchedule(request, context)

    async def RunSchedule(self, request: pb.RunScheduleRequest, context: grpc.aio.ServicerContext) -> pb.RunScheduleResponse:
        return await self.schedules.RunSchedule(request, context)


class ScheduleExecutionsService(pb_grpc.ScheduleExecutionsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self.executions = ScheduleExecutions(pool, engine, watch, settings)

    async def ListScheduleExecutions(self, request: pb.ListScheduleExecutionsRequest, context: grpc.aio.ServicerContext) -> pb.ListScheduleExecutionsResponse:
        return await self.executions.ListScheduleExecutions(request, context)

    async def ListActiveScheduleExecutions(self, request: pb.ListActiveScheduleExecutionsRequest, context: grpc.aio.ServicerContext) -> pb.ListActiveScheduleExecutionsResponse:
        return await self.executions.ListActiveScheduleExecutions(request, context)

    async def GetScheduleExecution(self, request: pb.GetScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> spb.ScheduleExecution:
        return await self.executions.GetScheduleExecution(request, context)

    async def CancelScheduleExecution(self, request: pb.CancelScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> spb.ScheduleExecution:
        return await self.executions.CancelScheduleExecution(request, context)

    async def WatchScheduleExecution(self, request: pb.WatchScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[spb.ScheduleExecution]:
        async for item in self.executions.WatchScheduleExecution(request, context):
            yield item


__all__ = ["ScheduleExecutionsService", "SchedulesService"]
