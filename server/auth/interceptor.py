"""The gRPC interceptor that authenticates every call and checks its role.

Each method's required access comes from its `(syncplane.options.v1.access)`
option, so the proto stays the one place that says who may call what. Health
and reflection carry no such option and stay open.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import asyncpg
import grpc
import structlog
from google.protobuf.descriptor import ServiceDescriptor

from server.auth.keys import ADMINISTRATOR, KeyStore, Principal
from server.db.errors import DB_ERRORS
from syncplane.options.v1 import options_pb2

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
    def __init__(self, keys: KeyStore, rules: dict[str, Rule]) -> None:
        self._keys = keys
        self._rules = rules

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
        return _wrap(handler, lambda ctx: self._authorize(ctx, details.method, rule, metadata))

    async def _authorize(
        self, context: grpc.aio.ServicerContext, method: str, rule: Rule, metadata: dict[str, str]
    ) -> None:
        secret = credentials(metadata, rule.cookie)
        if secret is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing credentials: send an API key")
        try:
            if rule.access == options_pb2.ACCESS_EXECUTOR:
                principal = await self._keys.verify_executor_token(secret)
            else:
                principal = await self._keys.verify_api_key(secret)
        except DB_ERRORS:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry shortly")
        if principal is None:
            log.info("auth.rejected", method=method)
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid credentials")
        if rule.access == options_pb2.ACCESS_WRITE and principal.role != ADMINISTRATOR:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"the {principal.role} role may not call {method.rsplit('/', 1)[-1]}; it needs administrator",
            )
        current_principal.set(principal)


def _wrap(handler: grpc.RpcMethodHandler, check: Callable[[Any], Awaitable[None]]) -> grpc.RpcMethodHandler:
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
            await check(context)
            async for item in inner_us(request, context):
                yield item

        return grpc.unary_stream_rpc_method_handler(unary_stream, request_deserializer=des, response_serializer=ser)
    if handler.stream_stream:
        inner_ss = handler.stream_stream

        async def stream_stream(requests: Any, context: grpc.aio.ServicerContext) -> Any:
            await check(context)
            async for item in inner_ss(requests, context):
                yield item

        return grpc.stream_stream_rpc_method_handler(stream_stream, request_deserializer=des, response_serializer=ser)
    inner_su = handler.stream_unary

    async def stream_unary(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        await check(context)
        return await inner_su(requests, context)

    return grpc.stream_unary_rpc_method_handler(stream_unary, request_deserializer=des, response_serializer=ser)
