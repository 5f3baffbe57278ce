"""SyncsService: syncs, their runs, and the provider catalog (seed 004)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import grpc
from google.protobuf import json_format

from syncplane.server.db import schedules as schedules_db
from syncplane.server.db import syncs as db
from syncplane.server.db.sync_models import Sync
from syncplane.server.dialects import secret_fields
from syncplane.server.dialects.common import actor, not_found, path_uuid
from syncplane.server.dialects.syncs import convert, egress_targets, plans, providers, sync_input
from syncplane.server.dialects.validation import Checker, each, page
from syncplane.server.engine import states
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub
from syncplane.server.errors import Conflict, InvalidArgument, Violation
from syncplane.server.grpc_errors import grpc_method, grpc_stream
from syncplane.syncs.v1 import messages_pb2 as mpb
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc

SYNCS_PAGE, RUNS_PAGE = 50, 25
RUN_STATUSES = tuple(sorted(states.ACTIVE | states.TERMINAL))


def catalog_message(provider: providers.Provider) -> mpb.ProviderCatalog:
    msg = mpb.ProviderCatalog(
        provider=provider.key,
        name=provider.key,
        display_name=provider.display_name,
        dynamic_resources=provider.dynamic_resources,
        runnable=provider.runnable,
        resources=[json_format.ParseDict(r, mpb.ProviderResource()) for r in provider.resources],
        available_resources=[r["entityKey"] for r in provider.resources],
        default_resources=[r["entityKey"] for r in provider.resources if r.get("defaultSelected")],
    )
    msg.config_schema.update(provider.config_schema)
    msg.defaults.update(provider.defaults)
    if provider.unavailable_reason:
        msg.unavailable_reason = provider.unavailable_reason
    return msg


class SyncsService(service_pb2_grpc.SyncsServiceServicer):
    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub) -> None:
        self._pool = pool
        self._engine = engine
        self._watch = watch

    # -- syncs ---------------------------------------------------------------------
    @grpc_method
    async def ListSyncs(self, request: pb.ListSyncsRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncsResponse:
        c = Checker()
        limit, offset = page(c, _opt(request, "limit"), _opt(request, "offset"), SYNCS_PAGE)
        each(request.status, "status", c, sync_input.STATUSES)
        each(request.provider, "provider", c, providers.PROVIDERS)
        c.raise_if_any()
        q = request.q if request.HasField("q") and request.q else None
        fresh = request.fresh if request.HasField("fresh") else None
        rows, total = await db.list_syncs(self._pool, request.status, request.provider, q, limit, offset, fresh)
        return pb.ListSyncsResponse(
            syncs=[convert.sync(r) for r in rows], total=total, limit=limit, offset=offset,
            has_next=offset + len(rows) < total,
        )

    @grpc_method
    async def CreateSync(self, request: pb.CreateSyncRequest, context: grpc.aio.ServicerContext) -> mpb.Sync:
        inp = request.sync
        present = {f.name for f, _ in inp.ListFields()} | {"table_bindings"}
        values = sync_input.apply(sync_input.defaults(), inp, present & set(sync_input.MASKABLE), [])
        c = Checker()
        provider: providers.Provider | None = None
        connection = None
        if c.required("sync.connectionId", inp.connection_id, empty_is_missing=True):
            connection_id = c.uuid("sync.connectionId", inp.connection_id)
            if connection_id is not None:
                connection = await db.get_connection(self._pool, connection_id)
                if connection is None:
                    c.add("sync.connectionId", f"connection {connection_id} not found", "not_found")
                else:
                    provider = providers.get(connection.provider_key)
                    if provider is None or not provider.runnable:
                        reason = provider.unavailable_reason if provider else "unknown provider"
                        c.add(
                            "sync.connectionId",
                            f"provider '{connection.provider_key}' is not runnable: {reason}",
                            "provider_not_runnable",
                        )
                    else:
                        # A connection made before its provider became runnable (or under an
                        # older schema) may lack settings a run needs: say so now, not at run time.
                        c.json_schema("sync.connectionId", connection.config or {}, provider.connection_schema)
        try:
            sync_input.validate(values, provider.key if provider else "", **self._backend_choice())
        except InvalidArgument as exc:
            c.violations.extend(exc.violations)
        for field, message in secret_fields.secret_violations(values["source_config"] or {}, "sync.sourceConfig"):
            c.add(field, message, "value_error")
        c.raise_if_any()
        assert connection is not None and provider is not None
        await egress_targets.check_source_config(c, "sync.sourceConfig", provider.key, values["source_config"])
        await egress_targets.check_destination_config(c, "sync.destinationConfig", values["destination_config"])
        c.raise_if_any()
        connection_id = connection.id
        destination, dest_secrets = plans.split_destination(values["destination_config"])
        async with self._pool.acquire() as conn, conn.transaction():
            values["destination_config"] = destination
            values["credential_id"] = await db.insert_credential(conn, dest_secrets) if dest_secrets else None
            try:
                row = await db.insert_sync(conn, connection_id, provider.key, values, actor())
            except asyncpg.UniqueViolationError:
                raise Conflict(f"a sync with slug '{values['slug']}' already exists") from None
            await plans.sync_schedule(conn, row)
            if row.status == "active" and row.trigger_mode == "on_create":
                await self._engine.queue(plans.build_run(row, connection, "full", "on_create", None), conn)
        return convert.sync(row)

    @grpc_method
    async def GetSync(self, request: pb.GetSyncRequest, context: grpc.aio.ServicerContext) -> mpb.Sync:
        return convert.sync(await self._sync(request.sync_id))

    @grpc_method
    async def UpdateSync(self, request: pb.UpdateSyncRequest, context: grpc.aio.ServicerContext) -> mpb.Sync:
        sync_id = path_uuid("syncId", request.sync_id, "sync")
        paths = set(request.update_mask.paths) if request.HasField("update_mask") else {f.name for f, _ in request.sync.ListFields()}
        unknown = paths - set(sync_input.MASKABLE)
        if unknown:
            raise InvalidArgument(
                [Violation(f"sync.{_camel(p)}", "this field cannot be changed" if p == "connection_id" else "unknown field", "value_error") for p in sorted(unknown)]
            )
        async with self._pool.acquire() as conn, conn.transaction():
            row = await db.get_sync(conn, sync_id, for_update=True)
            if row is None:
                raise not_found("sync", sync_id)
            if row.status == "archived" and paths - {"status"}:
                raise Conflict(f"sync {sync_id} is archived and read-only; change its status first")
            current = {k: getattr(row, k) for k in sync_input.defaults()}
            values = sync_input.apply(current, request.sync, paths, list(row.table_bindings))
            sync_input.validate(values, row.provider_key, **self._backend_choice())
            if "source_config" in paths:
                _refuse_source_secrets(values["source_config"] or {})
            egress_checks = Checker()
            if "source_config" in paths:
                await egress_targets.check_source_config(
                    egress_checks, "sync.sourceConfig", row.provider_key, values["source_config"]
                )
            if "destination_config" in paths:
                await egress_targets.check_destination_config(
                    egress_checks, "sync.destinationConfig", values["destination_config"]
                )
            egress_checks.raise_if_any()
            values["credential_id"] = row.credential_id
            if "destination_config" in paths:
                destination, dest_secrets = plans.split_destination(values["destination_config"])
                values["destination_config"] = destination
                if dest_secrets and values["credential_id"] is not None:
                    await db.update_credential(conn, values["credential_id"], dest_secrets)
                elif dest_secrets:
                    values["credential_id"] = await db.insert_credential(conn, dest_secrets)
            try:
                updated = await db.update_sync(conn, sync_id, values, actor())
            except asyncpg.UniqueViolationError:
                raise Conflict(f"a sync with slug '{values['slug']}' already exists") from None
            await plans.sync_schedule(conn, updated)
        return convert.sync(updated)

    @grpc_method
    async def DeleteSync(self, request: pb.DeleteSyncRequest, context: grpc.aio.ServicerContext) -> pb.DeleteSyncResponse:
        sync_id = path_uuid("syncId", request.sync_id, "sync")
        async with self._pool.acquire() as conn, conn.transaction():
            row = await db.get_sync(conn, sync_id, for_update=True)
            if row is None:
                raise not_found("sync", sync_id)
            active = await self._engine.active_run(plans.KIND, sync_id, conn)
            if active is not None:
                raise Conflict(f"sync {sync_id} has an active run ({active.id}); cancel it before deleting")
            await schedules_db.delete_schedule(conn, plans.KIND, sync_id)
            gone = await db.delete_sync(conn, sync_id)
            if gone is not None and gone.credential_id is not None:
                await db.delete_credential(conn, gone.credential_id)
        return pb.DeleteSyncResponse()

    # -- runs ------------------------------------------------------------------------
    @grpc_method
    async def TriggerSync(self, request: pb.TriggerSyncRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRun:
        run_mode = _run_mode(request)
        sync = await self._sync(request.sync_id)
        if sync.status == "archived":
            raise Conflict(f"sync {sync.id} is archived; it cannot run")
        if not plans.entity_keys(sync):
            raise Conflict(f"sync {sync.id} has no entities to sync; set entities or tableBindings")
        provider = providers.get(sync.provider_key)
        if provider is None or not provider.runnable:
            raise Conflict(f"provider '{sync.provider_key}' is not runnable on this server")
        refused = self._engine.unoffered_backend(sync.execution_backend)
        if refused is not None:
            # Stored while this server offered it: a run queued now would wait for nobody.
            raise Conflict(refused)
        connection = await db.get_connection(self._pool, sync.connection_id)
        assert connection is not None  # a foreign key keeps it
        row = await self._engine.queue(plans.build_run(sync, connection, run_mode, "manual", actor()))
        return convert.run(row)

    @grpc_method
    async def ListRuns(self, request: pb.ListRunsRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncRunsResponse:
        c = Checker()
        limit, offset = page(c, _opt(request, "limit"), _opt(request, "offset"), RUNS_PAGE)
        each(request.status, "status", c, RUN_STATUSES)
        c.raise_if_any()
        rows, total = await self._engine.list_of_kind(plans.KIND, list(request.status), limit, offset)
        return pb.ListSyncRunsResponse(
            runs=[convert.run(r) for r in rows], total=total, limit=limit, offset=offset,
            has_next=offset + len(rows) < total,
        )

    @grpc_method
    async def ListSyncRuns(self, request: pb.ListSyncRunsRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncRunsResponse:
        c = Checker()
        sync_id = c.uuid("syncId", request.sync_id)
        limit, offset = page(c, _opt(request, "limit"), _opt(request, "offset"), RUNS_PAGE)
        c.raise_if_any()
        assert sync_id is not None
        if await db.get_sync(self._pool, sync_id) is None:
            raise not_found("sync", sync_id)
        rows, total = await self._engine.list_for(plans.KIND, sync_id, limit, offset)
        return pb.ListSyncRunsResponse(
            runs=[convert.run(r) for r in rows], total=total, limit=limit, offset=offset,
            has_next=offset + len(rows) < total,
        )

    @grpc_method
    async def GetSyncRun(self, request: pb.GetSyncRunRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRun:
        run_id = path_uuid("runId", request.run_id, "run")
        return convert.run(await self._engine.get(run_id, plans.KIND))

    @grpc_stream
    async def WatchSyncRun(self, request: pb.WatchSyncRunRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[mpb.SyncRun]:
        run_id = path_uuid("runId", request.run_id, "run")
        await self._engine.get(run_id, plans.KIND)  # 404 before the stream starts
        # An auto-resumed attempt continues the run: the watch follows it.
        async for row in self._watch.watch_chain(run_id, lambda rid: self._engine.get(rid, plans.KIND)):
            yield convert.run(row)

    @grpc_method
    async def CancelSyncRun(self, request: pb.CancelSyncRunRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRun:
        run_id = path_uuid("runId", request.run_id, "run")
        reason = request.reason if request.HasField("reason") else None
        c = Checker()
        c.length("reason", reason, 0, 1000)
        c.raise_if_any()
        return convert.run(await self._engine.cancel(run_id, plans.KIND, actor(), reason))

    @grpc_method
    async def RetrySyncRun(self, request: pb.RetrySyncRunRequest, context: grpc.aio.ServicerContext) -> mpb.SyncRun:
        run_id = path_uuid("runId", request.run_id, "run")
        run_mode = _run_mode(request) if request.HasField("run_mode") else None
        return convert.run(await self._engine.retry(run_id, plans.KIND, run_mode, actor()))

    # -- providers -------------------------------------------------------------------
    @grpc_method
    async def ListSyncProviders(self, request: pb.ListSyncProvidersRequest, context: grpc.aio.ServicerContext) -> pb.ListSyncProvidersResponse:
        return pb.ListSyncProvidersResponse(providers=[catalog_message(p) for p in providers.CATALOG.values()])

    @grpc_method
    async def ListExecutionBackends(
        self, request: pb.ListExecutionBackendsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListExecutionBackendsResponse:
        offered = set(self._engine.offered_backends())
        return pb.ListExecutionBackendsResponse(backends=[
            pb.ExecutionBackend(
                name=name, available=name in offered,
                setting="" if name in offered else self._engine.backend_setting(name),
            )
            for name in sync_input.EXECUTION_BACKENDS
        ])

    @grpc_method
    async def GetSyncProviderCatalog(self, request: pb.GetSyncProviderCatalogRequest, context: grpc.aio.ServicerContext) -> mpb.ProviderCatalog:
        provider = providers.get(request.provider)
        if provider is None:
            c = Checker()
            c.choice("provider", request.provider, providers.PROVIDERS)
            c.raise_if_any()
        assert provider is not None
        return catalog_message(provider)

    def _backend_choice(self) -> dict[str, Any]:
        """What validation needs to know of the execution backends (the engine's)."""
        return {"offered": self._engine.offered_backends(), "backend_setting": self._engine.backend_setting}

    async def _sync(self, raw_id: str) -> Sync:
        sync_id = path_uuid("syncId", raw_id, "sync")
        row = await db.get_sync(self._pool, sync_id)
        if row is None:
            raise not_found("sync", sync_id)
        return row


def _opt(request: object, field: str) -> int | None:
    return getattr(request, field) if request.HasField(field) else None  # type: ignore[attr-defined]  # protobuf's HasField wants a Literal field name


def _run_mode(request: pb.TriggerSyncRequest | pb.RetrySyncRunRequest) -> str:
    mode = request.run_mode if request.HasField("run_mode") else "incremental"
    c = Checker()
    c.choice("runMode", mode, sync_input.RUN_MODES)
    c.raise_if_any()
    return mode


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


__all__ = ["SyncsService", "catalog_message"]


def _refuse_source_secrets(source_config: dict[str, object]) -> None:
    """A sync's sourceConfig is readable and has no secrets of its own: a DSN
    password or credential header there is a 422 (the connection holds them)."""
    found = secret_fields.secret_violations(source_config, "sync.sourceConfig")
    if found:
        raise InvalidArgument([Violation(field, message, "value_error") for field, message in found])
