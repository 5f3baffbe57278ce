"""ConsoleService: who is calling, every dialect's runs in one list and one live stream, executors.

Everything here is a read (ACCESS_READ): the console's writes go through the dialects' own methods,
so a Viewer sees what an Administrator sees and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import structlog

from syncplane.console.v1 import service_pb2 as pb
from syncplane.console.v1 import service_pb2_grpc
from syncplane.server.auth.interceptor import current_principal
from syncplane.server.auth.keys import ADMINISTRATOR
from syncplane.server.db import console as db
from syncplane.server.dialects.console.convert import (
    DIALECT_KINDS,
    console_run,
    decode_cursor,
    encode_cursor,
    executor_run,
)
from syncplane.server.dialects.syncs.convert import ts
from syncplane.server.dialects.validation import Checker
from syncplane.server.engine import states
from syncplane.server.engine.run_feed import Change, RunFeed, drain
from syncplane.server.engine.sessions import SessionRegistry
from syncplane.server.errors import Unauthenticated
from syncplane.server.grpc_errors import grpc_method, grpc_stream

log = structlog.get_logger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Without any notification for this long, a watcher looks at recent changes anyway (a lost NOTIFY).
RESCAN_SECONDS = 10.0
# A rescan looks this far behind the newest change it saw: commits land out of updated_at order.
RESCAN_OVERLAP = timedelta(seconds=5)
# Statuses a watcher remembers, to send only changes (oldest forgotten first).
REMEMBERED_RUNS = 4096
# How far back a watcher may ask to catch up from (a list's `asOf` is seconds old).
MAX_CATCH_UP = timedelta(hours=1)
ALL_KINDS = tuple(DIALECT_KINDS.values())


class ConsoleService(service_pb2_grpc.ConsoleServiceServicer):
    def __init__(self, pool: asyncpg.Pool, feed: RunFeed, sessions: SessionRegistry) -> None:
        self._pool = pool
        self._feed = feed
        self._sessions = sessions

    @grpc_method
    async def GetCaller(self, request: pb.GetCallerRequest, context: grpc.aio.ServicerContext) -> pb.Caller:
        principal = current_principal.get()
        if principal is None:  # the interceptor sets it for every authenticated call
            raise Unauthenticated("missing credentials: send an API key")
        return pb.Caller(name=principal.name, role=principal.role)

    @grpc_method
    async def ListRuns(self, request: pb.ListRunsRequest, context: grpc.aio.ServicerContext) -> pb.ListRunsResponse:
        c = Checker()
        dialects = _split(request.dialect)
        for name in dialects:
            c.choice("dialect", name, tuple(DIALECT_KINDS))
        statuses = _split(request.status)
        for name in statuses:
            c.choice("status", name, sorted(states.ACTIVE | states.TERMINAL))
        limit = request.limit or DEFAULT_LIMIT
        c.int_range("limit", limit, 1, MAX_LIMIT)
        after = decode_cursor(request.cursor) if request.cursor else None
        if request.cursor and after is None:
            c.add("cursor", "Input should be a next_cursor of this list", "value_error")
        c.raise_if_any()
        where = db.RunFilter(
            kinds=[k for k in ([DIALECT_KINDS[d] for d in dialects] or ALL_KINDS) if k in visible_kinds()],
            statuses=statuses or None,
            created_from=request.created_from.ToDatetime(tzinfo=UTC) if request.HasField("created_from") else None,
            created_to=request.created_to.ToDatetime(tzinfo=UTC) if request.HasField("created_to") else None,
        )
        as_of = await db.now(self._pool)
        rows = await db.runs_page(self._pool, where, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return pb.ListRunsResponse(
            runs=[console_run(r) for r in rows], next_cursor=encode_cursor(rows[-1]) if more else "", as_of=ts(as_of)
        )

    @grpc_stream
    async def WatchRuns(self, request: pb.WatchRunsRequest, context: grpc.aio.ServicerContext) -> AsyncIterator[pb.ConsoleRun]:
        kinds = visible_kinds()
        with self._feed.subscribe() as queue:
            if request.HasField("since"):
                # Catch up first: what changed between the client's list and this call. A list is
                # seconds old; an older `since` would be a scan of history, not a catch-up.
                watermark = request.since.ToDatetime(tzinfo=UTC)
                if watermark < await db.now(self._pool) - MAX_CATCH_UP:
                    c = Checker()
                    c.add("since", "Input should be within the last hour: list the runs again instead", "value_error")
                    c.raise_if_any()
                queue.put_nowait(None)
            else:
                watermark = await db.now(self._pool)  # changes from here on are news
            sent = 0
            try:
                async for run in self._status_changes(queue, watermark, kinds):
                    sent += 1
                    yield run
            finally:
                log.debug("console.watch_ended", sent=sent)

    async def _status_changes(
        self, queue: asyncio.Queue[Change], watermark: datetime, kinds: tuple[str, ...]
    ) -> AsyncIterator[pb.ConsoleRun]:
        """Each run whose status (or attempt) differs from what this watcher last sent, forever."""
        seen: OrderedDict[str, tuple[str, int]] = OrderedDict()
        while True:
            change: Change
            try:
                change = drain(await asyncio.wait_for(queue.get(), RESCAN_SECONDS), queue)
            except TimeoutError:
                change = None  # nothing heard for a while: a NOTIFY may have been lost
            if change is None:
                rows = await db.runs_updated_since(self._pool, watermark - RESCAN_OVERLAP, kinds)
            else:
                rows = await db.runs_by_id(self._pool, list(change), kinds)
            for row in rows:
                watermark = max(watermark, row["updated_at"])
                key = str(row["id"])
                marker = (row["status"], row["attempt_number"])
                if seen.get(key) == marker:
                    continue  # progress only: the run list shows status, not counters
                seen[key] = marker
                seen.move_to_end(key)
                while len(seen) > REMEMBERED_RUNS:
                    seen.popitem(last=False)
                yield console_run(row)

    @grpc_method
    async def ListExecutors(
        self, request: pb.ListExecutorsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListExecutorsResponse:
        rows = await db.executors(self._pool)
        running = await db.executor_runs(self._pool)
        by_executor: dict[str, list[pb.ExecutorRun]] = {}
        kinds = visible_kinds()
        for row in running:
            if row["subject_kind"] not in kinds:
                continue
            by_executor.setdefault(row["executor_id"], []).append(executor_run(row))
        # Connectors and slots are said in the executor's Hello, known to the server holding its stream.
        local = {s.executor_id: s for s in self._sessions if not s.closed}
        out: list[pb.Executor] = []
        for row in rows:
            runs = by_executor.get(row["executor_id"], []) if row["connected"] else []
            msg = pb.Executor(
                executor_id=row["executor_id"], group=row["executor_group"], connected=row["connected"],
                draining=row["draining"], slots_in_use=len(runs), runs=runs,
                connected_at=ts(row["connected_at"]), last_seen_at=ts(row["last_seen_at"]),
            )
            session = local.get(row["executor_id"])
            if session is not None:
                msg.connectors.extend(sorted(session.connectors))
                msg.slots = session.slots
            out.append(msg)
        return pb.ListExecutorsResponse(executors=out)


def visible_kinds() -> tuple[str, ...]:
    """The run kinds the caller may read: the identity dialect's API is for administrators only."""
    principal = current_principal.get()
    if principal is not None and principal.role == ADMINISTRATOR:
        return ALL_KINDS
    return tuple(k for k in ALL_KINDS if k != DIALECT_KINDS["identity"])


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


