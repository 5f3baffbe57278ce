"""The executor process: dials the server, runs assignments, reports back.

It opens no port. One stream carries everything; writes go through one queue
because a gRPC stream must not be written from two tasks at once. Heartbeats
come from their own task, so a busy connector never starves them (Prefect's
zombie false positives came from exactly that). After a disconnect it
reconnects with backoff and tells the server which attempts it still runs.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import grpc
import psutil
import structlog
from opentelemetry import trace

from syncplane import egress, telemetry
from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.engine.v1 import executor_pb2_grpc
from syncplane.executor import pools
from syncplane.executor.connectors import ConnectorFn, registry
from syncplane.executor.context import RunContext
from syncplane.executor.execute import CANCELLED, FAILED, SUCCEEDED, execute
from syncplane.executor.targets import TargetRotation, parse_targets
from syncplane.failpoints import failpoint
from syncplane.wire import from_struct, to_struct

log = structlog.get_logger(__name__)

VERSION = "0.1.0"
_OUTCOMES = {SUCCEEDED: pb.OUTCOME_SUCCEEDED, FAILED: pb.OUTCOME_FAILED, CANCELLED: pb.OUTCOME_CANCELLED}
_PROGRESS_INTERVAL = 0.2

CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
]


@dataclass
class Attempt:
    ctx: RunContext
    task: asyncio.Task[None] | None = None
    finished: pb.Finished | None = None
    progress_dirty: bool = False
    #: What the run belongs to (Assign.subject_id; empty from an older server).
    subject_id: str = ""
    #: The attempt's `executor.run` span (a no-op span when tracing is off).
    span: trace.Span = trace.INVALID_SPAN
    #: When the current batch began (the attempt's start or the last checkpoint): monotonic, and wall ns.
    batch_began: float = field(default_factory=time.monotonic)
    batch_began_ns: int = field(default_factory=time.time_ns)


@dataclass
class Figures:
    """This process's own figures, sent with each heartbeat (the server exports them)."""

    batches: int = 0
    batch_seconds: float = 0.0
    last_batch_seconds: float = 0.0
    #: Rows written by attempts that have ended (running ones are counted live).
    rows_done: int = 0
    rate_mark: tuple[float, int] = (0.0, 0)


@dataclass
class ExecutorConfig:
    #: gRPC target of the server, or several comma-separated (replicas of one
    #: control plane), tried in turn.
    server: str
    token: str
    group: str = "default"
    slots: int = 2
    executor_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")

    @property
    def servers(self) -> tuple[str, ...]:
        return parse_targets(self.server)

#: Put on the outbox by a finished drain: the writer half-closes the stream.
_LEAVE = pb.ExecutorMessage()
#: How long a drained executor waits for the server to end the stream.
_LEAVE_TIMEOUT = 10.0


class Executor:
    def __init__(self, config: ExecutorConfig, connectors: dict[str, ConnectorFn] | None = None) -> None:
        self.config = config
        self.connectors = connectors or registry()
        self.attempts: dict[tuple[str, int], Attempt] = {}
        self._outbox: asyncio.Queue[pb.ExecutorMessage] | None = None
        self._draining = False
        self._stop = asyncio.Event()
        self.connected = asyncio.Event()
        self._heartbeat_interval = 1.0
        self.figures = Figures(rate_mark=(time.monotonic(), 0))
        self._process = psutil.Process()
        self._tracer = telemetry.tracer("syncplane.executor")

    # -- Reporter protocol (called by RunContext) -----------------------------------
    def report_progress(self, ctx: RunContext) -> None:
        attempt = self.attempts.get((ctx.run_id, ctx.token))
        if attempt is not None:
            attempt.progress_dirty = True

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        attempt = self.attempts.get((ctx.run_id, ctx.token))
        if attempt is not None:
            self._batch_ended(attempt)
        self._send(pb.ExecutorMessage(checkpoint=pb.Checkpoint(attempt=_ref(ctx), state=to_struct(state))))

    def _batch_ended(self, attempt: Attempt) -> None:
        """A checkpoint closes a batch (a committed transaction): counted, and a span when tracing."""
        now, now_ns = time.monotonic(), time.time_ns()
        seconds = now - attempt.batch_began
        f = self.figures
        f.batches += 1
        f.batch_seconds += seconds
        f.last_batch_seconds = seconds
        if attempt.span.is_recording():
            parent = trace.set_span_in_context(attempt.span)
            span = self._tracer.start_span(
                "executor.batch", context=parent, start_time=attempt.batch_began_ns,
                attributes={**_span_ids(attempt), "rows_written": attempt.ctx.rows_written},
            )
            span.end(end_time=now_ns)
        attempt.batch_began, attempt.batch_began_ns = now, now_ns

    def _stats(self) -> pb.ExecutorStats:
        f = self.figures
        now = time.monotonic()
        rows = f.rows_done + sum(a.ctx.rows_written for a in self.attempts.values() if a.finished is None)
        since, before = f.rate_mark
        rate = max(0, rows - before) / (now - since) if now > since else 0.0
        f.rate_mark = (now, rows)
        try:
            rss = self._process.memory_info().rss
        except psutil.Error:
            rss = 0
        return pb.ExecutorStats(
            rows_per_second=rate, batches=f.batches, batch_seconds=f.batch_seconds,
            last_batch_seconds=f.last_batch_seconds, memory_rss_bytes=rss,
        )

    # -- lifecycle -------------------------------------------------------------------
    async def run(self) -> None:
        """Connects and reconnects until drained or stopped.

        With several servers (replicas of one control plane), each disconnect
        moves on to the next one, so a dead replica is left at once."""
        rotation = TargetRotation(self.config.servers)
        while not self._stop.is_set():
            target = rotation.current
            try:
                await self._session(target)
                error = "the stream ended"
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                    log.error("executor.unauthenticated", server=target, detail=exc.details())
                    raise SystemExit(2) from None
                error = f"{exc.code().name}: {exc.details()}"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken stream must never end the executor
                # e.g. OSError, ConnectionError, or grpc's InvalidStateError when
                # a write races a reset stream.
                error = f"{type(exc).__name__}: {exc}"
            # A connection that worked makes this outage start the backoff over.
            delay = rotation.advance(was_connected=self.connected.is_set())
            self.connected.clear()
            log.warning("executor.disconnected", server=target, error=error, retry_in=round(delay, 2), next_server=rotation.current)
            if self._stop.is_set() or (self._draining and not self.attempts):
                break
            # Jitter keeps a fleet of executors from reconnecting in lockstep.
            await asyncio.sleep(delay * (0.5 + random.random()))
        self._stop.set()
        egress.forget_listeners(self)
        await pools.close_all()

    async def drain(self) -> None:
        """Takes no new work, finishes running attempts, then leaves."""
        self._draining = True
        self._send(pb.ExecutorMessage(draining=pb.Draining()))
        log.info("executor.draining", running=len(self.attempts))
        while self.attempts:
            await asyncio.sleep(0.1)
        # Every result is written, but a written message can still die with the
        # connection if it is cut now. Half-close instead: the server reads to
        # the end, records what it read, then ends the stream, and `run` returns.
        if self._outbox is not None:
            self._outbox.put_nowait(_LEAVE)
            try:
                await asyncio.wait_for(self._stop.wait(), _LEAVE_TIMEOUT)
            except TimeoutError:
                log.warning("executor.leave_unacknowledged", timeout_s=_LEAVE_TIMEOUT)
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()

    # -- one connection --------------------------------------------------------------
    async def _session(self, target: str) -> None:
        cfg = self.config
        async with grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as channel:
            stub = executor_pb2_grpc.ExecutorServiceStub(channel)
            call = stub.Connect(metadata=[("authorization", f"Bearer {cfg.token}")])
            running = [pb.AttemptRef(run_id=run_id, token=token) for run_id, token in self.attempts]
            await call.write(
                pb.ExecutorMessage(
                    hello=pb.Hello(
                        executor_id=cfg.executor_id, group=cfg.group, connectors=sorted(self.connectors),
                        slots=cfg.slots, version=VERSION, running=running,
                    )
                )
            )
            first = await call.read()
            if first is grpc.aio.EOF or first.WhichOneof("kind") != "welcome":
                raise ConnectionError("the server did not welcome this executor")
            welcome = first.welcome
            self._heartbeat_interval = welcome.heartbeat_interval_seconds or 1.0
            for ref in welcome.abandoned:
                self._abandon(ref.run_id, ref.token, "the server no longer knows this attempt")
            egress.set_listeners(self, _control_plane(target, welcome.control_plane_listeners))
            self._outbox = asyncio.Queue()
            # Results that could not be sent while disconnected go first.
            for attempt in self.attempts.values():
                if attempt.finished is not None:
                    self._outbox.put_nowait(pb.ExecutorMessage(finished=attempt.finished))
            if self._draining:
                self._outbox.put_nowait(pb.ExecutorMessage(draining=pb.Draining()))
            self.connected.set()
            log.info("executor.connected", server=target, executor_id=cfg.executor_id, session=welcome.session_id)
            tasks = [
                asyncio.create_task(self._write_loop(call), name="executor-writer"),
                asyncio.create_task(self._heartbeat_loop(), name="executor-heartbeat"),
                asyncio.create_task(self._progress_loop(), name="executor-progress"),
                asyncio.create_task(self._read_loop(call), name="executor-reader"),
                asyncio.create_task(self._stop.wait(), name="executor-stop"),
            ]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]  # checked not None on the line above
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                self._outbox = None
                call.cancel()

    def _send(self, message: pb.ExecutorMessage) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(message)

    async def _write_loop(self, call: grpc.aio.StreamStreamCall) -> None:
        assert self._outbox is not None
        while True:
            message = await self._outbox.get()
            if message is _LEAVE:
                await call.done_writing()
                while True:  # the stream is half-closed: nothing more goes out
                    await self._outbox.get()
            try:
                await call.write(message)
            except asyncio.InvalidStateError:
                # grpc's "RPC already finished": the write raced the end of the
                # stream (a reset link, a server gone). That ends this session
                # like any other stream loss; the message is resent (results)
                # or superseded (heartbeats, progress) on the next one.
                raise ConnectionError("the stream ended under a write") from None
            if message.WhichOneof("kind") == "finished":
                ref = message.finished.attempt
                # Sent: the server owns the result now.
                self.attempts.pop((ref.run_id, ref.token), None)

    async def _heartbeat_loop(self) -> None:
        while True:
            refs = [pb.AttemptRef(run_id=r, token=t) for (r, t), a in self.attempts.items() if a.finished is None]
            free = 0 if self._draining else max(0, self.config.slots - len(self.attempts))
            self._send(pb.ExecutorMessage(heartbeat=pb.Heartbeat(running=refs, free_slots=free, stats=self._stats())))
            await asyncio.sleep(self._heartbeat_interval)

    async def _progress_loop(self) -> None:
        while True:
            await asyncio.sleep(_PROGRESS_INTERVAL)
            for attempt in list(self.attempts.values()):
                if attempt.progress_dirty and attempt.finished is None:
                    attempt.progress_dirty = False
                    self._send(pb.ExecutorMessage(progress=_progress(attempt.ctx)))

    async def _read_loop(self, call: grpc.aio.StreamStreamCall) -> None:
        while True:
            message = await call.read()
            if message is grpc.aio.EOF:
                raise ConnectionError("the server closed the stream")
            kind = message.WhichOneof("kind")
            if kind == "assign":
                self._start(message.assign)
            elif kind == "cancel":
                self._cancel(message.cancel.run_id, message.cancel.token, message.cancel.reason or "cancelled")
            elif kind == "refused":
                self._abandon(message.refused.run_id, message.refused.token, message.refused.reason)

    # -- attempts ------------------------------------------------------------------------
    def _start(self, assign: pb.Assign) -> None:
        connector = self.connectors.get(assign.connector)
        ctx = RunContext(
            run_id=assign.run_id,
            root_run_id=assign.root_run_id or assign.run_id,
            token=assign.token,
            attempt_number=assign.attempt_number,
            kind=assign.kind,
            spec=from_struct(assign.spec),
            secrets=from_struct(assign.secrets),
            checkpoint=from_struct(assign.checkpoint),
            reporter=self,
        )
        attempt = Attempt(ctx=ctx, subject_id=assign.subject_id)
        # Below the server's dispatch span when tracing is on (the context rides in the Assign).
        attempt.span = self._tracer.start_span(
            "executor.run", context=telemetry.extract(dict(assign.trace_context)),
            attributes={**_span_ids(attempt), "connector": assign.connector, "executor_id": self.config.executor_id},
        )
        self.attempts[(ctx.run_id, ctx.token)] = attempt
        self._send(pb.ExecutorMessage(accepted=pb.Accepted(attempt=_ref(ctx))))
        log.info("run.started", run_id=ctx.run_id, subject_id=assign.subject_id, token=ctx.token, attempt=ctx.attempt_number,
                 connector=assign.connector)
        attempt.task = asyncio.create_task(self._execute(attempt, connector), name=f"run-{ctx.run_id}")

    async def _execute(self, attempt: Attempt, connector: ConnectorFn | None) -> None:
        ctx = attempt.ctx
        # This task's own context: every line logged while the attempt runs names it.
        structlog.contextvars.bind_contextvars(run_id=ctx.run_id, subject_id=attempt.subject_id, attempt=ctx.attempt_number)
        try:
            ended = await execute(ctx, connector)
        except asyncio.CancelledError:
            self.attempts.pop((ctx.run_id, ctx.token), None)
            attempt.span.end()
            raise
        if ended is None:
            # Fenced: a newer attempt owns the run; report nothing, it would be refused.
            self.attempts.pop((ctx.run_id, ctx.token), None)
            attempt.span.end()
            return
        outcome = _OUTCOMES[ended.outcome]
        attempt.finished = pb.Finished(
            attempt=_ref(ctx), outcome=outcome, error=ended.error, reason_code=ended.reason_code,
            summary=to_struct(ctx.summary()),
        )
        self.figures.rows_done += ctx.rows_written
        attempt.span.set_attribute("outcome", pb.Outcome.Name(outcome))
        attempt.span.set_attribute("rows_written", ctx.rows_written)
        attempt.span.end()
        log.info("run.ended", run_id=ctx.run_id, outcome=pb.Outcome.Name(outcome), reason=ended.reason_code, rows=ctx.rows_written)
        await failpoint("executor.run.ended")
        self._send(pb.ExecutorMessage(finished=attempt.finished))

    def _cancel(self, run_id: str, token: int, reason: str) -> None:
        attempt = self.attempts.get((run_id, token))
        if attempt is not None and attempt.finished is None:
            attempt.ctx.cancel_reason = reason
            attempt.ctx.cancel_event.set()
            log.info("run.cancel_received", run_id=run_id, token=token)

    def _abandon(self, run_id: str, token: int, reason: str) -> None:
        """The server refused this attempt: stop it and forget it."""
        attempt = self.attempts.pop((run_id, token), None)
        if attempt is None:
            return
        log.warning("run.abandoned", run_id=run_id, token=token, reason=reason)
        attempt.ctx.cancel_reason = reason
        attempt.ctx.cancel_event.set()
        if attempt.task is not None and not attempt.task.done():
            # It may be blocked inside a batch: the destination's fence keeps
            # its late writes out, and the task is cancelled outright.
            attempt.task.cancel()


def _span_ids(attempt: Attempt) -> dict[str, Any]:
    return {"run_id": attempt.ctx.run_id, "sync_id": attempt.subject_id, "attempt": attempt.ctx.attempt_number}


def _ref(ctx: RunContext) -> pb.AttemptRef:
    return pb.AttemptRef(run_id=ctx.run_id, token=ctx.token)


def _progress(ctx: RunContext) -> pb.Progress:
    return pb.Progress(
        attempt=_ref(ctx),
        phase=ctx.phase,
        message=ctx.message,
        rows_read=ctx.rows_read,
        rows_written=ctx.rows_written,
        entities=[
            pb.EntityProgress(**c.proto_fields()) for c in ctx.entities.values()
        ],
        detail=to_struct(ctx.detail) if ctx.detail else None,
    )


def _split_host_port(address: str) -> tuple[str, int] | None:
    host, _, port = address.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        return None


def _control_plane(target: str, listeners: Any) -> list[egress.Listener]:
    """The server's listeners, which the egress policy refuses: the one this
    executor connected to, and those the server named in Welcome, on their own
    host and on the host this executor reached the server by (the server may
    bind 0.0.0.0)."""
    found: list[egress.Listener] = []
    reached = _split_host_port(target.removeprefix("dns:///").removeprefix("ipv4:").removeprefix("ipv6:"))
    if reached is not None:
        found.append(egress.Listener(*reached))
    for listener in listeners:
        parsed = _split_host_port(listener)
        if parsed is None:
            continue
        found.append(egress.Listener(*parsed))
        if reached is not None:
            found.append(egress.Listener(reached[0], parsed[1]))
    return found
