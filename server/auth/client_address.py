"""Who a call comes from, for throttling failed authentications.

A direct gRPC client is its peer address. A REST client reaches gRPC through
the in-process gateway over loopback, so its peer is always 127.0.0.1; the
gateway forwards the HTTP peer as the last entry of `x-forwarded-for`. That
header is trusted only on calls carrying this process's gateway mark: a
random secret the gateway's channel adds to every call and that no client
can know, so nobody can dodge the throttle by sending a made-up address.
"""

from __future__ import annotations

import secrets
from typing import Any

import grpc

GATEWAY_MARK_KEY = "x-syncplane-gateway"


def new_gateway_mark() -> str:
    return secrets.token_urlsafe(24)


def client_address(peer: str, metadata: dict[str, str], gateway_mark: str | None) -> str:
    """The throttling key of a call: the forwarded HTTP peer for the gateway's calls, else the gRPC peer host."""
    if gateway_mark and secrets.compare_digest(metadata.get(GATEWAY_MARK_KEY, ""), gateway_mark):
        forwarded = metadata.get("x-forwarded-for", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return _peer_host(peer)


def _peer_host(peer: str) -> str:
    # grpc peers look like "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" or "unix:/path".
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return peer


class _Mark:
    def __init__(self, mark: str) -> None:
        self._pair = (GATEWAY_MARK_KEY, mark)

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        # Drop any mark a REST client sent as Grpc-Metadata-X-Syncplane-Gateway, then add the real one.
        metadata = [(k, v) for k, v in (details.metadata or ()) if k != GATEWAY_MARK_KEY]
        metadata.append(self._pair)
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, grpc.aio.Metadata(*metadata), details.credentials, details.wait_for_ready
        )


class _UnaryUnary(_Mark, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStream(_Mark, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnary(_Mark, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _StreamStream(_Mark, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def gateway_mark_interceptors(mark: str) -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors for the in-process gateway's channel: every call carries `mark`."""
    return [_UnaryUnary(mark), _UnaryStream(mark), _StreamUnary(mark), _StreamStream(mark)]
