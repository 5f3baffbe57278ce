# ruff: noqa: N802 - servicer methods carry the gRPC method names
"""Harness shared by the gateway tests (no tests here).

A real `grpc.aio` server on 127.0.0.1:0 with small in-memory servicers, the gateway built in front of
it over a real channel, and an aiohttp TestClient speaking real HTTP over loopback. Besides the syncs
and admin services, a test-only proto (compiled here with grpc_tools) declares probe services in the
dialect styles no production service uses yet (snake_case + STATUS_CODE, IDENTITY) and the template
forms (verbs, multi-segment captures, response_body, additional bindings) the real protos lack.

The fixtures `gw` and `gateway_stack` are registered in tests/unit/conftest.py.
"""

from __future__ import annotations

import asyncio
import pathlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer
from google.api import annotations_pb2
from google.protobuf import (  # the well-known imports of PROBE_PROTO must be in the pool
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,  # noqa: F401
    field_mask_pb2,  # noqa: F401
    struct_pb2,  # noqa: F401
    timestamp_pb2,
    wrappers_pb2,  # noqa: F401
)
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from google.rpc import code_pb2, error_details_pb2, status_pb2

from syncplane.admin.v1 import service_pb2 as admin_pb2
from syncplane.admin.v1 import service_pb2_grpc as admin_grpc
from syncplane.server.gateway import build_gateway_app
from syncplane.syncs.v1 import messages_pb2, service_pb2, service_pb2_grpc

PROBE_PROTO = """
syntax = "proto3";
package gatewaytest.v1;

import "google/api/annotations.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "syncplane/options/v1/options.proto";

enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_BLUE = 2;
}

message Inner {
  string label = 1;
  optional int32 rank = 2;
  Inner child = 3;
}

message Probe {
  string id = 1;
  int32 count = 2;
  int64 big = 3;
  bool flag = 4;
  double ratio = 5;
  Color color = 6;
  repeated string tags = 7;
  repeated int32 numbers = 8;
  map<string, string> labels = 9;
  Inner inner = 10;
  repeated Inner items = 11;
  google.protobuf.Timestamp at = 12;
  google.protobuf.Duration wait = 13;
  google.protobuf.Int32Value maybe = 14;
  google.protobuf.FieldMask mask = 15;
  optional string note = 16;
  google.protobuf.Struct extra = 17;
  bytes blob = 18;
  string display_name = 19;
}

service ProbeService {
  option (syncplane.options.v1.dialect) = {
    name: "probe"
    json_naming: JSON_NAMING_SNAKE
    error_style: ERROR_STYLE_STATUS_CODE
  };
  rpc Echo(Probe) returns (Probe) {
    option (google.api.http) = {
      get: "/probe/v1/echo"
      additional_bindings { post: "/probe/v1/echo" body: "*" }
    };
  }
  rpc Inspect(Probe) returns (Probe) {
    option (google.api.http) = { get: "/probe/v1/{id=things/*/parts/**}:inspect" };
  }
  rpc GetInner(Probe) returns (Probe) {
    option (google.api.http) = { get: "/probe/v1/inner/{id}" response_body: "inner" };
  }
  rpc Fail(Probe) returns (Probe) {
    option (google.api.http) = { post: "/probe/v1/fail" body: "*" };
  }
}

service IdentityProbeService {
  option (syncplane.options.v1.dialect) = {
    name: "idp"
    json_naming: JSON_NAMING_CAMEL
    error_style: ERROR_STYLE_IDENTITY
    reject_duplicate_keys: true
  };
  rpc Fail(Probe) returns (Probe) {
    option (google.api.http) = { post: "/idp/v1/fail" body: "*" };
  }
}
"""

PROBE_SERVICES = ("gatewaytest.v1.ProbeService", "gatewaytest.v1.IdentityProbeService")


@cache
def probe_pool() -> descriptor_pool.DescriptorPool:
    """Compiles PROBE_PROTO once and adds it to the default pool (its imports already live there)."""
    from grpc_tools import protoc

    protos = pathlib.Path(__file__).resolve().parents[2] / "protos"
    googleapis = pathlib.Path(annotations_pb2.__file__).resolve().parents[2]
    well_known = pathlib.Path(protoc.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="gateway-probe-") as tmp:
        work = pathlib.Path(tmp)
        (work / "gatewaytest").mkdir()
        (work / "gatewaytest" / "probe.proto").write_text(PROBE_PROTO)
        out = work / "probe.pb"
        args = ["protoc", f"-I{work}", f"-I{protos}", f"-I{googleapis}", f"-I{well_known}"]
        if protoc.main([*args, f"--descriptor_set_out={out}", "gatewaytest/probe.proto"]) != 0:
            raise RuntimeError("protoc failed on the probe proto")
        compiled = out.read_bytes()
    file_set = descriptor_pb2.FileDescriptorSet.FromString(compiled)
    pool = descriptor_pool.Default()
    pool.AddSerializedFile(file_set.file[0].SerializeToString())
    return pool


def probe_services() -> list[ServiceDescriptor]:
    pool = probe_pool()
    return [pool.FindServiceByName(name) for name in PROBE_SERVICES]


def probe_class(name: str = "Probe") -> type[Message]:
    return GetMessageClass(probe_pool().FindMessageTypeByName(f"gatewaytest.v1.{name}"))


def syncs_services() -> list[ServiceDescriptor]:
    services = service_pb2.DESCRIPTOR.services_by_name
    return [
        services["SyncsService"],
        services["ConnectionsService"],
        admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    ]


async def abort_invalid(
    context: grpc.aio.ServicerContext, message: str, violations: list[tuple[str, str, str]]
) -> None:
    """INVALID_ARGUMENT with a google.rpc.BadRequest in the trailers, the way the dialects answer."""
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message)
    if violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=f, reason=r, description=desc)
                for f, r, desc in violations
            ]
        )
        status.details.add().Pack(bad_request)
    await context.abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        message,
        trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),),
    )


def _ts(seconds: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def seed_sync() -> messages_pb2.Sync:
    return messages_pb2.Sync(
        id="s1",
        connection_id="c1",
        name="Orders",
        provider_key="shopify",
        entities=["orders"],
        execution_backend="native",
        execution_mode="sequential",
        status="draft",
        trigger_mode="manual",
        table_bindings=[
            messages_pb2.TableBinding(
                id="tb1", entity_key="orders", load_mode="append_event", table_naming_version="v2"
            )
        ],
        created_at=_ts(1_700_000_000),
    )


class SyncsServicer(service_pb2_grpc.SyncsServiceServicer):
    """Answers from memory; records each request and its metadata for the tests to inspect."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: dict[str, Message] = {}
        self.metadata: dict[str, dict[str, Any]] = {}
        self.syncs = {"s1": seed_sync()}
        self.watch_cancelled = asyncio.Event()
        self.watch_waiting = asyncio.Event()  # a watch reached the service and waits for its cancellation

    async def _record(self, name: str, request: Message, context: grpc.aio.ServicerContext) -> None:
        self.requests[name] = request
        metadata = {k: v for k, v in context.invocation_metadata() or ()}
        self.metadata[name] = metadata
        if "x-api-key" in metadata:
            await context.send_initial_metadata((("x-echo-api-key", metadata["x-api-key"]),))

    async def ListSyncs(
        self, request: service_pb2.ListSyncsRequest, context: grpc.aio.ServicerContext
    ) -> service_pb2.ListSyncsResponse:
        await self._record("ListSyncs", request, context)
        if request.HasField("limit") and not 1 <= request.limit <= 100:
            await abort_invalid(
                context, "invalid limit", [("limit", "less_than_equal", "Input should be less than or equal to 100")]
            )
        for i, status in enumerate(request.status):
            if status not in ("draft", "active", "paused", "error", "archived"):
                await abort_invalid(
                    context, "invalid status", [(f"status.{i}", "literal_error", "Input should be ...")]
                )
        syncs = [s for s in self.syncs.values() if not request.status or s.status in request.status]
        return service_pb2.ListSyncsResponse(syncs=syncs, total=len(syncs), limit=request.limit or 50)

    async def CreateSync(
        self, request: service_pb2.CreateSyncRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.Sync:
        await self._record("CreateSync", request, context)
        violations: list[tuple[str, str, str]] = []
        if not request.sync.HasField("name"):
            violations.append(("sync.name", "missing", "Field required"))
        for i, binding in enumerate(request.sync.table_bindings):
            if not binding.entity_key:
                violations.append(
                    (f"sync.tableBindings.{i}.entityKey", "string_too_short", "String should have at least 1 character")
                )
        if violations:
            await abort_invalid(context, "invalid sync", violations)
        return messages_pb2.Sync(id="s-new", name=request.sync.name, connection_id=request.sync.connection_id)

    async def ListSyncProviders(
        self, request: service_pb2.ListSyncProvidersRequest, context: grpc.aio.ServicerContext
    ) -> service_pb2.ListSyncProvidersResponse:
        await self._record("ListSyncProviders", request, context)
        return service_pb2.ListSyncProvidersResponse(providers=[messages_pb2.ProviderCatalog(provider="shopify")])

    async def GetSyncProviderCatalog(
        self, request: service_pb2.GetSyncProviderCatalogRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.ProviderCatalog:
        await self._record("GetSyncProviderCatalog", request, context)
        return messages_pb2.ProviderCatalog(provider=request.provider, name=request.provider)

    async def GetSyncRun(
        self, request: service_pb2.GetSyncRunRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.SyncRun:
        await self._record("GetSyncRun", request, context)
        return messages_pb2.SyncRun(id=request.run_id, status="running")

    async def WatchSyncRun(
        self, request: service_pb2.WatchSyncRunRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[messages_pb2.SyncRun]:
        await self._record("WatchSyncRun", request, context)
        run_id = request.run_id
        if run_id == "missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, "Run not found")
        if run_id == "idle":
            await self._wait_for_cancellation()
        yield messages_pb2.SyncRun(id=run_id, status="pending")
        if run_id == "fail-mid":
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "executor lost")
        if run_id == "slow":
            await self._wait_for_cancellation()
        yield messages_pb2.SyncRun(id=run_id, status="running")
        yield messages_pb2.SyncRun(id=run_id, status="succeeded", completed_at=_ts(1_700_000_100))

    async def _wait_for_cancellation(self) -> None:
        self.watch_waiting.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.watch_cancelled.set()
            raise

    async def CancelSyncRun(
        self, request: service_pb2.CancelSyncRunRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.SyncRun:
        await self._record("CancelSyncRun", request, context)
        return messages_pb2.SyncRun(id=request.run_id, status="cancelling", cancel_reason=request.reason)

    async def RetrySyncRun(
        self, request: service_pb2.RetrySyncRunRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.SyncRun:
        await self._record("RetrySyncRun", request, context)
        return messages_pb2.SyncRun(id="r-next", previous_attempt_run_id=request.run_id, status="pending")

    async def GetSync(
        self, request: service_pb2.GetSyncRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.Sync:
        await self._record("GetSync", request, context)
        sync_id = request.sync_id
        if self.metadata["GetSync"].get("x-api-key") == "bad":
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "Invalid API key")
        if sync_id == "bad id":
            await abort_invalid(
                context, "invalid sync id", [("syncId", "string_pattern_mismatch", "String should match pattern")]
            )
        if sync_id == "nomsg":
            await abort_invalid(context, "sync id is malformed", [])
        if sync_id == "forbidden":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "Administrator role required")
        if sync_id == "taken":
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, "Sync already exists")
        if sync_id == "boom":
            raise RuntimeError("boom")
        if sync_id == "slow":
            await asyncio.sleep(5)
        if sync_id not in self.syncs:
            await context.abort(grpc.StatusCode.NOT_FOUND, "Sync not found")
        return self.syncs[sync_id]

    async def UpdateSync(
        self, request: service_pb2.UpdateSyncRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.Sync:
        await self._record("UpdateSync", request, context)
        sync = messages_pb2.Sync()
        sync.CopyFrom(self.syncs[request.sync_id])
        if "name" in request.update_mask.paths:
            sync.name = request.sync.name
        return sync

    async def DeleteSync(
        self, request: service_pb2.DeleteSyncRequest, context: grpc.aio.ServicerContext
    ) -> service_pb2.DeleteSyncResponse:
        await self._record("DeleteSync", request, context)
        return service_pb2.DeleteSyncResponse()

    async def ListSyncRuns(
        self, request: service_pb2.ListSyncRunsRequest, context: grpc.aio.ServicerContext
    ) -> service_pb2.ListSyncRunsResponse:
        await self._record("ListSyncRuns", request, context)
        return service_pb2.ListSyncRunsResponse(runs=[messages_pb2.SyncRun(id="r1", sync_id=request.sync_id)], total=1)

    async def TriggerSync(
        self, request: service_pb2.TriggerSyncRequest, context: grpc.aio.ServicerContext
    ) -> messages_pb2.SyncRun:
        await self._record("TriggerSync", request, context)
        return messages_pb2.SyncRun(
            id="r-new", sync_id=request.sync_id, run_mode=request.run_mode or "incremental", status="pending"
        )


class AdminServicer(admin_grpc.AdminServiceServicer):
    async def CreateApiKey(
        self, request: admin_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.CreateApiKeyResponse:
        if not request.name:
            await abort_invalid(context, "invalid API key", [("name", "missing", "Field required")])
        key = admin_pb2.ApiKey(id="k1", name=request.name, role=request.role, prefix="sk_", created_at=_ts(1))
        return admin_pb2.CreateApiKeyResponse(api_key=key, secret="sk_secret")

    async def RevokeApiKey(
        self, request: admin_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> admin_pb2.RevokeApiKeyResponse:
        await context.abort(grpc.StatusCode.NOT_FOUND, "API key not found")


class ProbeServicer:
    """The probe services: echo the request back, or fail as the request says."""

    def __init__(self) -> None:
        self.last: Message | None = None

    async def Echo(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        self.last = request
        return request

    Inspect = Echo
    GetInner = Echo

    async def Fail(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        # count = the gRPC code to fail with; note = the field to blame, when set.
        code = grpc.StatusCode.INVALID_ARGUMENT
        for candidate in grpc.StatusCode:
            if candidate.value[0] == request.count:
                code = candidate
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            violations = [(request.note, "value_error", "is wrong")] if request.HasField("note") else []
            await abort_invalid(context, request.id or "invalid", violations)
        await context.abort(code, request.id or "failed")

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        handlers: list[grpc.GenericRpcHandler] = []
        for service in probe_services():
            methods: dict[str, grpc.RpcMethodHandler] = {}
            for method in service.methods:
                request_class = GetMessageClass(method.input_type)
                response_class = GetMessageClass(method.output_type)
                methods[method.name] = grpc.unary_unary_rpc_method_handler(
                    getattr(self, method.name),
                    request_deserializer=request_class.FromString,
                    response_serializer=response_class.SerializeToString,
                )
            handlers.append(grpc.method_handlers_generic_handler(service.full_name, methods))
        return handlers


@dataclass
class Harness:
    client: TestClient
    syncs: SyncsServicer
    probe: ProbeServicer
    channel: grpc.aio.Channel
    checks: dict[str, bool] = field(default_factory=dict)
    readiness_error: Exception | None = None


@pytest.fixture(scope="module")
async def gateway_stack() -> AsyncIterator[Harness]:
    syncs = SyncsServicer()
    probe = ProbeServicer()
    server = grpc.aio.server()
    service_pb2_grpc.add_SyncsServiceServicer_to_server(syncs, server)
    admin_grpc.add_AdminServiceServicer_to_server(AdminServicer(), server)
    server.add_generic_rpc_handlers(probe.handlers())
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    harness_box: list[Harness] = []

    async def readiness() -> dict[str, bool]:
        harness = harness_box[0]
        if harness.readiness_error is not None:
            raise harness.readiness_error
        return dict(harness.checks)

    app = build_gateway_app(channel, syncs_services() + probe_services(), readiness)
    client = TestClient(TestServer(app))
    await client.start_server()
    harness_box.append(Harness(client=client, syncs=syncs, probe=probe, channel=channel))
    try:
        yield harness_box[0]
    finally:
        await client.close()
        await channel.close()
        await server.stop(None)


@pytest.fixture
async def gw(gateway_stack: Harness) -> Harness:
    """The module's gateway with fresh servicer state."""
    gateway_stack.syncs.reset()
    gateway_stack.probe.last = None
    gateway_stack.checks = {"database": True, "grpc": True}
    gateway_stack.readiness_error = None
    return gateway_stack
