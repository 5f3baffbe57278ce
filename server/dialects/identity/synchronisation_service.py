"""SynchronisationService: /api/v1/synchronisation (connector definitions,
connected systems, partitions, run profiles, synchronisation rules)."""

from __future__ import annotations

from server.dialects.identity.run_profiles import RunProfilesMixin
from server.dialects.identity.sync_rules import SyncRulesMixin
from syncplane.identity.v1 import service_pb2_grpc


class SynchronisationService(RunProfilesMixin, SyncRulesMixin, service_pb2_grpc.SynchronisationServiceServicer):
    """The methods live in one mixin per resource; this class only joins them."""


__all__ = ["SynchronisationService"]
