"""IntegrationsService: /integration and /integrated-account."""

from __future__ import annotations

from typing import Any, TypeVar

import asyncpg

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from syncplane.server.db import jobs as db
from syncplane.server.db import jobs_runs as runs_db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.db.jobs_models import CronTrigger, Daemon, IntegratedAccount, Integration, SyncJob, Webhook
from syncplane.server.db.rows import RowModel
from syncplane.server.dialects import egress
from syncplane.server.dialects.common import not_found, path_uuid
from syncplane.server.dialects.jobs import convert, inputs, paging
from syncplane.server.dialects.validation import Checker
from syncplane.server.errors import Conflict
from syncplane.server.grpc_errors import grpc_method

R = TypeVar("R", bound=RowModel)

#: How the errors about a path id name each resource.
_NAMES: dict[type[RowModel], str] = {
    Integration: "integration", IntegratedAccount: "account", Webhook: "webhook",
    SyncJob: "sync_job", CronTrigger: "cron_trigger", Daemon: "daemon",
}


class IntegrationsService(service_pb2_grpc.IntegrationsServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # -- integrations --------------------------------------------------------------
    @grpc_method
    async def ListIntegrations(self, request: pb.ListIntegrationsRequest, context: Any) -> pb.ListIntegrationsResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        c.raise_if_any()
        rows = await db.list_rows(self._pool, Integration, cursor, limit + 1, inputs.opt(request, "name"))
        return paging.fill(pb.ListIntegrationsResponse(), rows, limit, convert.integration)

    @grpc_method
    async def CreateIntegration(self, request: pb.CreateIntegrationRequest, context: Any) -> mpb.Integration:
        c = Checker()
        inputs.integration_name(c, request.name)
        inputs.url(c, "base_url", request.base_url)
        values = {
            "name": request.name,
            "label": inputs.opt(request, "label") or request.name,
            "base_url": request.base_url,
            "auth": inputs.auth(c, inputs.struct(request, "auth")),
            "resources": inputs.integration_resources(c, inputs.struct(request, "resources")),
        }
        c.raise_if_any()
        await egress.check_url(c, "base_url", request.base_url)
        c.raise_if_any()
        try:
            row = await db.insert_integration(self._pool, values)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"an integration named '{request.name}' already exists") from None
        return convert.integration(row)

    @grpc_method
    async def GetIntegration(self, request: pb.GetIntegrationRequest, context: Any) -> mpb.Integration:
        return convert.integration(await self._get(self._pool, Integration, request.id))

    @grpc_method
    async def UpdateIntegration(self, request: pb.UpdateIntegrationRequest, context: Any) -> mpb.Integration:
        row = await self._get(self._pool, Integration, request.id)
        c = Checker()
        values = {"label": row.label, "base_url": row.base_url, "auth": row.auth, "resources": row.resources}
        if request.HasField("label"):
            values["label"] = request.label
        if request.HasField("base_url"):
            inputs.url(c, "base_url", request.base_url)
            values["base_url"] = request.base_url
        if request.HasField("auth"):
            values["auth"] = inputs.auth(c, inputs.struct(request, "auth"))
        if request.HasField("resources"):
            values["resources"] = inputs.integration_resources(c, inputs.struct(request, "resources"))
        c.raise_if_any()
        if request.HasField("base_url"):
            await egress.check_url(c, "base_url", request.base_url)
            c.raise_if_any()
        return convert.integration(await db.update_integration(self._pool, row.id, values))

    @grpc_method
    async def DeleteIntegration(self, request: pb.DeleteIntegrationRequest, context: Any) -> pb.DeleteResponse:
        row = await self._get(self._pool, Integration, request.id)
        if await db.integration_in_use(self._pool, row.name):
            raise Conflict(f"integration '{row.name}' is used by integrated accounts or sync jobs; delete them first")
        await db.delete_row(self._pool, Integration, row.id)
        return pb.DeleteResponse(id=str(row.id))

    # -- integrated accounts -------------------------------------------------------------
    @grpc_method
    async def ListIntegratedAccounts(self, request: pb.ListIntegratedAccountsRequest, context: Any) -> pb.ListIntegratedAccountsResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        env = c.uuid("environment_id", request.environment_id) if request.HasField("environment_id") else None
        c.raise_if_any()
        rows = await db.list_rows(
            self._pool, IntegratedAccount, cursor, limit + 1, inputs.opt(request, "integration_name"), env
        )
        return paging.fill(pb.ListIntegratedAccountsResponse(), rows, limit, convert.account)

    @grpc_method
    async def CreateIntegratedAccount(self, request: pb.CreateIntegratedAccountRequest, context: Any) -> mpb.IntegratedAccount:
        c = Checker()
        if c.required("integration_name", request.integration_name, empty_is_missing=True):
            if await db.get_integration_by_name(self._pool, request.integration_name) is None:
                c.add("integration_name", f"integration '{request.integration_name}' not found", "not_found")
        environment = inputs.environment(c, request)
        c.raise_if_any()
        secrets = inputs.struct(request, "credentials") or {}
        values = {
            "integration_name": request.integration_name,
            "context": inputs.struct(request, "context") or {},
            "tenant_id": inputs.opt(request, "tenant_id"),
            "environment_id": environment,
            "has_credentials": bool(secrets),
        }
        async with self._pool.acquire() as conn, conn.transaction():
            credential_id = await credentials_db.insert_credential(conn, secrets)
            row = await db.insert_account(conn, values, credential_id)
        return convert.account(row)

    @grpc_method
    async def GetIntegratedAccount(self, request: pb.GetIntegratedAccountRequest, context: Any) -> mpb.IntegratedAccount:
        return convert.account(await self._get(self._pool, IntegratedAccount, request.id))

    @grpc_method
    async def UpdateIntegratedAccount(self, request: pb.UpdateIntegratedAccountRequest, context: Any) -> mpb.IntegratedAccount:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await self._get(conn, IntegratedAccount, request.id)
            secrets = inputs.struct(request, "credentials")
            if secrets is not None:
                await credentials_db.update_credential(conn, row.credential_id, secrets)
            updated = await db.update_account(
                conn, row.id, inputs.struct(request, "context") if request.HasField("context") else row.context,
                request.tenant_id if request.HasField("tenant_id") else row.tenant_id, bool(secrets),
            )
        return convert.account(updated)

    @grpc_method
    async def DeleteIntegratedAccount(self, request: pb.DeleteIntegratedAccountRequest, context: Any) -> pb.DeleteResponse:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await self._get(conn, IntegratedAccount, request.id)
            active = await runs_db.active_run_of(conn, row.id)
            if active is not None:
                raise Conflict(f"integrated account {row.id} has a run that has not ended ({active}); stop it first")
            await db.delete_row(conn, IntegratedAccount, row.id)
            await credentials_db.delete_credential(conn, row.credential_id)
        return pb.DeleteResponse(id=str(row.id))

    @staticmethod
    async def _get(conn: asyncpg.Connection | asyncpg.Pool, model: type[R], raw_id: str) -> R:
        what = _NAMES[model]
        row_id = path_uuid("id", raw_id, what)
        row = await db.get_row(conn, model, row_id)
        if row is None:
            raise not_found(what.replace("account", "integrated account"), row_id)
        return row
