"""The REST routes of a set of services, read from their `google.api.http` annotations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import structlog
from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from syncplane.options.v1 import options_pb2
from syncplane.server.gateway.dialect import Dialect, dialect_of
from syncplane.server.gateway.templates import PathTemplate, parse_template
from syncplane.server.gateway.transcode import RequestPlan, build_plan

log = structlog.get_logger(__name__)

_SUCCESS_CODES = frozenset({200, 201, 202, 204})


@dataclass(frozen=True, slots=True)
class Route:
    """One HTTP binding of one RPC."""

    service: ServiceDescriptor
    method: MethodDescriptor
    http_method: str
    template: PathTemplate
    body: str
    """"", "*" or a top-level request field."""
    response_body: str
    """"" for the whole response message, else the response field that is the HTTP body."""
    success_code: int
    dialect: Dialect
    plan: RequestPlan

    @property
    def server_streaming(self) -> bool:
        return self.method.server_streaming

    @property
    def rpc_path(self) -> str:
        return f"/{self.service.full_name}/{self.method.name}"


def collect_routes(services: Sequence[ServiceDescriptor]) -> list[Route]:
    """Every binding (main and additional) of every annotated unary or server-streaming RPC."""
    routes: list[Route] = []
    for service in services:
        dialect = dialect_of(service)
        for method in service.methods:
            options = method.GetOptions()
            if not options.HasExtension(annotations_pb2.http):
                continue
            if method.client_streaming:
                # A client stream has no one-request-one-body form worth offering over REST.
                log.warning("gateway.route_skipped", rpc=method.full_name, reason="client streaming")
                continue
            success = options.Extensions[options_pb2.http_success_code] or 200
            if success not in _SUCCESS_CODES:
                raise ValueError(f"{method.full_name}: http_success_code {success} is not 200/201/202/204")
            for http_method, path, rule in _bindings(options.Extensions[annotations_pb2.http]):
                template = parse_template(path)
                routes.append(
                    Route(
                        service=service,
                        method=method,
                        http_method=http_method,
                        template=template,
                        body=rule.body,
                        response_body=rule.response_body,
                        success_code=success,
                        dialect=dialect,
                        plan=build_plan(
                            method, http_method, template, rule.body,
                            reject_duplicate_keys=dialect.reject_duplicate_keys,
                        ),
                    )
                )
    return routes


def _bindings(rule: http_pb2.HttpRule) -> Iterator[tuple[str, str, http_pb2.HttpRule]]:
    yield (*_verb_and_path(rule), rule)
    for extra in rule.additional_bindings:
        yield (*_verb_and_path(extra), extra)


def _verb_and_path(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise ValueError("http rule without a pattern")
    if kind == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    return kind.upper(), getattr(rule, kind)
