"""Activities (/api/v1/activities): the durable record of each execution,
its live progress, its stats and a watch stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC

import grpc

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import ActivityDetail
from syncplane.server.dialects.identity import convert, plans
from syncplane.server.dialects.identity import status as st
from syncplane.server.dialects.identity.base import Resource, found
from syncplane.server.dialects.identity.paging import page_of
from syncplane.server.dialects.identity.rules import ASP_NET, Rules
from syncplane.server.dialects.validation import parse_uuid
from syncplane.server.grpc_errors import grpc_method, grpc_stream

SORT_KEYS = ("created", "status", "targetName")


def activity_uuid(value: str) -> uuid.UUID:
    return parse_uuid(ASP_NET, "id", value, "activity id")


def _id_or_name(value: str) -> tuple[int | None, str | None]:
    value = value.strip()
    # ASCII digits of an int64 only: "³" is a digit to str.isdigit, and 5,000 digits make int() raise.
    return (int(value), None) if value.isascii() and value.isdigit() and len(value) <= 18 else (None, value or None)


class Activities(Resource):
    @grpc_method
    async def ListActivities(self, request: pb.ListActivitiesRequest, context: grpc.aio.ServicerContext) -> pb.ListActivitiesResponse:
        page = page_of(request, SORT_KEYS, "created", "desc")
        rules = Rules()
        for i, value in enumerate(request.status):
            rules.choice(f"status.{i}" if len(request.status) > 1 else "status", value, st.STATUSES)
        rules.raise_if_any()
        cs_id, cs_name = _id_or_name(request.connected_system) if request.HasField("connected_system") else (None, None)
        rp_id, rp_name = _id_or_name(request.run_profile) if request.HasField("run_profile") else (None, None)
        filters = {
            "statuses": list(request.status), "cs_id": cs_id, "cs_name": cs_name, "rp_id": rp_id, "rp_name": rp_name,
            "created_from": request.created_from.ToDatetime(tzinfo=UTC) if request.HasField("created_from") else None,
            "created_to": request.created_to.ToDatetime(tzinfo=UTC) if request.HasField("created_to") else None,
            "search": request.search if request.HasField("search") and request.search else None,
            "scheduled_only": request.HasField("scheduled_only") and request.scheduled_only,
            "schedule_id": (parse_uuid(ASP_NET, "scheduleId", request.schedule_id, "schedule id")
                            if request.HasField("schedule_id") and request.schedule_id else None),
        }
        rows, total = await db.list_activities(self._pool, filters, page.sort_by, page.direction, page.page_size, page.offset)
        return page.envelope(pb.ListActivitiesResponse(), [convert.activity(r) for r in rows], total)

    @grpc_method
    async def GetActivity(self, request: pb.GetActivityRequest, context: grpc.aio.ServicerContext) -> mpb.Activity:
        return convert.activity(await self._activity(request.id))

    @grpc_method
    async def GetActivityProgress(self, request: pb.GetActivityProgressRequest, context: grpc.aio.ServicerContext) -> mpb.ActivityProgress:
        return convert.progress(await self._activity(request.id))

    @grpc_method
    async def GetActivityStats(self, request: pb.GetActivityStatsRequest, context: grpc.aio.ServicerContext) -> mpb.ActivityStats:
        return convert.stats(await self._activity(request.id))

    @grpc_stream
    async def WatchActivity(self, request: pb.WatchActivityRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[mpb.ActivityProgress]:
        """Progress now and after every change of the run chain, until the activity ends.

        A snapshot is sent only when it says something new: the run watch
        starts with the run's current state (the one just sent) and wakes on
        heartbeats, which change nothing but the clock."""
        row = await self._activity(request.id)  # 404 before the stream starts
        activity_id = row.id
        first = convert.progress(row)
        last_state = convert.progress_state(first)
        yield first
        if row.status in st.TERMINAL:
            return
        if row.run_id is not None:
            # An attempt that ends without ending the activity is auto-resumed: the chain watch follows.
            async for _ in self._watch.watch_chain(row.run_id, lambda rid: self._engine.get(rid, plans.KIND)):
                current = await db.get_activity(self._pool, activity_id)
                assert current is not None
                snapshot = convert.progress(current)
                state = convert.progress_state(snapshot)
                if state != last_state:
                    last_state = state
                    yield snapshot
                if current.status in st.TERMINAL:
                    return
        final = await db.get_activity(self._pool, activity_id)
        if final is not None:
            snapshot = convert.progress(final)
            if convert.progress_state(snapshot) != last_state:
                yield snapshot

    async def _activity(self, raw_id: str) -> ActivityDetail:
        activity_id = activity_uuid(raw_id)
        return found(await db.get_activity(self._pool, activity_id), "Activity", activity_id)


__all__ = ["Activities", "activity_uuid"]
