"""The egress policy (syncplane.egress) on aiohttp sessions, at connect time.

A resolver checks every address a name resolves to before aiohttp connects
(aiohttp connects only to what its resolver returned, so DNS rebinding between
a check and the connect is impossible); aiohttp never asks the resolver about
IP literals, so a trace hook checks those at the start of every request and
before every redirect aiohttp follows.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from syncplane import egress


class EgressResolver(AbstractResolver):
    """The default resolver, refusing what the policy refuses."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        policy = egress.policy()
        why = policy.refusal_of_name(host)
        if why:
            raise egress.EgressRefused(egress._target(host, port), why)
        results = await self._inner.resolve(host, port, family)
        policy.check_addresses(host, port, [r["host"] for r in results])
        return results

    async def close(self) -> None:
        await self._inner.close()


def _check_literal(url: URL) -> None:
    host = url.raw_host or ""
    if egress._literal(host) is not None:
        egress.policy().check_addresses(host, url.port, [host])


async def _on_request_start(_session: Any, _ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
    _check_literal(params.url)


async def _on_request_redirect(_session: Any, _ctx: SimpleNamespace, params: aiohttp.TraceRequestRedirectParams) -> None:
    # A redirect aiohttp follows itself goes to the Location: check it before it does.
    location = params.response.headers.get("Location")
    if location:
        _check_literal(params.url.join(URL(location)))


def trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_on_request_start)
    trace.on_request_redirect.append(_on_request_redirect)
    return trace


def connector(**kwargs: Any) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(resolver=EgressResolver(), **kwargs)


def session(*, connector_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> aiohttp.ClientSession:
    """A ClientSession that refuses what the egress policy refuses (EgressRefused)."""
    return aiohttp.ClientSession(
        connector=connector(**(connector_kwargs or {})),
        trace_configs=[trace_config(), *kwargs.pop("trace_configs", [])],
        **kwargs,
    )


__all__ = ["EgressResolver", "connector", "session", "trace_config"]
