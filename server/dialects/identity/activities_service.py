"""ActivitiesService: /api/v1/activities (see activities.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.identity.v1 import service_pb2_grpc
from syncplane.server.dialects.identity.activities import Activities
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub


class ActivitiesService(service_pb2_grpc.ActivitiesServiceServicer):
    """The gRPC face: each RPC delegates to the resource object that owns it."""

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self.activities = Activities(pool, engine, watch, settings)

    # -- activities ----------------------------------------------------------
    async def ListActivities(self, request: pb.ListActivitiesRequest, context: grpc.aio.ServicerContext) -> pb.ListActivitiesResponse:
        return await self.activities.ListActivities(request, context)

    async def GetActivity(self, request: pb.GetActivityRequest, context: grpc.aio.ServicerContext) -> mpb.Activity:
        return await self.activities.GetActivity(request, context)

    async def GetActivityProgress(self, request: pb.GetActivityProgressRequest, context: grpc.aio.ServicerContext) -> mpb.ActivityProgress:
        return await self.activities.GetActivityProgress(request, context)

    async def GetActivityStats(self, request: pb.GetActivityStatsRequest, context: grpc.aio.ServicerContext) -> mpb.ActivityStats:
        return await self.activities.GetActivityStats(request, context)

    async def WatchActivity(self, request: pb.WatchActivityRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[mpb.ActivityProgress]:
        async for item in self.activities.WatchActivity(request, context):
            yield item


__all__ = ["ActivitiesService"]
