"""The ExecutorService.Connect stream: one session per executor.

The reader half turns what the executor sends into engine and registry calls
(heartbeats renew leases, progress is coalesced, results end attempts); the
writer half yields what the native backend (assignments, cancels) put in the
session's outbox. Which attempts a session holds is the SessionRegistry's. Anything sent for an
attempt whose fencing token is no longer current is refused, and the executor
is told to stop it.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg
import grpc
import structlog

from syncplane import egress
from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.engine.v1 import executor_pb2_grpc
from syncplane.server.config import EngineSettings
from syncplane.server.db import executors as executors_db
from syncplane.server.db import runs as db
from syncplane.server.db.errors import TRANSIENT
from syncplane.server.engine import poison, states
from syncplane.server.engine.backends.native import NativeBackend
from syncplane.server.engine.entity_progress import entities_dict
from syncplane.server.engine.lifecycle import Outcome, RunEngine
from syncplane.server.engine.progress import ProgressWriter
from syncplane.server.engine.sessions import ExecutorSession, SessionRegistry
from syncplane.server.observability import metrics, run_context
from syncplane.wire import from_struct

log = structlog.get_logger(__name__)

#: How often a live executor's last_seen_at is written (a daemon's last_active_at).
_SEEN_EVERY_SECONDS = 5.0

_OUTCOMES = {
    pb.OUTCOME_SUCCEEDED: lambda f: Outcome(states.SUCCEEDED, "success", "completed"),
    pb.OUTCOME_FAILED: lambda f: Outcome(states.FAILED, "failure", f.reason_code or "run_error", f.error or "failed"),
    pb.OUTCOME_CANCELLED: lambda f: Outcome(states.CANCELLED, "cancelled", f.reason_code or "cancelled", f.error or None),
}


class ExecutorService(executor_pb2_grpc.ExecutorServiceServicer):
    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: RunEngine,
        sessions: SessionRegistry,
        native: NativeBackend,
        progress: ProgressWriter,
        settings: EngineSettings,
    ) -> None:
        self._pool = pool
        self._engine = engine
        self._sessions = sessions
        self._native = native
        self._progress = progress
        self._settings = settings
        # session id -> when its liveness was last written (monotonic).
        self._recorded: dict[str, float] = {}
        # Each stream's reader and its last status write: owned, awaited on stop.
        self._tasks: set[asyncio.Task[None]] = set()
        # run id -> (rows read, rows written) already counted in syncplane_rows_total.
        self._rows: dict[uuid.UUID, tuple[int, int]] = {}

    async def Connect(
        self, request_iterator: AsyncIterator[pb.ExecutorMessage], context: grpc.aio.ServicerContext[pb.ExecutorMessage, pb.ServerMessage]
    ) -> AsyncIterator[pb.ServerMessage]:
        try:
            first = await asyncio.wait_for(request_iterator.__anext__(), timeout=10)
        except (TimeoutError, StopAsyncIteration):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must be Hello")
            return
        if first.WhichOneof("kind") != "hello" or not first.hello.executor_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must be Hello with an executor_id")
            return
        hello = first.hello
        session = ExecutorSession(
            executor_id=hello.executor_id,
            group=hello.group or "default",
            connectors=frozenset(hello.connectors),
            slots=max(1, hello.slots),
        )
        abandoned = await self._native.adopt_session(session, list(hello.running))
        log.info(
            "executor.connected",
            executor_id=session.executor_id,
            group=session.group,
            slots=session.slots,
            connectors=sorted(session.connectors),
            adopted=len(session.running),
        )
        yield pb.ServerMessage(
            welcome=pb.Welcome(
                session_id=session.session_id,
                heartbeat_interval_seconds=self._settings.heartbeat_interval_seconds,
                lease_seconds=self._settings.lease_seconds,
                abandoned=abandoned,
                control_plane_listeners=[f"{x.host}:{x.port}" for x in egress.registered_listeners()],
            )
        )
        await self._record(executors_db.connected(self._pool, session.executor_id, session.group, session.session_id))
        self._sessions.add(session)
        figures = metrics.ExecutorFigures(session.executor_id)
        reader = self._own(self._read(session, request_iterator, figures), f"executor-read-{session.executor_id}")
        try:
            while True:
                message = await session.outbox.get()
                if message is None:
                    break
                yield message
        finally:
            self._sessions.remove(session)
            reader.cancel()
            figures.forget()
            self._own(
                self._record(executors_db.disconnected(self._pool, session.executor_id, session.session_id)),
                f"executor-gone-{session.executor_id}",
            )
            self._recorded.pop(session.session_id, None)
            log.info("executor.disconnected", executor_id=session.executor_id, running=len(session.running))

    def _own(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def stop(self, grace: float = 2.0) -> None:
        """Ends every stream, gives the last writes `grace` seconds, then cancels
        what is left and waits for it (idempotent)."""
        self._sessions.close_all()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(
        self, session: ExecutorSession, stream: AsyncIterator[pb.ExecutorMessage], figures: metrics.ExecutorFigures
    ) -> None:
        # Database work runs in tasks so one slow commit never holds up the
        # stream (and with it every other attempt of this executor); messages
        # of one attempt still apply in the order they were sent.
        ordered = _PerRunOrder()
        try:
            async for message in stream:
                session.heard()
                kind = message.WhichOneof("kind")
                if kind == "heartbeat":
                    if message.heartbeat.HasField("stats"):
                        s = message.heartbeat.stats
                        figures.report(s.rows_per_second, s.memory_rss_bytes, s.batches, s.batch_seconds,
                                       s.last_batch_seconds)
                    ordered.spawn(None, self._heartbeat(session, message.heartbeat))
                elif kind == "progress":
                    self._on_progress(session, message.progress)
                elif kind == "checkpoint":
                    ordered.spawn(message.checkpoint.attempt.run_id, self._on_checkpoint(session, message.checkpoint))
                elif kind == "finished":
                    ordered.spawn(message.finished.attempt.run_id, self._on_finished(session, message.finished))
                elif kind == "accepted":
                    with run_context.bound(run_id=message.accepted.attempt.run_id):
                        log.debug("run.accepted", executor_id=session.executor_id)
                elif kind == "draining":
                    session.draining = True
                    ordered.spawn(None, self._seen(session, force=True))
                    log.info("executor.draining", executor_id=session.executor_id, running=len(session.running))
        except asyncio.CancelledError:
            pass
        except grpc.RpcError as exc:  # the executor went away mid-read
            log.info("executor.stream_error", executor_id=session.executor_id, error=str(exc))
        finally:
            # Results already received are still recorded; then the leases of
            # the attempts left run out and the sweeper ends them.
            await ordered.drain()
            session.close()

    def _current(self, session: ExecutorSession, ref: pb.AttemptRef) -> uuid.UUID | None:
        try:
            run_id = uuid.UUID(ref.run_id)
        except ValueError:
            return None
        return run_id if session.holds(run_id, ref.token) else None

    def _refuse(self, session: ExecutorSession, ref: pb.AttemptRef, reason: str) -> None:
        with run_context.bound(run_id=ref.run_id):
            self._refuse_logged(session, ref, reason)

    def _refuse_logged(self, session: ExecutorSession, ref: pb.AttemptRef, reason: str) -> None:
        log.warning("run.message_refused", run_id=ref.run_id, token=ref.token, executor_id=session.executor_id, reason=reason)
        session.send(pb.ServerMessage(refused=pb.Refused(run_id=ref.run_id, token=ref.token, reason=reason)))

    async def _record(self, write: Coroutine[Any, Any, None]) -> None:
        # Advisory (a daemon's status): a database hiccup must not end a stream.
        try:
            await write
        except TRANSIENT as exc:
            log.warning("executor.state_not_recorded", error=str(exc))

    async def _seen(self, session: ExecutorSession, *, force: bool = False) -> None:
        """Records that the executor is alive, at most every few seconds."""
        now = time.monotonic()
        if not force and now - self._recorded.get(session.session_id, 0.0) < _SEEN_EVERY_SECONDS:
            return
        self._recorded[session.session_id] = now
        await self._record(executors_db.seen(self._pool, session.executor_id, session.session_id, session.draining))

    async def _heartbeat(self, session: ExecutorSession, hb: pb.Heartbeat) -> None:
        await self._seen(session)
        tokens = [ref.token for ref in hb.running]
        if not tokens:
            return
        current = await db.renew_leases(self._pool, session.executor_id, tokens, self._settings.lease_seconds)
        alive = {row["attempt_token"] for row in current}
        for ref in hb.running:
            if ref.token not in alive:
                # Superseded (its lease ran out and another attempt took over) or
                # ended server-side: the executor must stop it.
                self._refuse(session, ref, "attempt is no longer current")
                run_id = uuid.UUID(ref.run_id)
                if session.holds(run_id, ref.token):
                    self._sessions.release(session, run_id)

    def _on_progress(self, session: ExecutorSession, progress: pb.Progress) -> None:
        run_id = self._current(session, progress.attempt)
        if run_id is None:
            self._refuse(session, progress.attempt, "attempt is no longer current")
            return
        self._progress.report(run_id, progress.attempt.token, _progress_dict(progress))
        self._count_rows(run_id, progress.rows_read, progress.rows_written)

    def _count_rows(self, run_id: uuid.UUID, read: int, written: int, *, last: bool = False) -> None:
        """Adds what the attempt moved since its last report to syncplane_rows_total."""
        before_read, before_written = self._rows.pop(run_id, (0, 0)) if last else self._rows.get(run_id, (0, 0))
        ids = run_context.known(run_id)
        metrics.rows_moved(ids.kind if ids else "unknown", read - before_read, written - before_written)
        if not last:
            self._rows[run_id] = (max(read, before_read), max(written, before_written))

    async def _on_checkpoint(self, session: ExecutorSession, checkpoint: pb.Checkpoint) -> None:
        with run_context.bound(run_id=checkpoint.attempt.run_id):
            await self._checkpoint(session, checkpoint)

    async def _checkpoint(self, session: ExecutorSession, checkpoint: pb.Checkpoint) -> None:
        run_id = self._current(session, checkpoint.attempt)
        saved = run_id is not None and await db.save_checkpoint(
            self._pool, run_id, checkpoint.attempt.token, from_struct(checkpoint.state)
        )
        if not saved:
            self._refuse(session, checkpoint.attempt, "checkpoint of an attempt that is no longer current")

    async def _on_finished(self, session: ExecutorSession, finished: pb.Finished) -> None:
        with run_context.bound(run_id=finished.attempt.run_id):
            await self._finished(session, finished)

    async def _finished(self, session: ExecutorSession, finished: pb.Finished) -> None:
        ref = finished.attempt
        run_id = self._current(session, ref)
        if run_id is None:
            self._refuse(session, ref, "result of an attempt that is no longer current")
            return
        self._progress.discard(run_id)
        outcome = _OUTCOMES.get(finished.outcome, _OUTCOMES[pb.OUTCOME_FAILED])(finished)
        summary = from_struct(finished.summary)
        self._count_rows(run_id, int(summary.get("rowsRead") or 0), int(summary.get("rowsWritten") or 0), last=True)
        row = await self._engine.finish(run_id, ref.token, outcome, summary)
        self._sessions.release(session, run_id)
        if row is None:
            self._refuse(session, ref, "result of an attempt that is no longer current")


class _PerRunOrder:
    """Runs coroutines as tasks: concurrently across runs, in order within one."""

    def __init__(self) -> None:
        self._tails: dict[str | None, asyncio.Task[None]] = {}
        self._all: set[asyncio.Task[None]] = set()

    def spawn(self, key: str | None, coro: Coroutine[Any, Any, None]) -> None:
        previous = self._tails.get(key) if key is not None else None
        task = asyncio.create_task(self._after(previous, coro))
        self._all.add(task)
        task.add_done_callback(self._all.discard)
        if key is not None:
            self._tails[key] = task
            task.add_done_callback(functools.partial(self._forget_tail, key))

    def _forget_tail(self, key: str, task: asyncio.Task[None]) -> None:
        # Only the newest task of a key is its tail; an older one ending must not drop it.
        if self._tails.get(key) is task:
            del self._tails[key]

    @staticmethod
    async def _after(previous: asyncio.Task[None] | None, coro: Coroutine[Any, Any, None]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await coro
        except TRANSIENT as exc:
            # The database is away: the lease runs out and the sweeper takes
            # over, exactly as if the message had been lost.
            log.warning("executor.message_not_recorded", error=str(exc))
        except asyncpg.PostgresError as exc:
            # Not an outage: a query that is wrong. The lease still runs out.
            log.error("executor.message_refused_by_database", error=poison.reason(exc))

    async def drain(self) -> None:
        if self._all:
            await asyncio.wait(list(self._all), timeout=10)


def _progress_dict(progress: pb.Progress) -> dict[str, Any]:
    return {
        "phase": progress.phase,
        "message": progress.message,
        "rowsRead": progress.rows_read,
        "rowsWritten": progress.rows_written,
        "entities": entities_dict(progress.entities),
        **({"detail": from_struct(progress.detail)} if progress.HasField("detail") else {}),
    }
