"""The aiohttp application: one catch-all handler in front of the precompiled routes.

aiohttp's own router is bypassed on purpose: our trie knows the literal-over-variable precedence, the
405-with-Allow rule and each route's dialect, so a single catch-all route hands everything to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
import structlog
from aiohttp import web
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from syncplane.server.gateway.authprobe import AuthProbe
from syncplane.server.gateway.console import ConsoleAssets, is_console_path
from syncplane.server.gateway.cookies import cookie_refusal, cookie_value
from syncplane.server.gateway.dialect import DEFAULT_DIALECT, Dialect
from syncplane.server.gateway.error_styles import JSON_CONTENT_TYPE, error_response
from syncplane.server.gateway.errors import (
    FieldError,
    Problem,
    RequestError,
    problem_for_http,
    problem_for_request_errors,
    problem_for_rpc_error,
)
from syncplane.server.gateway.headers import clean_header_value, find_bad_header
from syncplane.server.gateway.marshal import Marshaller, dumps
from syncplane.server.gateway.metadata import Metadata, parse_grpc_timeout, request_metadata, response_headers
from syncplane.server.gateway.parse_errors import install_parse_error_filter
from syncplane.server.gateway.router import NoMatch, Router
from syncplane.server.gateway.routes import Route, collect_routes
from syncplane.server.gateway.streaming import forward_stream
from syncplane.server.gateway.transcode import build_request
from syncplane.server.observability import metrics, tracing

log = structlog.get_logger(__name__)

Readiness = Callable[[], Awaitable[dict[str, bool]]]
_Callables = tuple[grpc.aio.UnaryUnaryMultiCallable | None, grpc.aio.UnaryStreamMultiCallable | None]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# gRPC's default max message size: a larger body could not be sent on anyway.
MAX_BODY_BYTES = 4 * 1024 * 1024
READINESS_TIMEOUT_SECONDS = 5.0
# Set on a request the gateway refused itself, to the reason its one log line gives.
REFUSED = web.RequestKey("syncplane.refused", str)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A route with what serving it needs: the channel callable and the marshaller of its dialect."""

    route: Route
    marshaller: Marshaller
    unary: grpc.aio.UnaryUnaryMultiCallable | None
    stream: grpc.aio.UnaryStreamMultiCallable | None
    response_key: str | None
    """The JSON key of `response_body`'s field, when only that field is the HTTP body."""


def build_gateway_app(
    channel: grpc.aio.Channel,
    services: Sequence[ServiceDescriptor],
    readiness: Callable[[], Awaitable[dict[str, bool]]],
) -> web.Application:
    """The REST gateway for `services`, calling them over `channel`.

    Every route, request plan and channel callable is built here, so a bad annotation fails at
    startup and a request does only the per-request work.
    """
    gateway = _Gateway(channel, services, readiness)
    install_parse_error_filter()
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_route("*", "/{tail:.*}", gateway.handle)
    return app


class _Gateway:
    def __init__(self, channel: grpc.aio.Channel, services: Sequence[ServiceDescriptor], readiness: Readiness) -> None:
        self._readiness = readiness
        self._probe = AuthProbe(channel)
        self._router: Router[Endpoint] = Router()
        routes = collect_routes(services)
        marshallers = {snake: Marshaller(snake) for snake in (False, True)}
        callables: dict[str, _Callables] = {}
        for route in routes:
            if route.method.full_name not in callables:
                callables[route.method.full_name] = _callables(channel, route)
            unary, stream = callables[route.method.full_name]
            endpoint = Endpoint(
                route=route,
                marshaller=marshallers[route.dialect.snake_case],
                unary=unary,
                stream=stream,
                response_key=_response_key(route),
            )
            self._router.add(route.http_method, route.template, endpoint)
        self._internal: dict[str, dict[str, Handler]] = {
            "/healthz": {"GET": self._healthz},
            "/readyz": {"GET": self._readyz},
            "/openapi.json": {"GET": self._openapi},
            "/docs": {"GET": self._docs},
            # Prometheus, no authentication (like /healthz): keep the HTTP port off the internet.
            "/metrics": {"GET": self._metrics},
        }
        from syncplane.server.gateway import docs

        for name in (*docs.ASSETS, docs.INIT_SCRIPT):
            self._internal[f"/docs/{name}"] = {"GET": self._docs_asset}
        self._routes = routes
        self._console = ConsoleAssets()
        self._openapi_json: bytes | None = None
        log.info("gateway.built", routes=len(routes), services=[s.full_name for s in services])

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        path = _raw_path(request)
        dialect = DEFAULT_DIALECT
        rpc = ""
        # The route's template, never the raw path: the metric's labels stay few.
        route_label = "unmatched"
        try:
            internal = self._internal.get(path)
            if is_console_path(path):
                route_label = "/ui"
                response = await self._console.handle(request, path)
            elif internal is not None:
                route_label = path
                handler = internal.get(request.method)
                response = await handler(request) if handler else self._no_route(path, tuple(internal))
            else:
                found = self._router.match(request.method, path)
                if isinstance(found, NoMatch):
                    response = self._no_route(path, found.allowed)
                else:
                    endpoint = found.target
                    route_label = endpoint.route.template.text
                    dialect = endpoint.route.dialect
                    rpc = endpoint.route.method.full_name
                    response = await self._serve(request, endpoint, found.params)
        except web.HTTPException as exc:
            # aiohttp's own refusals (e.g. 413 from a too-large body), in the dialect's shape.
            response = self._plain_error(path, dialect, exc.status, exc.reason)
        except Exception:  # the last line of defence: a bug is a logged 500, never a dropped connection
            log.exception("gateway.unhandled", method=request.method, path=path, rpc=rpc)
            response = self._plain_error(path, dialect, 500, "Internal Server Error")
        status = response.status
        elapsed = time.perf_counter() - started
        metrics.http_request(route_label, request.method, status, elapsed)
        tracing.name_request(request.method, route_label)
        ms = round(elapsed * 1000, 2)
        refused = request.get(REFUSED)
        if refused is not None:
            # One line, no traceback, no header or body value: hostile input is routine, not news.
            log.info("gateway.bad_request", method=request.method, path=path, rpc=rpc, status=status, reason=refused, ms=ms)
            return response
        # Successes log at debug: one rendered log line costs as much as the rest of the gateway's
        # own work for a small GET, and the REST path must stay within 2x of direct gRPC.
        emit = log.debug if status < 400 else log.info if status < 500 else log.warning
        emit("gateway.request", method=request.method, path=path, rpc=rpc, status=status, ms=ms)
        return response

    async def _serve(self, request: web.Request, endpoint: Endpoint, params: dict[str, str]) -> web.StreamResponse:
        route = endpoint.route
        admitted = await self._admit(request, endpoint, params)
        if isinstance(admitted, web.Response):
            return admitted
        message, metadata = admitted
        timeout = parse_grpc_timeout(request.headers.get("Grpc-Timeout"))
        if endpoint.stream is not None:
            call = endpoint.stream(message, metadata=metadata, timeout=timeout)
            return await forward_stream(
                request, call, endpoint.marshaller, lambda exc: self._rpc_error(endpoint, exc), route.method.full_name
            )
        assert endpoint.unary is not None
        unary_call = endpoint.unary(message, metadata=metadata, timeout=timeout)
        try:
            reply = await unary_call
        except grpc.aio.AioRpcError as exc:
            return self._rpc_error(endpoint, exc)
        except asyncio.CancelledError:
            unary_call.cancel()  # the client left (handler cancellation): stop the server's work too
            raise
        headers = response_headers(await unary_call.initial_metadata())
        if route.success_code == 204:
            return web.Response(status=204, headers=headers)
        if endpoint.response_key is None:
            payload = endpoint.marshaller.to_json(reply)
        else:
            payload = dumps(endpoint.marshaller.to_dict(reply).get(endpoint.response_key))
        headers["Content-Type"] = JSON_CONTENT_TYPE
        return web.Response(status=route.success_code, body=payload, headers=headers)

    async def _admit(
        self, request: web.Request, endpoint: Endpoint, params: dict[str, str]
    ) -> tuple[Message, Metadata] | web.Response:
        """The request message and its call metadata, or the refusal the gateway answers itself.

        In order: a malformed credential header (401), the API-key cookie rule (403), then what is
        refused only once the credentials pass (a bad header, body, query or path value, a body too large).
        """
        route = endpoint.route
        bad_header = find_bad_header(request.headers.items())
        if bad_header is not None and bad_header.status == 401:
            return self._refuse(request, endpoint, problem_for_http(401, bad_header.message), "bad_credential_header")
        forward_cookie = False
        cookie = route.dialect.api_key_cookie
        if cookie and cookie_value(request.headers.get("Cookie", ""), cookie) is not None:
            why = cookie_refusal(request.method, request.headers, _request_host(request))
            if why is not None:
                return self._refuse(request, endpoint, problem_for_http(403, why), "cookie_not_same_origin_json")
            forward_cookie = True
        metadata = _carried(request_metadata(request, forward_cookie=forward_cookie))
        if bad_header is not None:
            # A header is an input like a query parameter: FastAPI's loc for it is ("header", name).
            error = FieldError(("header", bad_header.name), "value_error", bad_header.message, bad_header.name)
            problem = problem_for_request_errors([error])
            return await self._refuse_after_auth(request, endpoint, metadata, problem, "bad_header")
        try:
            body = await _read_body(request) if route.body else None
            return build_request(route.plan, body, params, request.query), metadata
        except RequestError as exc:
            problem = problem_for_request_errors(exc.errors)
            return await self._refuse_after_auth(request, endpoint, metadata, problem, "invalid_input")
        except web.HTTPRequestEntityTooLarge:
            problem = problem_for_http(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
            return await self._refuse_after_auth(request, endpoint, metadata, problem, "body_too_large")

    def _refuse(self, request: web.Request, endpoint: Endpoint, problem: Problem, reason: str) -> web.Response:
        request[REFUSED] = reason
        return error_response(problem, endpoint.route.dialect)

    async def _refuse_after_auth(
        self, request: web.Request, endpoint: Endpoint, metadata: Metadata, problem: Problem, reason: str
    ) -> web.Response:
        """`problem`, unless the call's credentials would fail first: authentication comes before validation."""
        denied = await self._probe.refusal(endpoint.route.rpc_path, metadata)
        if denied is not None:
            request[REFUSED] = f"{denied.code().name.lower()} (before {reason})"
            return self._rpc_error(endpoint, denied)
        return self._refuse(request, endpoint, problem, reason)

    def _rpc_error(self, endpoint: Endpoint, exc: grpc.aio.AioRpcError) -> web.Response:
        route = endpoint.route
        problem = problem_for_rpc_error(exc, route.plan.locs)
        log.debug("gateway.rpc_error", rpc=route.method.full_name, code=exc.code().name, message=exc.details())
        return error_response(problem, route.dialect, response_headers(exc.initial_metadata()))

    def _no_route(self, path: str, allowed: tuple[str, ...]) -> web.Response:
        dialect = self._dialect_for(path)
        if not allowed:
            return error_response(problem_for_http(404, "Not Found"), dialect)
        return error_response(problem_for_http(405, "Method Not Allowed"), dialect, {"Allow": ", ".join(allowed)})

    def _plain_error(self, path: str, dialect: Dialect, status: int, message: str) -> web.Response:
        if dialect is DEFAULT_DIALECT:  # no route matched (yet): go by the URL
            dialect = self._dialect_for(path)
        return error_response(problem_for_http(status, message), dialect)

    def _dialect_for(self, path: str) -> Dialect:
        # Errors outside any route speak the dialect of the longest route prefix the URL shares.
        endpoint = self._router.prefix_target(path)
        return endpoint.route.dialect if endpoint is not None else DEFAULT_DIALECT

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _healthz(self, request: web.Request) -> web.StreamResponse:
        return _json(200, {"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.StreamResponse:
        try:
            checks = dict(await asyncio.wait_for(self._readiness(), READINESS_TIMEOUT_SECONDS))
        except Exception:  # a failing check means "not ready", never a 500
            log.exception("gateway.readiness_failed")
            checks = {"readiness": False}
        # ?without=executors: a probe that must not wait for executors (Kubernetes routes executors to
        # servers that are ready, and a server counts as ready only with an executor: a deadlock).
        without = {name.strip() for name in request.query.get("without", "").split(",") if name.strip()}
        ready = all(ok for name, ok in checks.items() if name not in without)
        body: dict[str, object] = {"ready": ready, "checks": checks}
        if without:
            body["ignored"] = sorted(without & checks.keys())
        return _json(200 if ready else 503, body)

    async def _openapi(self, request: web.Request) -> web.StreamResponse:
        if self._openapi_json is None:
            # Built (and its module imported) on first use: most processes never serve it.
            from syncplane.server.gateway.openapi import build_openapi

            self._openapi_json = dumps(build_openapi(self._routes))
        return web.Response(body=self._openapi_json, headers={"Content-Type": JSON_CONTENT_TYPE})

    async def _docs(self, request: web.Request) -> web.StreamResponse:
        from syncplane.server.gateway.docs import DOCS_HTML

        return web.Response(text=DOCS_HTML, content_type="text/html")

    async def _docs_asset(self, request: web.Request) -> web.StreamResponse:
        from syncplane.server.gateway.docs import asset

        body, kind = asset(_raw_path(request).rsplit("/", 1)[-1])
        # The bundle's files change only with the package: a day's caching spares the reloads.
        return web.Response(body=body, content_type=kind, headers={"Cache-Control": "public, max-age=86400"})


def _callables(channel: grpc.aio.Channel, route: Route) -> _Callables:
    method: MethodDescriptor = route.method
    request_class = GetMessageClass(method.input_type)
    response_class = GetMessageClass(method.output_type)
    kwargs = {
        "request_serializer": request_class.SerializeToString,
        "response_deserializer": response_class.FromString,
        # Lets grpc register the method once instead of on every call.
        "_registered_method": True,
    }
    if method.server_streaming:
        return None, channel.unary_stream(route.rpc_path, **kwargs)
    return channel.unary_unary(route.rpc_path, **kwargs), None


def _response_key(route: Route) -> str | None:
    if not route.response_body:
        return None
    field = route.method.output_type.fields_by_name.get(route.response_body)
    if field is None:
        raise ValueError(f"{route.method.full_name}: response_body {route.response_body!r} is not a field")
    return field.name if route.dialect.snake_case else field.json_name


def _carried(metadata: Metadata) -> Metadata:
    # Only values gRPC can carry: a refused header must not break the auth probe either.
    return tuple((key, value) for key, value in metadata if isinstance(value, bytes) or clean_header_value(value))


async def _read_body(request: web.Request) -> bytes:
    # A declared length over the bound is refused unread; aiohttp stops an undeclared one at the bound.
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=request.content_length)
    return await request.read()


def _request_host(request: web.Request) -> str:
    # The origin the browser saw: a proxy in front names it in X-Forwarded-Host (the first one).
    forwarded = request.headers.get("X-Forwarded-Host", "")
    return forwarded.split(",", 1)[0].strip() or request.headers.get("Host", "")


def _raw_path(request: web.Request) -> str:
    # The raw target keeps percent-encoding, which single- and multi-segment captures decode differently.
    raw = request.raw_path
    if not raw.startswith("/"):
        raw = request.rel_url.raw_path  # absolute-form target: "http://host/path"
    return raw.partition("?")[0]


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, body=dumps(body), headers={"Content-Type": JSON_CONTENT_TYPE})
