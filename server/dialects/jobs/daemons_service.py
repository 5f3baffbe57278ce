"""DaemonsService: /daemon. A daemon is an executor of a group: register it
here, then start `syncplane executor --id <daemon id> --group <group_key>`;
its status and last_active_at come from the engine's record of executors."""

from __future__ import annotations

from typing import Any

import asyncpg

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from syncplane.server.db import jobs as db
from syncplane.server.db.jobs_models import Daemon
from syncplane.server.dialects.jobs import convert, inputs, paging
from syncplane.server.dialects.jobs.integrations_service import IntegrationsService
from syncplane.server.dialects.validation import Checker
from syncplane.server.grpc_errors import grpc_method

_get = IntegrationsService._get


class DaemonsService(service_pb2_grpc.DaemonsServiceServicer):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @grpc_method
    async def ListDaemons(self, request: pb.ListDaemonsRequest, context: Any) -> pb.ListDaemonsResponse:
        c = Checker()
        cursor, limit = paging.read(c, request)
        c.raise_if_any()
        rows = await db.list_rows(self._pool, Daemon, cursor, limit + 1, inputs.opt(request, "group_key"))
        return paging.fill(pb.ListDaemonsResponse(), rows, limit, convert.daemon)

    @grpc_method
    async def CreateDaemon(self, request: pb.CreateDaemonRequest, context: Any) -> mpb.Daemon:
        c = Checker()
        if c.required("group_key", request.group_key, empty_is_missing=True):
            c.length("group_key", request.group_key, 1, 100)
        c.raise_if_any()
        daemon_id = await db.insert_daemon(self._pool, inputs.opt(request, "label") or request.group_key, request.group_key)
        return convert.daemon(await db.get_row(self._pool, Daemon, daemon_id))

    @grpc_method
    async def GetDaemon(self, request: pb.GetDaemonRequest, context: Any) -> mpb.Daemon:
        return convert.daemon(await _get(self._pool, Daemon, request.id))

    @grpc_method
    async def UpdateDaemon(self, request: pb.UpdateDaemonRequest, context: Any) -> mpb.Daemon:
        row = await _get(self._pool, Daemon, request.id)
        if request.HasField("label"):
            await db.update_daemon(self._pool, row.id, request.label)
        return convert.daemon(await db.get_row(self._pool, Daemon, row.id))

    @grpc_method
    async def DeleteDaemon(self, request: pb.DeleteDaemonRequest, context: Any) -> pb.DeleteResponse:
        row = await _get(self._pool, Daemon, request.id)
        await db.delete_row(self._pool, Daemon, row.id)
        return pb.DeleteResponse(id=str(row.id))
