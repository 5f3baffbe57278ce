"""WebhooksService: /webhook. The signing secret is generated here and shown
once, in the create call's answer."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from syncplane.server.db import jobs as db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.db.jobs_models import Webhook
from syncplane.server.dialects import egress
from syncplane.server.dialects.jobs import convert, inputs, paging
from syncplane.server.dialects.jobs.integrations_service import IntegrationsService
from syncplane.server.dialects.validation import Checker
from syncplane.server.grpc_errors import grpc_method

_get = IntegrationsService._get


class WebhooksService(service_pb2_grpc.WebhooksServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @grpc_method
    async def ListWebhooks(self, request: pb.ListWebhooksRequest, context: Any) -> pb.ListWebhooksResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        env = c.uuid("environment_id", request.environment_id) if request.HasField("environment_id") else None
        c.raise_if_any()
        rows = await db.list_rows(self._pool, Webhook, cursor, limit + 1, env)
        return paging.fill(pb.ListWebhooksResponse(), rows, limit, convert.webhook)

    @grpc_method
    async def CreateWebhook(self, request: pb.CreateWebhookRequest, context: Any) -> mpb.Webhook:
        c = Checker()
        inputs.url(c, "target_url", request.target_url)
        inputs.event_types(c, list(request.event_types))
        environment = inputs.environment(c, request)
        c.raise_if_any()
        await egress.check_url(c, "target_url", request.target_url)
        c.raise_if_any()
        secret = secrets.token_hex(32)
        values = {
            "target_url": request.target_url,
            "event_types": list(dict.fromkeys(request.event_types)),
            "is_active": request.is_active if request.HasField("is_active") else True,
            "environment_id": environment,
        }
        async with self._pool.acquire() as conn, conn.transaction():
            credential_id = await credentials_db.insert_credential(conn, {"secret": secret})
            row = await db.insert_webhook(conn, values, credential_id)
        return convert.webhook(row, secret)

    @grpc_method
    async def GetWebhook(self, request: pb.GetWebhookRequest, context: Any) -> mpb.Webhook:
        return convert.webhook(await _get(self._pool, Webhook, request.id))

    @grpc_method
    async def UpdateWebhook(self, request: pb.UpdateWebhookRequest, context: Any) -> mpb.Webhook:
        row = await _get(self._pool, Webhook, request.id)
        c = Checker()
        values = {"target_url": row.target_url, "event_types": row.event_types, "is_active": row.is_active}
        if request.HasField("target_url"):
            inputs.url(c, "target_url", request.target_url)
            values["target_url"] = request.target_url
        if request.event_types:
            inputs.event_types(c, list(request.event_types))
            values["event_types"] = list(dict.fromkeys(request.event_types))
        if request.HasField("is_active"):
            values["is_active"] = request.is_active
        c.raise_if_any()
        if request.HasField("target_url"):
            await egress.check_url(c, "target_url", request.target_url)
            c.raise_if_any()
        return convert.webhook(await db.update_webhook(self._pool, row.id, values))

    @grpc_method
    async def DeleteWebhook(self, request: pb.DeleteWebhookRequest, context: Any) -> pb.DeleteResponse:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await _get(conn, Webhook, request.id)
            await db.delete_row(conn, Webhook, row.id)
            await credentials_db.delete_credential(conn, row.credential_id)
        return pb.DeleteResponse(id=str(row.id))
