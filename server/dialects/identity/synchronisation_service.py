"""SynchronisationService: /api/v1/synchronisation (connector definitions,
connected systems, partitions, run profiles, synchronisation rules)."""

from __future__ import annotations

import asyncpg
import grpc

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.identity.v1 import service_pb2_grpc
from syncplane.server.dialects.identity.connected_systems import ConnectedSystems, ConnectorDefinitions
from syncplane.server.dialects.identity.run_profiles import RunProfiles
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.dialects.identity.sync_rules import SyncRules
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub


class SynchronisationService(service_pb2_grpc.SynchronisationServiceServicer):
    """The gRPC face: each RPC delegates to the resource object that owns it."""

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self.connector_definitions = ConnectorDefinitions(pool, engine, watch, settings)
        self.connected_systems = ConnectedSystems(pool, engine, watch, settings)
        self.run_profiles = RunProfiles(pool, engine, watch, settings)
        self.sync_rules = SyncRules(pool, engine, watch, settings)

    # -- connector definitions -----------------------------------------------
    async def ListConnectorDefinitions(self, request: pb.ListConnectorDefinitionsRequest, context: grpc.aio.ServicerContext) -> pb.ListConnectorDefinitionsResponse:
        return await self.connector_definitions.ListConnectorDefinitions(request, context)

    async def GetConnectorDefinition(self, request: pb.GetConnectorDefinitionRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectorDefinition:
        return await self.connector_definitions.GetConnectorDefinition(request, context)

    # -- connected systems ---------------------------------------------------
    async def ListConnectedSystems(self, request: pb.ListConnectedSystemsRequest, context: grpc.aio.ServicerContext) -> pb.ListConnectedSystemsResponse:
        return await self.connected_systems.ListConnectedSystems(request, context)

    async def CreateConnectedSystem(self, request: pb.CreateConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        return await self.connected_systems.CreateConnectedSystem(request, context)

    async def GetConnectedSystem(self, request: pb.GetConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        return await self.connected_systems.GetConnectedSystem(request, context)

    async def UpdateConnectedSystem(self, request: pb.UpdateConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        return await self.connected_systems.UpdateConnectedSystem(request, context)

    async def DeleteConnectedSystem(self, request: pb.DeleteConnectedSystemRequest, context: grpc.aio.ServicerContext) -> pb.DeleteConnectedSystemResponse:
        return await self.connected_systems.DeleteConnectedSystem(request, context)

    async def ImportConnectedSystemSchema(self, request: pb.ImportConnectedSystemSchemaRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        return await self.connected_systems.ImportConnectedSystemSchema(request, context)

    async def ListPartitions(self, request: pb.ListPartitionsRequest, context: grpc.aio.ServicerContext) -> pb.ListPartitionsResponse:
        return await self.connected_systems.ListPartitions(request, context)

    async def UpdatePartition(self, request: pb.UpdatePartitionRequest, context: grpc.aio.ServicerContext) -> mpb.Partition:
        return await self.connected_systems.UpdatePartition(request, context)

    # -- run profiles --------------------------------------------------------
    async def ListRunProfiles(self, request: pb.ListRunProfilesRequest, context: grpc.aio.ServicerContext) -> pb.ListRunProfilesResponse:
        return await self.run_profiles.ListRunProfiles(request, context)

    async def CreateRunProfile(self, request: pb.CreateRunProfileRequest, context: grpc.aio.ServicerContext) -> mpb.RunProfile:
        return await self.run_profiles.CreateRunProfile(request, context)

    async def UpdateRunProfile(self, request: pb.UpdateRunProfileRequest, context: grpc.aio.ServicerContext) -> mpb.RunProfile:
        return await self.run_profiles.UpdateRunProfile(request, context)

    async def DeleteRunProfile(self, request: pb.DeleteRunProfileRequest, context: grpc.aio.ServicerContext) -> pb.DeleteRunProfileResponse:
        return await self.run_profiles.DeleteRunProfile(request, context)

    async def ExecuteRunProfile(self, request: pb.ExecuteRunProfileRequest, context: grpc.aio.ServicerContext) -> pb.ExecuteRunProfileResponse:
        return await self.run_profiles.ExecuteRunProfile(request, context)

    # -- sync rules ----------------------------------------------------------
    async def ListSyncRules(self, request: pb.ListSyncRulesRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncRulesResponse:
        return await self.sync_rules.ListSyncRules(request, context)

    async def CreateSyncRule(self, request: pb.CreateSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        return await self.sync_rules.CreateSyncRule(request, context)

    async def GetSyncRule(self, request: pb.GetSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        return await self.sync_rules.GetSyncRule(request, context)

    async def UpdateSyncRule(self, request: pb.UpdateSyncRuleRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRule:
        return await self.sync_rules.UpdateSyncRule(request, context)

    async def DeleteSyncRule(self, request: pb.DeleteSyncRuleRequest, context: grpc.aio.ServicerContext) -> pb.DeleteSyncRuleResponse:
        return await self.sync_rules.DeleteSyncRule(request, context)


__all__ = ["SynchronisationService"]
