"""A run attempt's trace on the server side, and the instrumentation of gRPC, aiohttp and asyncpg.

One trace per attempt: `run.trigger` (a child of the request that triggered or retried it — the gRPC or
REST call's span — or a new root for an automatic attempt: a schedule, or an auto-resume linked to the
attempt it follows), whose W3C traceparent is stored with the run (`runs.trace_parent`, only when tracing is on);
`run.dispatch` (the claim handing it to a backend; its context rides to the executor in
`Assign.trace_context`, where `executor.run` and one `executor.batch` per committed batch hang below
it); `run.finish` (the result persisted). Every span carries `run_id`, `sync_id` (the subject's id,
whatever the dialect calls it), `attempt` and `subject_kind`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.context import Context

from syncplane import telemetry
from syncplane.server.observability.run_context import RunIds, column, ids_of

log = structlog.get_logger(__name__)

TRACER = "syncplane.engine"
_instrumented = False


def configure(service_name: str = "syncplane-server") -> bool:
    """Tracing as the OTEL_* variables say, with gRPC, aiohttp-server and asyncpg instrumented when on."""
    if telemetry.enabled():  # a second server in this process (tests), or a provider a test installed
        instrument()
        return True
    if not telemetry.configure(service_name):
        return False
    instrument()
    log.info("tracing.enabled", service=service_name)
    return True


def instrument() -> None:
    """Instruments gRPC (server and client), the aiohttp server and asyncpg (once per process)."""
    global _instrumented
    if _instrumented:
        return
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer

    provider = telemetry.provider()
    GrpcAioInstrumentorServer().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
    GrpcAioInstrumentorClient().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
    AioHttpServerInstrumentor().instrument(tracer_provider=provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
    _instrumented = True


def uninstrument() -> None:
    """Undoes `instrument` (a test that installed its own provider)."""
    global _instrumented
    if not _instrumented:
        return
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer

    instrumentors = (
        GrpcAioInstrumentorServer(),  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
        GrpcAioInstrumentorClient(),  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
        AioHttpServerInstrumentor(),
        AsyncPGInstrumentor(),  # type: ignore[no-untyped-call]  # the instrumentation packages ship no types
    )
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    _instrumented = False


def enabled() -> bool:
    return telemetry.enabled()


def attributes(ids: RunIds) -> dict[str, Any]:
    return {"run_id": ids.run_id, "sync_id": ids.subject_id, "attempt": ids.attempt, "subject_kind": ids.kind,
            "execution_backend": ids.backend}


def _tracer() -> trace.Tracer:
    return telemetry.tracer(TRACER)


def trigger(run: Mapping[str, Any] | Any, *, follows: Any | None = None) -> str | None:
    """Starts the attempt's trace; returns the traceparent to store with it (None when tracing is off).

    An attempt's trace hangs below the current span (the request that triggered or retried it); an
    auto-resume, which no request asked for, starts a trace of its own. An attempt that `follows`
    another links to that one's trace."""
    if not telemetry.enabled():
        return None
    ids = ids_of(run)
    parent: Context | None = None
    links: list[trace.Link] = []
    if follows is not None:
        if column(run, "triggered_by") == "auto_resume":
            parent = Context()  # not below the finish (or sweep) that ended the attempt before it
        previous = trace.get_current_span(telemetry.parent_of(column(follows, "trace_parent", optional=True))).get_span_context()
        if previous.is_valid:
            links.append(trace.Link(previous))
    attrs = {**attributes(ids), "triggered_by": str(column(run, "triggered_by"))}
    with _tracer().start_as_current_span("run.trigger", context=parent, attributes=attrs, links=links):
        return telemetry.inject().get("traceparent")


@contextmanager
def dispatching(run: Mapping[str, Any] | Any, backend: str) -> Iterator[None]:
    """The span around handing a claimed attempt to its backend (what it sends carries this context)."""
    if not telemetry.enabled():
        yield
        return
    ids = ids_of(run)
    with _tracer().start_as_current_span(
        "run.dispatch", context=telemetry.parent_of(ids.trace_parent),
        attributes={**attributes(ids), "backend": backend, "executor_id": str(column(run, "executor_id") or "")},
    ):
        yield


def finished(run: Mapping[str, Any] | Any, started_ns: int, name: str = "run.finish") -> None:
    """A span from `started_ns` to now: the attempt's result persisted (or its lease found expired)."""
    if not telemetry.enabled():
        return
    ids = ids_of(run)
    span = _tracer().start_span(
        name, context=telemetry.parent_of(ids.trace_parent), start_time=started_ns,
        attributes={
            **attributes(ids), "status": str(column(run, "status")),
            "reason": str(column(run, "result_reason_code") or ""),
        },
    )
    span.end()


def name_request(method: str, route: str) -> None:
    """Names the HTTP server span by the route template (the gateway's one catch-all route would name
    every span `GET /{tail}`)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)


def now_ns() -> int:
    return time.time_ns()


__all__ = ["attributes", "configure", "dispatching", "enabled", "finished", "instrument", "name_request", "now_ns",
           "trigger", "uninstrument"]
