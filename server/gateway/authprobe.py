"""Asks the gRPC server whether a request's credentials would pass, without calling the method.

The gateway refuses some requests before calling gRPC (a bad body, query or header); authentication
must still come first, or an anonymous client learns how a body is validated (401 before 422). The
gRPC auth interceptor stays the only authority: a call marked with `PROBE_KEY` is authenticated and
authorised exactly as the real call would be, then answered with an empty OK, and never reaches the
method. The probe's body is bytes no protobuf parser accepts, so a server that does not know the
mark refuses the call before any handler runs (and the gateway then shows its own 4xx).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

PROBE_KEY = "x-syncplane-auth-probe"
# Field 1 with wire type 7, which does not exist: undecodable as any message.
PROBE_BODY = b"\x0f"
PROBE_TIMEOUT_SECONDS = 5.0
# What a probe may answer that outranks the gateway's own 4xx.
AUTH_CODES = frozenset(
    {
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,  # failed authentications throttled
        grpc.StatusCode.UNAVAILABLE,  # the key store cannot be asked
    }
)


def is_probe(metadata: Sequence[tuple[str, str | bytes]] | None) -> bool:
    return any(key == PROBE_KEY for key, _ in metadata or ())


def _identity(data: bytes) -> bytes:
    return data


class AuthProbe:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self._calls: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    async def refusal(
        self, rpc_path: str, metadata: Sequence[tuple[str, str | bytes]]
    ) -> grpc.aio.AioRpcError | None:
        """The authentication error the real call would get, or None when its credentials pass."""
        call = self._calls.get(rpc_path)
        if call is None:
            call = self._channel.unary_unary(rpc_path, request_serializer=_identity, response_deserializer=_identity)
            self._calls[rpc_path] = call
        try:
            await call(PROBE_BODY, metadata=(*metadata, (PROBE_KEY, "1")), timeout=PROBE_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            return exc if exc.code() in AUTH_CODES else None
        return None
