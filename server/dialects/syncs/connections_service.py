"""ConnectionsService: connections to providers, with write-only secrets."""

from __future__ import annotations

import asyncpg
import grpc
from google.protobuf import json_format

from syncplane.server.db import credentials as credentials_db
from syncplane.server.db import syncs as db
from syncplane.server.db.sync_models import Connection
from syncplane.server.dialects import secret_fields
from syncplane.server.dialects.common import actor, not_found, path_uuid
from syncplane.server.dialects.syncs import convert, egress_targets, providers
from syncplane.server.dialects.validation import Checker, each, page
from syncplane.server.errors import Conflict
from syncplane.server.grpc_errors import grpc_method
from syncplane.syncs.v1 import messages_pb2 as mpb
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc

CONNECTIONS_PAGE = 50


def _check_secrets(c: Checker, field: str, secrets: dict[str, object]) -> None:
    for key, value in secrets.items():
        if not isinstance(value, str):
            c.add(f"{field}.{key}", "Input should be a valid string", "string_type")


class ConnectionsService(service_pb2_grpc.ConnectionsServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @grpc_method
    async def ListConnections(self, request: pb.ListConnectionsRequest, context: grpc.aio.ServicerContext) -> pb.ListConnectionsResponse:
        c = Checker()
        limit, offset = page(
            c,
            request.limit if request.HasField("limit") else None,
            request.offset if request.HasField("offset") else None,
            CONNECTIONS_PAGE,
        )
        each(request.provider, "provider", c, providers.PROVIDERS)
        c.raise_if_any()
        rows, total = await db.list_connections(self._pool, request.provider, limit, offset)
        items = [convert.connection(r, await db.secret_keys(self._pool, r.credential_id)) for r in rows]
        return pb.ListConnectionsResponse(
            connections=items, total=total, limit=limit, offset=offset, has_next=offset + len(rows) < total
        )

    @grpc_method
    async def CreateConnection(self, request: pb.CreateConnectionRequest, context: grpc.aio.ServicerContext) -> mpb.Connection:
        inp = request.connection
        c = Checker()
        name = inp.name if inp.HasField("name") else None
        if c.required("connection.name", name):
            c.length("connection.name", name or "", 1, 255)
        provider_key = inp.provider_key if inp.HasField("provider_key") else None
        provider = None
        if c.required("connection.providerKey", provider_key) and c.choice("connection.providerKey", provider_key or "", providers.PROVIDERS):
            provider = providers.get(provider_key or "")
        config = json_format.MessageToDict(inp.config)
        secrets = json_format.MessageToDict(inp.secrets)
        if provider is not None:
            c.json_schema("connection.config", config, provider.connection_schema)
        _check_secrets(c, "connection.secrets", secrets)
        c.raise_if_any()
        assert provider is not None
        await egress_targets.check_connection_config(c, "connection.config", provider.key, config)
        c.raise_if_any()
        assert provider is not None and name is not None
        # A DSN password or a credential header in the config is stored as a secret
        # (what is sent in secrets explicitly wins).
        config, moved = secret_fields.split_config(config)
        secrets = {**moved, **secrets}
        async with self._pool.acquire() as conn, conn.transaction():
            credential_id = await db.insert_credential(conn, secrets)
            row = await db.insert_connection(conn, name, provider.key, config, credential_id, actor())
        return convert.connection(row, sorted(secrets))

    @grpc_method
    async def GetConnection(self, request: pb.GetConnectionRequest, context: grpc.aio.ServicerContext) -> mpb.Connection:
        row = await self._get(request.connection_id)
        return convert.connection(row, await db.secret_keys(self._pool, row.credential_id))

    @grpc_method
    async def UpdateConnection(self, request: pb.UpdateConnectionRequest, context: grpc.aio.ServicerContext) -> mpb.Connection:
        row = await self._get(request.connection_id)
        inp = request.connection
        paths = set(request.update_mask.paths) if request.HasField("update_mask") else {f.name for f, _ in inp.ListFields()}
        c = Checker()
        if "provider_key" in paths and inp.provider_key != row.provider_key:
            c.add("connection.providerKey", "the provider of a connection cannot be changed", "value_error")
        name = inp.name if "name" in paths and inp.HasField("name") else row.name
        if "name" in paths:
            if c.required("connection.name", inp.name if inp.HasField("name") else None):
                c.length("connection.name", name, 1, 255)
        config = json_format.MessageToDict(inp.config) if "config" in paths else dict(row.config)
        provider = providers.get(row.provider_key)
        if provider is not None and "config" in paths:
            c.json_schema("connection.config", config, provider.connection_schema)
        secrets = json_format.MessageToDict(inp.secrets) if "secrets" in paths else None
        if secrets is not None:
            _check_secrets(c, "connection.secrets", secrets)
        c.raise_if_any()
        if "config" in paths:
            await egress_targets.check_connection_config(c, "connection.config", row.provider_key, config)
            c.raise_if_any()
        config, moved = secret_fields.split_config(config)
        async with self._pool.acquire() as conn, conn.transaction():
            updated = await db.update_connection(conn, row.id, name, config, actor())
            if secrets is not None:
                # Secrets are replaced whole: what is not sent is removed.
                await db.update_credential(conn, row.credential_id, {**moved, **secrets})
            elif moved:
                await credentials_db.merge_credential(conn, row.credential_id, moved)
        assert updated is not None
        return convert.connection(updated, await db.secret_keys(self._pool, updated.credential_id))

    @grpc_method
    async def DeleteConnection(self, request: pb.DeleteConnectionRequest, context: grpc.aio.ServicerContext) -> pb.DeleteConnectionResponse:
        row = await self._get(request.connection_id)
        async with self._pool.acquire() as conn, conn.transaction():
            gone = await db.delete_connection(conn, row.id)
            if gone is None:
                used = await db.syncs_using_connection(conn, row.id)
                raise Conflict(f"connection {row.id} is used by {used} sync(s); delete them first")
            await db.delete_credential(conn, gone.credential_id)
        return pb.DeleteConnectionResponse()

    async def _get(self, raw_id: str) -> Connection:
        connection_id = path_uuid("connectionId", raw_id, "connection")
        row = await db.get_connection(self._pool, connection_id)
        if row is None:
            raise not_found("connection", connection_id)
        return row
