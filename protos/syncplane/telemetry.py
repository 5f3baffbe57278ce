"""OpenTelemetry tracing shared by server and executor: off unless the standard OTEL_* variables ask.

Tracing is on when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`) or an OTLP endpoint is
set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and `OTEL_SDK_DISABLED` is
not `true`. The OTLP exporter speaks HTTP/protobuf (`opentelemetry-exporter-otlp-proto-http`, which reads
the usual OTEL_EXPORTER_OTLP_* variables itself); `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name
the process. Off, `tracer()` is OpenTelemetry's no-op tracer and nothing is stored or sent.

A run attempt's spans cross processes in a W3C `traceparent`: stored with the run (server side) and sent
in `Assign.trace_context` (to the executor), see `inject` and `extract`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

_provider: trace.TracerProvider | None = None


def wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether the OTEL_* variables turn tracing on."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def configure(service_name: str) -> bool:
    """Installs an SDK tracer provider with the exporter OTEL_TRACES_EXPORTER names, if tracing is wanted."""
    if not wanted():
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    exporter: SpanExporter
    names = [n.strip().lower() for n in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    for name in names or ["otlp"]:
        if name == "console":
            exporter = ConsoleSpanExporter()
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: syncplane ships the otlp (HTTP) and console exporters")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    install(provider)
    return True


def install(provider: trace.TracerProvider) -> None:
    """Uses `provider` for syncplane's own spans (tests install one with an in-memory exporter)."""
    global _provider
    _provider = provider
    trace.set_tracer_provider(provider)  # for the instrumentations; ignored (warned) after the first time


def uninstall() -> None:
    global _provider
    _provider = None


def enabled() -> bool:
    return _provider is not None


def provider() -> trace.TracerProvider | None:
    return _provider


def tracer(name: str) -> trace.Tracer:
    return (_provider or trace.NoOpTracerProvider()).get_tracer(name)


def inject(ctx: Context | None = None) -> dict[str, str]:
    """The current (or `ctx`'s) span as W3C trace context headers ({} when tracing is off)."""
    if _provider is None:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=ctx)
    return carrier


def extract(carrier: Mapping[str, str] | None) -> Context:
    """A context whose parent is the span `carrier` names (an empty context without one)."""
    if not carrier:
        return Context()
    return propagate.extract(dict(carrier), context=Context())


def parent_of(traceparent: str | None) -> Context:
    return extract({"traceparent": traceparent} if traceparent else None)


def shutdown() -> None:
    """Flushes what is buffered (at process exit)."""
    if _provider is not None and hasattr(_provider, "shutdown"):
        _provider.shutdown()


__all__ = ["configure", "enabled", "extract", "inject", "install", "parent_of", "provider",
           "shutdown", "tracer", "uninstall", "wanted"]
