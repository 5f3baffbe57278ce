"""The gRPC interceptor that authenticates every call and checks its role.

Each method's required access comes from its `(syncplane.options.v1.access)`
option, so the proto stays the one place that says who may call what. Health
and reflection carry no such option and stay open.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import grpc
import structlog
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.descriptor import ServiceDescriptor
from google.rpc import code_pb2, error_details_pb2, status_pb2

from syncplane.options.v1 import options_pb2
from syncplane.server.auth.client_address import client_address
from syncplane.server.auth.keys import ADMINISTRATOR, API_KEY, EXECUTOR_TOKEN, KeyStore, Principal, credential_id
from syncplane.server.auth.live_calls import LiveCalls, Revoked, until_revoked
from syncplane.server.auth.throttle import FailureThrottle
from syncplane.server.db.errors import UNAVAILABLE
from syncplane.server.gateway.authprobe import is_probe

log = structlog.get_logger(__name__)

current_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


@dataclass(frozen=True)
class Rule:
    access: int
    cookie: str


def rules_for(services: Sequence[ServiceDescriptor]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for service in services:
        dialect = service.GetOptions().Extensions[options_pb2.dialect]
        for method in service.methods:
            access = method.GetOptions().Extensions[options_pb2.access] or options_pb2.ACCESS_WRITE
            rules[f"/{service.full_name}/{method.name}"] = Rule(access, dialect.api_key_cookie)
    return rules


def credentials(metadata: dict[str, str], cookie_name: str) -> str | None:
    """The API key or token a caller presented, from any accepted carrier."""
    if metadata.get("x-api-key"):
        return metadata["x-api-key"]
    auth = metadata.get("authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return auth[7:].strip()
    if cookie_name and "cookie" in metadata:
        jar = SimpleCookie()
        try:
            jar.load(metadata["cookie"])
        except Exception:  # noqa: BLE001 - a malformed cookie header is just "no cookie"
            return None
        morsel = jar.get(cookie_name)
        if morsel is not None and morsel.value:
            return morsel.value
    return None


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        keys: KeyStore,
        rules: dict[str, Rule],
        *,
        throttle: FailureThrottle | None = None,
        gateway_mark: str | None = None,
    ) -> None:
        self._keys = keys
        self._rules = rules
        self._throttle = throttle or FailureThrottle()
        self._gateway_mark = gateway_mark

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        rule = self._rules.get(details.method)
        if handler is None or rule is None:
            return handler
        metadata = {k: v for k, v in (details.invocation_metadata or ()) if isinstance(v, str)}
        if is_probe(details.invocation_metadata):
            return _probe(lambda ctx: self._authorize(ctx, details.method, rule, metadata))
        return _wrap(
            handler, lambda ctx: self._authorize(ctx, details.method, rule, metadata), self._keys.live, details.method
        )

    async def _authorize(
        self, context: grpc.aio.ServicerContext, method: str, rule: Rule, metadata: dict[str, str]
    ) -> bytes:
        """Checks the call's credentials; returns the credential's id (for streams to register under)."""
        secret = credentials(metadata, rule.cookie)
        if secret is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing credentials: send an API key")
        executor = rule.access == options_pb2.ACCESS_EXECUTOR
        credential = credential_id(EXECUTOR_TOKEN if executor else API_KEY, secret)
        client = client_address(context.peer(), metadata, self._gateway_mark)
        # A throttled client is refused before any lookup (guessing gains nothing and costs the
        # database nothing), unless this replica verified its key in the last minutes.
        wait = self._throttle.retry_after(client)
        if wait > 0 and not self._keys.known_valid(credential):
            log.info("auth.throttled", method=method, client=client, retry_after=round(wait, 2))
            await _abort_throttled(context, wait)
        try:
            if executor:
                principal = await self._keys.verify_executor_token(secret)
            else:
                principal = await self._keys.verify_api_key(secret)
        except UNAVAILABLE:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry shortly")
        if principal is None:
            self._throttle.failed(client)
            log.info("auth.rejected", method=method, client=client)
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid credentials")
        if rule.access == options_pb2.ACCESS_WRITE and principal.role != ADMINISTRATOR:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"the {principal.role} role may not call {method.rsplit('/', 1)[-1]}; it needs administrator",
            )
        current_principal.set(principal)
        return credential


async def _abort_throttled(context: grpc.aio.ServicerContext, wait: float) -> None:
    """RESOURCE_EXHAUSTED with a google.rpc.RetryInfo (the gateway turns it into `Retry-After`)."""
    message = "too many failed authentications from this client; retry later"
    delay = duration_pb2.Duration()
    delay.FromTimedelta(timedelta(seconds=max(wait, 0.001)))
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    status = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=message, details=[detail])
    await context.abort(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        message,
        trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),),
    )


_REVOKED = "the credentials of this call were revoked"


def _probe(check: Callable[[Any], Awaitable[object]]) -> grpc.RpcMethodHandler:
    """The gateway's auth probe (server.gateway.authprobe): authorised like the method, which never runs."""

    async def probe(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await check(context)
        return b""

    return grpc.unary_unary_rpc_method_handler(probe, request_deserializer=bytes, response_serializer=bytes)


def _wrap(
    handler: grpc.RpcMethodHandler, check: Callable[[Any], Awaitable[bytes]], live: LiveCalls, method: str
) -> grpc.RpcMethodHandler:
    des, ser = handler.request_deserializer, handler.response_serializer
    if handler.unary_unary:
        inner_uu = handler.unary_unary

        async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            await check(context)
            return await inner_uu(request, context)

        return grpc.unary_unary_rpc_method_handler(unary_unary, request_deserializer=des, response_serializer=ser)
    if handler.unary_stream:
        inner_us = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            credential = await check(context)
            # Streams outlive their authentication: registered, they end when their key is revoked.
            with live.track(credential) as revoked:
                try:
                    async for item in until_revoked(inner_us(request, context), revoked):
                        yield item
                except Revoked:
                    log.info("auth.stream_ended_revoked", method=method)
                    await context.abort(grpc.StatusCode.UNAUTHENTICATED, _REVOKED)

        return grpc.unary_stream_rpc_method_handler(unary_stream, request_deserializer=des, response_serializer=ser)
    if handler.stream_stream:
        inner_ss = handler.stream_stream

        async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            credential = await check(context)
            with live.track(credential) as revoked:
                try:
                    async for item in until_revoked(inner_ss(requests, context), revoked):
                        yield item
                except Revoked:
                    log.info("auth.stream_ended_revoked", method=method)
                    await context.abort(grpc.StatusCode.UNAUTHENTICATED, _REVOKED)

        return grpc.stream_stream_rpc_method_handler(stream_stream, request_deserializer=des, response_serializer=ser)
    inner_su = handler.stream_unary

    async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        await check(context)
        return await inner_su(requests, context)

    return grpc.stream_unary_rpc_method_handler(stream_unary, request_deserializer=des, response_serializer=ser)

