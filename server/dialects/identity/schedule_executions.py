"""Schedule executions (/api/v1/schedule-executions): the engine run graphs of
identity schedules, with per-step detail and progress, cancel and a watch."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import grpc
import structlog

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.identity.v1 import schedules_service_pb2 as pb
from syncplane.server.db import identity_schedules as db
from syncplane.server.db.identity_models import ScheduleExecution
from syncplane.server.dialects.common import actor
from syncplane.server.dialects.identity import schedule_convert as convert
from syncplane.server.dialects.identity.base import Resource, found
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import ASP_NET
from syncplane.server.dialects.identity.schedule_graph import KIND
from syncplane.server.dialects.identity.schedules import sort_direction
from syncplane.server.dialects.validation import parse_uuid
from syncplane.server.engine import graph_policy as gp
from syncplane.server.errors import Conflict, FailedPrecondition
from syncplane.server.grpc_errors import grpc_method, grpc_stream

log = structlog.get_logger(__name__)

SORT_KEYS = ("queuedAt", "startedAt", "completedAt", "status")


def execution_uuid(value: str) -> uuid.UUID:
    return parse_uuid(ASP_NET, "id", value, "schedule execution id")


class ScheduleExecutions(Resource):
    @grpc_method
    async def ListScheduleExecutions(self, request: pb.ListScheduleExecutionsRequest, context: grpc.aio.ServicerContext) -> pb.ListScheduleExecutionsResponse:
        page = page_of(request, SORT_KEYS, "queuedAt", "desc")
        schedule_id = (parse_uuid(ASP_NET, "scheduleId", request.schedule_id, "schedule id")
                       if request.HasField("schedule_id") and request.schedule_id else None)
        rows, total = await db.list_executions(self._pool, schedule_id, page.sort_by,
                                               sort_direction(request, page.direction), page.page_size, page.offset)
        return page.envelope(pb.ListScheduleExecutionsResponse(), [convert.execution(r) for r in rows], total)

    @grpc_method
    async def ListActiveScheduleExecutions(self, request: pb.ListActiveScheduleExecutionsRequest, context: grpc.aio.ServicerContext) -> pb.ListActiveScheduleExecutionsResponse:
        rows = await db.active_executions(self._pool)
        return pb.ListActiveScheduleExecutionsResponse(items=[convert.execution(r) for r in rows])

    @grpc_method
    async def GetScheduleExecution(self, request: pb.GetScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> spb.ScheduleExecution:
        row = await self._execution(request.id)
        return convert.execution(row, await db.execution_steps(self._pool, row.id))

    @grpc_method
    async def CancelScheduleExecution(self, request: pb.CancelScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> spb.ScheduleExecution:
        row = await self._execution(request.id)
        try:
            await self._engine.graphs.cancel(row.id, KIND, actor(), "Cancelled by user")
        except Conflict:
            raise FailedPrecondition(
                f"Schedule execution {row.id} is {convert.EXECUTION_STATUS[row.status]}; only a queued or "
                "in-progress execution can be cancelled."
            ) from None
        log.info("identity.schedule_execution_cancelled", execution_id=str(row.id))
        current = await self._execution(request.id)
        return convert.execution(current, await db.execution_steps(self._pool, current.id))

    @grpc_stream
    async def WatchScheduleExecution(self, request: pb.WatchScheduleExecutionRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[spb.ScheduleExecution]:
        """The execution now and each time it or one of its steps' runs changes, until it ends."""
        first = await self._execution(request.id)  # 404 before the stream starts
        graph_id = first.id
        last: spb.ScheduleExecution | None = None
        with self._watch.subscription() as sub:
            # The graph's own id and its released steps' runs (an auto-resumed attempt is a new run id).
            following: set[uuid.UUID] = {graph_id}
            while True:
                sub.follow(following)
                row = await db.get_execution(self._pool, graph_id)
                if row is None:
                    return
                steps = await db.execution_steps(self._pool, graph_id)
                snapshot = convert.execution(row, steps)
                if last is None or _changed(last, snapshot):
                    last = snapshot
                    yield snapshot
                if row.status in gp.GRAPH_TERMINAL:
                    return
                now = {graph_id, *(i for s in steps for i in (s.run_id, s.latest_run_id) if i is not None)}
                if now != following:
                    following = now  # read again under the new set: nothing changes unseen
                    continue
                await sub.wait()

    async def _execution(self, raw_id: str) -> ScheduleExecution:
        execution_id = execution_uuid(raw_id)
        return found(await db.get_execution(self._pool, execution_id), "Schedule execution", execution_id)


def _changed(before: spb.ScheduleExecution, after: spb.ScheduleExecution) -> bool:
    return before.SerializeToString(deterministic=True) != after.SerializeToString(deterministic=True)


__all__ = ["ScheduleExecutions", "execution_uuid"]
