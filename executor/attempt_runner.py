"""Runs one attempt for an outside backend's worker (a Temporal activity, a
Prefect flow, an external orchestrator's task).

A backend passes its worker only an `AttemptTicket` (where the control plane
is, an executor token, the run id and the attempt's fencing token): no plan,
no secrets, so neither enters the backend's history or database. The worker
calls `run_attempt(ticket)`, which fetches the attempt from the control plane
(AttemptService.FetchAttempt), runs it with the connector code of a native
executor (executor/execute.py: same fence, same destination checkpoint, same
reason codes), reports progress and checkpoints about every half second, and
finishes the attempt. Reports and the finish are best-effort: the control
plane being down never stops the attempt (its result is in the returned
`AttemptResult`, which the backend keeps and the engine reads back when it
polls or adopts the run).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import grpc
import structlog

from syncplane import egress
from syncplane.engine.v1 import attempts_pb2 as pb
from syncplane.engine.v1 import attempts_pb2_grpc
from syncplane.executor import pools
from syncplane.executor.connectors import ConnectorFn, registry
from syncplane.executor.context import RunContext
from syncplane.executor.execute import CANCELLED, FAILED, SUCCEEDED, Ended, execute
from syncplane.executor.runner import CHANNEL_OPTIONS, _split_host_port
from syncplane.executor.targets import parse_targets
from syncplane.wire import from_struct, to_struct

log = structlog.get_logger(__name__)

#: How often progress (and with it the lease) is reported.
REPORT_INTERVAL = 0.5
#: How long one call to the control plane may take before it counts as down.
CALL_TIMEOUT = 5.0
#: How long the attempt's plan is asked for before giving up (the control
#: plane must be up to start an attempt; not to run or end one).
FETCH_PATIENCE = 30.0
#: How long the finish is retried before the result is left to the backend.
FINISH_PATIENCE = 10.0

_RESULT_CLASS = {SUCCEEDED: "success", FAILED: "failure", CANCELLED: "cancelled"}
_OUTCOME_PB = {
    SUCCEEDED: pb.ATTEMPT_OUTCOME_SUCCEEDED,
    FAILED: pb.ATTEMPT_OUTCOME_FAILED,
    CANCELLED: pb.ATTEMPT_OUTCOME_CANCELLED,
}
_OUTCOME_NAME = {v: k for k, v in _OUTCOME_PB.items()}


class AttemptRefused(Exception):
    """The control plane refused the attempt: its token is no longer current
    (a newer attempt took over, or it already ended) or the run is unknown.
    A backend must not retry it."""


class ControlPlaneUnavailable(Exception):
    """The attempt could not be fetched within FETCH_PATIENCE: nothing ran.
    A backend may retry it later."""


@dataclass(frozen=True)
class AttemptTicket:
    """All a backend carries for an attempt (JSON-able, no secrets)."""

    #: gRPC target(s) of the control plane, comma-separated replicas allowed.
    control_plane: str
    #: An executor token (metadata `authorization: Bearer …`).
    token: str
    run_id: str
    attempt_token: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttemptTicket:
        return cls(str(data["control_plane"]), str(data["token"]), str(data["run_id"]), int(data["attempt_token"]))

    def __repr__(self) -> str:  # the executor token never reaches a log or a backend's UI
        return f"AttemptTicket(control_plane={self.control_plane!r}, run_id={self.run_id!r}, attempt_token={self.attempt_token})"


@dataclass
class AttemptResult:
    """How an attempt ended (JSON-able: a backend stores it as its result).

    `outcome` is succeeded, failed or cancelled; `result_class` and
    `reason_code` are what the run will show; `fenced` is set when a newer
    attempt owned the run (nothing was reported); `recorded` when the control
    plane acknowledged the finish."""

    outcome: str
    result_class: str
    reason_code: str
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    fenced: bool = False
    recorded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttemptResult:
        return cls(
            outcome=str(data["outcome"]),
            result_class=str(data.get("result_class") or _RESULT_CLASS.get(str(data["outcome"]), "failure")),
            reason_code=str(data.get("reason_code") or ""),
            error=str(data.get("error") or ""),
            summary=dict(data.get("summary") or {}),
            fenced=bool(data.get("fenced", False)),
            recorded=bool(data.get("recorded", False)),
        )


ProgressCallback = Callable[[dict[str, Any]], None]
#: run_attempt calls running, per event loop (see its `finally`).
_active: dict[int, int] = {}


class _Reporter:
    """The RunContext's reporter: marks progress dirty, queues checkpoints."""

    def __init__(self) -> None:
        self.dirty = True
        self.checkpoints: list[dict[str, Any]] = []

    def report_progress(self, ctx: RunContext) -> None:
        self.dirty = True

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints.append(state)


class _ControlPlane:
    """Calls to the AttemptService, moving to the next replica on failure."""

    def __init__(self, ticket: AttemptTicket) -> None:
        self._targets = parse_targets(ticket.control_plane)
        self._index = 0
        self._metadata = (("authorization", f"Bearer {ticket.token}"),)
        self._channel: grpc.aio.Channel | None = None
        self._stub: attempts_pb2_grpc.AttemptServiceStub | None = None

    @property
    def target(self) -> str:
        return self._targets[self._index]

    def stub(self) -> attempts_pb2_grpc.AttemptServiceStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
            self._stub = attempts_pb2_grpc.AttemptServiceStub(self._channel)
        return self._stub

    async def call(self, method: str, request: Any) -> Any:
        try:
            return await getattr(self.stub(), method)(request, metadata=self._metadata, timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                await self._next()
            raise

    async def _next(self) -> None:
        if len(self._targets) > 1:
            await self.close()
            self._index = (self._index + 1) % len(self._targets)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
        self._channel, self._stub = None, None


def _refused(exc: grpc.aio.AioRpcError) -> bool:
    return exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND)


async def _fetch(cp: _ControlPlane, ticket: AttemptTicket) -> pb.AttemptPlan:
    request = pb.FetchAttemptRequest(run_id=ticket.run_id, attempt_token=ticket.attempt_token)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FETCH_PATIENCE
    delay = 0.2
    while True:
        try:
            plan: pb.AttemptPlan = await cp.call("FetchAttempt", request)
            return plan
        except grpc.aio.AioRpcError as exc:
            if _refused(exc):
                raise AttemptRefused(exc.details() or exc.code().name) from None
            if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                raise
            if loop.time() + delay > deadline:
                raise ControlPlaneUnavailable(f"{exc.code().name}: {exc.details()}") from None
            log.warning("attempt.fetch_retry", run_id=ticket.run_id, error=exc.code().name, retry_in=delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def _context(plan: pb.AttemptPlan, reporter: _Reporter) -> RunContext:
    return RunContext(
        run_id=plan.run_id,
        root_run_id=plan.root_run_id or plan.run_id,
        token=plan.attempt_token,
        attempt_number=plan.attempt_number,
        kind=plan.kind,
        spec=from_struct(plan.spec),
        secrets=from_struct(plan.secrets),
        checkpoint=from_struct(plan.checkpoint),
        reporter=reporter,
    )


def progress_of(ctx: RunContext) -> dict[str, Any]:
    """The attempt's counters as a JSON-able dict (what `on_progress` gets)."""
    return {"phase": ctx.phase, "message": ctx.message, **ctx.summary()}


def _report_request(ctx: RunContext, checkpoint: dict[str, Any] | None) -> pb.ReportAttemptRequest:
    request = pb.ReportAttemptRequest(
        run_id=ctx.run_id,
        attempt_token=ctx.token,
        phase=ctx.phase,
        message=ctx.message,
        rows_read=ctx.rows_read,
        rows_written=ctx.rows_written,
        entities=[
            pb.AttemptEntityProgress(**c.proto_fields()) for c in ctx.entities.values()
        ],
    )
    if ctx.detail:
        request.detail.CopyFrom(to_struct(ctx.detail))
    if checkpoint is not None:
        request.checkpoint.CopyFrom(to_struct(checkpoint))
    return request


async def _report_loop(
    cp: _ControlPlane,
    ctx: RunContext,
    reporter: _Reporter,
    work: asyncio.Task[Ended | None],
    on_progress: ProgressCallback | None,
) -> None:
    """Reports every REPORT_INTERVAL until the work ends. A refusal (a newer
    attempt owns the run) stops the work; any other failure is only logged."""
    while not work.done():
        await report_once(cp, ctx, reporter, work)
        if on_progress is not None:
            try:
                on_progress(progress_of(ctx))
            except Exception as exc:  # noqa: BLE001 - a backend's heartbeat hook must not end the attempt
                log.warning("attempt.on_progress_failed", run_id=ctx.run_id, error=str(exc))
        await asyncio.wait([work], timeout=REPORT_INTERVAL)


async def report_once(
    cp: _ControlPlane, ctx: RunContext, reporter: _Reporter, work: asyncio.Task[Ended | None] | None
) -> bool:
    """One report (with the oldest pending checkpoint, if any); False when the
    control plane could not be reached."""
    checkpoint = reporter.checkpoints[0] if reporter.checkpoints else None
    reporter.dirty = False
    try:
        answer: pb.ReportAttemptResponse = await cp.call("ReportAttempt", _report_request(ctx, checkpoint))
    except grpc.aio.AioRpcError as exc:
        if _refused(exc):
            log.warning("attempt.refused", run_id=ctx.run_id, token=ctx.token, detail=exc.details())
            ctx.cancel_reason = "the attempt is no longer current"
            ctx.cancel_event.set()
            if work is not None and not work.done():
                # The destination's fence keeps its late writes out anyway.
                work.cancel()
            return True
        reporter.dirty = True
        log.info("attempt.report_failed", run_id=ctx.run_id, error=exc.code().name)
        return False
    if checkpoint is not None and reporter.checkpoints and reporter.checkpoints[0] is checkpoint:
        reporter.checkpoints.pop(0)
    if answer.cancel_requested and not ctx.cancel_event.is_set():
        ctx.cancel_reason = "cancel requested"
        ctx.cancel_event.set()
        log.info("attempt.cancel_received", run_id=ctx.run_id, token=ctx.token)
    return True


async def _finish(cp: _ControlPlane, ctx: RunContext, reporter: _Reporter, result: AttemptResult) -> bool:
    """Sends the last checkpoints, then the result; retried for FINISH_PATIENCE."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FINISH_PATIENCE
    request = pb.FinishAttemptRequest(
        run_id=ctx.run_id,
        attempt_token=ctx.token,
        outcome=_OUTCOME_PB[result.outcome],
        error=result.error,
        reason_code=result.reason_code,
        summary=to_struct(result.summary),
    )
    delay = 0.2
    while True:
        try:
            while reporter.checkpoints:
                if not await report_once(cp, ctx, reporter, None):
                    raise _Unreachable()
            await cp.call("FinishAttempt", request)
            return True
        except grpc.aio.AioRpcError as exc:
            if _refused(exc):
                log.warning("attempt.finish_refused", run_id=ctx.run_id, token=ctx.token, detail=exc.details())
                return False
        except _Unreachable:
            pass
        if loop.time() + delay > deadline:
            log.warning("attempt.finish_unrecorded", run_id=ctx.run_id, token=ctx.token, outcome=result.outcome)
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


class _Unreachable(Exception):
    pass


def _listeners(target: str) -> list[egress.Listener]:
    # The control plane's own sockets are never an outbound target of a connector.
    parsed = _split_host_port(target.removeprefix("dns:///").removeprefix("ipv4:"))
    return [egress.Listener(*parsed)] if parsed is not None else []


async def run_attempt(
    ticket: AttemptTicket,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: asyncio.Event | None = None,
    connectors: dict[str, ConnectorFn] | None = None,
) -> AttemptResult:
    """Fetches, runs and finishes one attempt (see the module docstring).

    `on_progress` gets the counters after each report (a backend's own
    heartbeat, e.g. Temporal's `activity.heartbeat`); setting `cancel` stops
    the attempt at its next batch boundary (it ends `cancelled`). Raises
    AttemptRefused or ControlPlaneUnavailable when nothing was run."""
    cp = _ControlPlane(ticket)
    owner = object()
    loop = id(asyncio.get_running_loop())
    _active[loop] = _active.get(loop, 0) + 1
    egress.set_listeners(owner, [x for t in parse_targets(ticket.control_plane) for x in _listeners(t)])
    try:
        plan = await _fetch(cp, ticket)
        reporter = _Reporter()
        ctx = _context(plan, reporter)
        connector = (connectors or registry()).get(plan.connector)
        log.info("attempt.started", run_id=ctx.run_id, token=ctx.token, attempt=ctx.attempt_number, connector=plan.connector)
        work = asyncio.create_task(execute(ctx, connector), name=f"attempt-{ctx.run_id}")
        watcher = asyncio.create_task(_forward_cancel(cancel, ctx)) if cancel is not None else None
        try:
            await _report_loop(cp, ctx, reporter, work, on_progress)
            try:
                ended = await work
            except asyncio.CancelledError:
                if asyncio.current_task() is not None and asyncio.current_task().cancelling():  # type: ignore[union-attr]  # checked not None on the same line
                    raise
                ended = None  # refused mid-run: a newer attempt owns the run
        finally:
            if watcher is not None:
                watcher.cancel()
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
        if ended is None:
            return AttemptResult(FAILED, "failure", "fenced", "a newer attempt owns this run", progress_of(ctx), fenced=True)
        result = AttemptResult(
            outcome=ended.outcome,
            result_class=_RESULT_CLASS[ended.outcome],
            reason_code=ended.reason_code if ended.outcome != SUCCEEDED else "completed",
            error=ended.error,
            summary=ctx.summary(),
        )
        log.info("attempt.ended", run_id=ctx.run_id, outcome=result.outcome, reason=result.reason_code, rows=ctx.rows_written)
        result.recorded = await _finish(cp, ctx, reporter, result)
        return result
    finally:
        egress.forget_listeners(owner)
        await cp.close()
        _active[loop] -= 1
        if not _active[loop]:
            # The last attempt of this loop: its connector pools go (a worker
            # that runs each attempt under its own asyncio.run would otherwise
            # leave a pool behind per attempt, bound to a loop that is gone).
            del _active[loop]
            await pools.close_all(this_loop_only=True)


async def _forward_cancel(cancel: asyncio.Event, ctx: RunContext) -> None:
    await cancel.wait()
    ctx.cancel_reason = ctx.cancel_reason or "cancelled by the backend"
    ctx.cancel_event.set()


def run_attempt_sync(
    ticket: AttemptTicket,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> AttemptResult:
    """`run_attempt` for synchronous callers (a Temporal sync activity on a
    thread, a Prefect flow): runs it on a loop of its own. `cancel` is a
    threading.Event another thread may set."""

    async def main() -> AttemptResult:
        stop = asyncio.Event()
        bridge = asyncio.create_task(_bridge(cancel, stop)) if cancel is not None else None
        try:
            return await run_attempt(ticket, on_progress=on_progress, cancel=stop)
        finally:
            if bridge is not None:
                bridge.cancel()

    return asyncio.run(main())


async def _bridge(cancel: threading.Event, stop: asyncio.Event) -> None:
    while not cancel.is_set():
        await asyncio.sleep(0.1)
    stop.set()


def outcome_name(value: int) -> str:
    """The outcome string of an AttemptOutcome value (failed when unspecified)."""
    return _OUTCOME_NAME.get(value, FAILED)


__all__ = [
    "AttemptRefused",
    "AttemptResult",
    "AttemptTicket",
    "ControlPlaneUnavailable",
    "outcome_name",
    "progress_of",
    "run_attempt",
    "run_attempt_sync",
]
