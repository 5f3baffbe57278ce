"""HTTP headers ↔ gRPC metadata, and the `Grpc-Timeout` header."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from aiohttp import web
from multidict import CIMultiDict

Metadata = tuple[tuple[str, str | bytes], ...]

METADATA_HEADER_PREFIX = "grpc-metadata-"
RESPONSE_HEADER_PREFIX = "Grpc-Metadata-"
# Headers forwarded under their own name: the credentials the auth interceptor reads.
_FORWARDED = ("authorization", "cookie", "x-api-key")
_VALID_KEY = re.compile(r"^[0-9a-z_.\-]+$")
# Metadata a server or gRPC itself sets that must not become client-visible headers.
_HIDDEN_RESPONSE_KEYS = frozenset({"content-type", "grpc-status", "grpc-message", "x-http-code"})
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


def request_metadata(request: web.Request, *, forward_cookie: bool = False) -> Metadata:
    """The metadata a call made for `request` carries, as grpc-gateway builds it.

    The Cookie header goes on only when `forward_cookie` (the dialect accepts its API-key cookie
    and the request passed `cookies.cookie_refusal`); other cookies are nobody's business upstream.
    """
    headers = request.headers
    pairs: list[tuple[str, str | bytes]] = []
    for name in _FORWARDED:
        if name == "cookie" and not forward_cookie:
            continue
        for value in headers.getall(name, ()):
            pairs.append((name, value))
    for name, value in headers.items():
        lowered = name.lower()
        if not lowered.startswith(METADATA_HEADER_PREFIX):
            continue
        key = lowered[len(METADATA_HEADER_PREFIX) :]
        converted = _metadata_pair(key, value)
        if converted is not None:
            pairs.append(converted)
    peer = _peer_host(request)
    forwarded_for = headers.get("X-Forwarded-For")
    if forwarded_for and peer:
        pairs.append(("x-forwarded-for", f"{forwarded_for}, {peer}"))
    elif forwarded_for or peer:
        pairs.append(("x-forwarded-for", forwarded_for or peer))
    host = headers.get("X-Forwarded-Host") or headers.get("Host")
    if host:
        pairs.append(("x-forwarded-host", host))
    return tuple(pairs)


def _metadata_pair(key: str, value: str) -> tuple[str, str | bytes] | None:
    # gRPC refuses the whole call for a bad key or a reserved one; drop such a header instead.
    if not key or key.startswith("grpc-") or not _VALID_KEY.match(key):
        return None
    if key.endswith("-bin"):
        try:
            return key, base64.b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            return None
    if not value.isascii() or not value.isprintable():
        return None
    return key, value


def _peer_host(request: web.Request) -> str:
    transport = request.transport
    if transport is None:
        return ""
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return ""


def parse_grpc_timeout(value: str | None) -> float | None:
    """Seconds from a `Grpc-Timeout` value such as "5S" or "250m"; None when absent or malformed."""
    if not value or len(value) < 2:
        return None
    unit = _TIMEOUT_UNITS.get(value[-1])
    digits = value[:-1]
    if unit is None or not (digits.isascii() and digits.isdigit()) or len(digits) > 8:
        return None
    return int(digits) * unit


def response_headers(metadata: Iterable[tuple[str, str | bytes]] | None) -> CIMultiDict[str]:
    """Response header metadata as `Grpc-Metadata-<key>` headers."""
    headers: CIMultiDict[str] = CIMultiDict()
    for key, value in metadata or ():
        if key in _HIDDEN_RESPONSE_KEYS or key.startswith(":"):
            continue
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        headers.add(RESPONSE_HEADER_PREFIX + key, value)
    return headers
