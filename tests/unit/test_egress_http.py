"""syncplane.egress_http: aiohttp sessions refuse what the egress policy refuses,
when connecting (names through the resolver, IP literals and redirects by a
trace hook), against a real local HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from syncplane import egress, egress_http


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, list[str]]]:
    seen: list[str] = []

    async def ok(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"ok": True})

    async def bounce(request: web.Request) -> web.Response:
        seen.append(request.path)
        raise web.HTTPFound(request.query["to"])

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/bounce", bounce)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port, seen
    finally:
        await runner.cleanup()


async def _get(url: str) -> int:
    async with egress_http.session() as http, http.get(url) as resp:
        return resp.status


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_loopback_is_refused_before_connecting_unless_allowed(
    server: tuple[int, list[str]], host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = server
    monkeypatch.setenv(egress.ENV_ALLOW, "")
    with pytest.raises(egress.EgressRefused, match="loopback"):
        await _get(f"http://{host}:{port}/ok")
    assert seen == []
    monkeypatch.setenv(egress.ENV_ALLOW, "127.0.0.0/8,::1")
    assert await _get(f"http://{host}:{port}/ok") == 200
    assert seen == ["/ok"]


async def test_a_name_denied_at_connect_time_is_refused(
    server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = server
    monkeypatch.setenv(egress.ENV_ALLOW, "localhost")
    assert await _get(f"http://localhost:{port}/ok") == 200
    monkeypatch.setenv(egress.ENV_DENY, "127.0.0.1")
    with pytest.raises(egress.EgressRefused, match="SYNCPLANE_EGRESS_DENY"):
        await _get(f"http://localhost:{port}/ok")
    assert seen == ["/ok"]


async def test_a_redirect_to_a_refused_literal_is_not_followed(
    server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = server
    monkeypatch.setenv(egress.ENV_ALLOW, "localhost")
    with pytest.raises(egress.EgressRefused, match="127.0.0.1"):
        await _get(f"http://localhost:{port}/bounce?to=http://127.0.0.1:{port}/ok")
    assert seen == ["/bounce"]
    with pytest.raises(egress.EgressRefused, match="cloud metadata"):
        await _get(f"http://localhost:{port}/bounce?to=http://169.254.169.254/latest")
