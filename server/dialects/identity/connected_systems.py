"""Connector definitions, connected systems, their partitions and schema import."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import grpc
import structlog

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.db import identity as db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.db.identity_models import ConnectedSystemView
from syncplane.server.db.models import Run
from syncplane.server.dialects import reserved, secret_fields
from syncplane.server.dialects.identity import convert, egress_targets, plans
from syncplane.server.dialects.identity.base import Resource, found, initiated_by
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import DESCRIPTION_MAX, IMPORT_SCHEMA, NAME_MAX, Rules
from syncplane.server.engine import states
from syncplane.server.errors import Conflict, FailedPrecondition, NotFound, Unavailable
from syncplane.server.grpc_errors import grpc_method
from syncplane.server.observability import run_context
from syncplane.wire import from_struct

log = structlog.get_logger(__name__)

CS_SORT_KEYS = ("name", "created", "objectCount", "id")
CS_STATUSES = ("Active", "Disabled")
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "boolean": (bool,), "object": (dict,)}


def check_settings(rules: Rules, definitions: list[dict[str, Any]], settings: dict[str, Any]) -> dict[str, Any]:
    """Validates settings against the connector's definitions; returns the secret
    ones, which never stay among the readable settings (a DSN setting's password
    is taken out of `settings`, in place)."""
    by_name = {d["name"]: d for d in definitions}
    secrets: dict[str, Any] = {}
    for key, value in settings.items():
        definition = by_name.get(key)
        field = f"settings.{key}"
        if definition is None:
            rules.add(field, f"Unknown setting '{key}'. Known settings: {', '.join(by_name)}.", "unknown_setting")
            continue
        if value is None:
            continue  # null removes a setting
        allowed = _TYPES.get(definition["type"], (object,))
        if isinstance(value, bool) and definition["type"] == "integer" or not isinstance(value, allowed):
            rules.add(field, f"The setting '{key}' must be of type {definition['type']}.", "type_error")
        elif definition.get("secret"):
            secrets[key] = str(value)
        elif key == "table" and (problem := reserved.qualified_table_problem(value)) is not None:
            # The SQL connector's target: never one of syncplane's own stores.
            rules.add(field, f"The setting 'table': {problem}.", "reserved_name")
        elif isinstance(value, str):
            # A DSN setting keeps everything but its password, which becomes the
            # `password` secret (settings are readable by every role).
            clean, password = secret_fields.split_dsn(value)
            if password:
                settings[key] = clean
                secrets["password"] = password
            elif secret_fields.has_keyword_password(value):
                rules.add(field, f"The setting '{key}' may not hold a password: use the secret 'password'.", "value_error")
    return secrets


def missing_settings(cs: ConnectedSystemView, secret_names: list[str]) -> list[str]:
    """Required settings (secrets included) that a connected system lacks."""
    present = {k for k, v in cs.settings.items() if v not in (None, "")} | set(secret_names)
    return [d["name"] for d in cs.setting_definitions if d.get("required") and d["name"] not in present]


async def check_runnable(pool: asyncpg.Pool, cs: ConnectedSystemView) -> None:
    """A run needs a runnable connector, an enabled system and its required settings."""
    if not cs.runnable:
        raise FailedPrecondition(f"The {cs.connector_name} connector cannot run here: {cs.unavailable_reason}.")
    if cs.status != "Active":
        raise FailedPrecondition(f"Connected system '{cs.name}' is {cs.status}; enable it first.")
    missing = missing_settings(cs, await credentials_db.secret_keys(pool, cs.credential_id))
    if missing:
        raise FailedPrecondition(
            f"Connected system '{cs.name}' is missing required settings: {', '.join(missing)}."
        )


class ConnectorDefinitions(Resource):
    """The connectors this service offers (read-only)."""

    @grpc_method
    async def ListConnectorDefinitions(self, request: pb.ListConnectorDefinitionsRequest, context: grpc.aio.ServicerContext) -> pb.ListConnectorDefinitionsResponse:
        rows = await db.list_connector_definitions(self._pool)
        return pb.ListConnectorDefinitionsResponse(items=[convert.connector_definition(r) for r in rows])

    @grpc_method
    async def GetConnectorDefinition(self, request: pb.GetConnectorDefinitionRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectorDefinition:
        row = await db.get_connector_definition(self._pool, request.id)
        return convert.connector_definition(found(row, "Connector definition", request.id))


class ConnectedSystems(Resource):
    """Connected systems, their partitions and the import of their schema."""

    @grpc_method
    async def ListConnectedSystems(self, request: pb.ListConnectedSystemsRequest, context: grpc.aio.ServicerContext) -> pb.ListConnectedSystemsResponse:
        page = page_of(request, CS_SORT_KEYS, "name", "asc")
        search = request.search if request.HasField("search") and request.search else None
        rows, total = await db.list_connected_systems(self._pool, search, page.sort_by, page.direction, page.page_size, page.offset)
        return page.envelope(pb.ListConnectedSystemsResponse(), [convert.connected_system_header(r) for r in rows], total)

    @grpc_method
    async def CreateConnectedSystem(self, request: pb.CreateConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        rules = Rules()
        name = request.name if request.HasField("name") else None
        description = request.description if request.HasField("description") else None
        if rules.required("name", name):
            rules.length("name", name, 1, NAME_MAX)
        rules.length("description", description, 0, DESCRIPTION_MAX)
        definition = None
        if rules.required("connectorDefinitionId", request.connector_definition_id if request.HasField("connector_definition_id") else None):
            definition = await db.get_connector_definition(self._pool, request.connector_definition_id)
            if definition is None:
                rules.add("connectorDefinitionId", f"Connector definition with ID {request.connector_definition_id} not found.", "not_found")
            elif not definition.runnable:
                rules.add("connectorDefinitionId",
                          f"The {definition.name} connector cannot be used here: {definition.unavailable_reason}.",
                          "not_runnable")
        settings = from_struct(request.settings) if request.HasField("settings") else {}
        secrets = dict(request.secrets)
        if definition is not None:
            secrets.update(check_settings(rules, list(definition.settings), settings))
        rules.raise_if_any()
        assert definition is not None and name is not None
        await egress_targets.check_settings(rules, definition.connector, settings)
        rules.raise_if_any()
        readable = {k: v for k, v in settings.items() if k not in secrets and v is not None}
        async with self._pool.acquire() as conn, conn.transaction():
            credential = await credentials_db.insert_credential(conn, {k: v for k, v in secrets.items() if v})
            try:
                cs_id = await db.insert_connected_system(conn, name, description, definition.id, readable, credential)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"A connected system named '{name}' already exists.") from None
        log.info("identity.connected_system_created", connected_system_id=cs_id, connector=definition.connector)
        return await self._cs_message(cs_id)

    @grpc_method
    async def GetConnectedSystem(self, request: pb.GetConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        return await self._cs_message(request.id)

    @grpc_method
    async def UpdateConnectedSystem(self, request: pb.UpdateConnectedSystemRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        cs = await self._connected_system(request.id)
        rules = Rules()
        name = request.name if request.HasField("name") else cs.name
        description = request.description if request.HasField("description") else cs.description
        status = request.status if request.HasField("status") else cs.status
        if request.HasField("name") and rules.required("name", name):
            rules.length("name", name, 1, NAME_MAX)
        rules.length("description", description, 0, DESCRIPTION_MAX)
        rules.choice("status", status, CS_STATUSES)
        changes = from_struct(request.settings) if request.HasField("settings") else {}
        secret_changes = dict(request.secrets)
        secret_changes.update(check_settings(rules, list(cs.setting_definitions), changes))
        rules.raise_if_any()
        settings = dict(cs.settings)
        for key, value in changes.items():
            if key in secret_changes:
                continue
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        if egress_targets.TARGET_SETTINGS & changes.keys():
            await egress_targets.check_settings(rules, cs.connector, settings)
            rules.raise_if_any()
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                await db.update_connected_system(conn, cs.id, name, description, settings, status)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"A connected system named '{name}' already exists.") from None
            if secret_changes:
                await db.merge_secrets(conn, cs.credential_id, secret_changes)
        return await self._cs_message(cs.id)

    @grpc_method
    async def DeleteConnectedSystem(self, request: pb.DeleteConnectedSystemRequest, context: grpc.aio.ServicerContext) -> pb.DeleteConnectedSystemResponse:
        async with self._pool.acquire() as conn, conn.transaction():
            if await db.lock_connected_system(conn, request.id) is None:
                raise NotFound(f"Connected system with ID {request.id} not found.")
            if await db.active_runs_of_connected_system(conn, request.id):
                raise Conflict(f"Connected system {request.id} has a queued or running task; cancel it before deleting.")
            credential_id = await db.delete_connected_system(conn, request.id)
            if credential_id is not None:
                await credentials_db.delete_credential(conn, credential_id)
        log.info("identity.connected_system_deleted", connected_system_id=request.id)
        return pb.DeleteConnectedSystemResponse()

    # -- schema and partitions -------------------------------------------------------
    @grpc_method
    async def ImportConnectedSystemSchema(self, request: pb.ImportConnectedSystemSchemaRequest, context: grpc.aio.ServicerContext) -> mpb.ConnectedSystem:
        cs = await self._connected_system(request.id)
        await check_runnable(self._pool, cs)
        activity_id = uuid.uuid4()
        spec = await plans.build_plan(self._pool, activity_id, cs, IMPORT_SCHEMA, file_roots=self._settings.file_roots)
        by_type, by_id, by_name = initiated_by()
        async with self._pool.acquire() as conn, conn.transaction():
            if await db.lock_connected_system(conn, cs.id) is None:
                raise NotFound(f"Connected system with ID {cs.id} not found.")
            # The caller waits for the answer: queued behind a long import it would only time out.
            if await db.active_runs_of_connected_system(conn, cs.id):
                raise Conflict(f"Connected system {cs.id} has a queued or running task; import its schema "
                               "when that task has ended.")
            run = await self._engine.queue(plans.new_run(activity_id, cs, spec, by_name), conn)
            await db.insert_activity(conn, activity_id, run.id, {
                "target_type": "ConnectedSystem", "target_operation_type": "ImportSchema", "target_name": cs.name,
                "target_context": cs.name, "connected_system_id": cs.id, "run_profile_id": None,
                "run_type": IMPORT_SCHEMA, "initiated_by_type": by_type, "initiated_by_id": by_id,
                "initiated_by_name": by_name, "warnings": [], "message": "Schema import queued.",
            })
        final = await self._wait_for_chain(run.id, self._settings.schema_timeout_seconds)
        if final is None:
            await self._give_up(run.id)
            raise Unavailable(
                f"No executor answered the schema import of connected system {cs.id} within "
                f"{self._settings.schema_timeout_seconds:g} s; it was cancelled. Check that an executor with the "
                "identity connector is running, then retry."
            )
        if final.status != states.SUCCEEDED:
            raise FailedPrecondition(f"The schema import of connected system {cs.id} failed: {final.error or final.status}")
        with run_context.bound(final):
            log.info("identity.schema_imported", connected_system_id=cs.id)
        return await self._cs_message(cs.id)

    @grpc_method
    async def ListPartitions(self, request: pb.ListPartitionsRequest, context: grpc.aio.ServicerContext) -> pb.ListPartitionsResponse:
        await self._connected_system(request.id)
        return pb.ListPartitionsResponse(items=[convert.partition(p) for p in await db.list_partitions(self._pool, request.id)])

    @grpc_method
    async def UpdatePartition(self, request: pb.UpdatePartitionRequest, context: grpc.aio.ServicerContext) -> mpb.Partition:
        await self._connected_system(request.id)
        rules = Rules()
        rules.required("selected", request.selected if request.HasField("selected") else None)
        rules.raise_if_any()
        row = await db.set_partition_selected(self._pool, request.id, request.partition_id, request.selected)
        return convert.partition(found(row, "Partition", request.partition_id))

    # -- helpers ---------------------------------------------------------------------
    async def _cs_message(self, cs_id: int) -> mpb.ConnectedSystem:
        cs = await self._connected_system(cs_id)
        partitions = await db.list_partitions(self._pool, cs_id)
        secret_names = await credentials_db.secret_keys(self._pool, cs.credential_id)
        return convert.connected_system(cs, partitions, secret_names)

    async def _wait_for_chain(self, run_id: uuid.UUID, timeout: float) -> Run | None:
        """The run chain's final attempt, or None after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                last = None
                async for row in self._watch.watch_chain(run_id, lambda rid: self._engine.get(rid, plans.KIND)):
                    last = row
                return last
        except TimeoutError:
            return None

    async def _give_up(self, run_id: uuid.UUID) -> None:
        """Cancels the latest attempt of a chain nobody answered, so it stops holding the system."""
        row = await self._engine.latest_attempt(run_id, plans.KIND)
        if row.status in states.ACTIVE:
            try:
                await self._engine.cancel(row.id, plans.KIND, "identity", "no executor answered the schema import")
            except Conflict:
                pass  # it ended meanwhile

