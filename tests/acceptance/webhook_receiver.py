"""A real local webhook endpoint for the jobs dialect's acceptance tests: it
verifies each delivery's X-Truto-Signature against the secret the server
returned when the webhook was created, and records what arrived."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Arrival:
    hook: str
    event: dict[str, Any]
    signature_ok: bool
    status: int


@dataclass
class WebhookReceiver:
    """One server, many endpoints: POST /hook/<name>. `secrets[name]` is set
    after the webhook is created; `fail[name]` answers that status instead of 200."""

    secrets: dict[str, str] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)
    arrivals: list[Arrival] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook/{name}", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hook/{name}"

    def accepted(self, hook: str, event: str | None = None) -> list[dict[str, Any]]:
        """Events a hook answered 2xx, in arrival order (optionally one event name)."""
        return [
            a.event for a in self.arrivals
            if a.hook == hook and a.status < 300 and (event is None or a.event["event"] == event)
        ]

    async def wait_for(self, hook: str, event: str, *, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.accepted(hook, event)
            if len(got) >= count:
                return got
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{hook}: {event} x{count} not received; got {[a.event['event'] for a in self.arrivals if a.hook == hook]}")

    async def _hook(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.read()
        secret = self.secrets.get(name, "")
        expected = "format=sha256,v=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        status = self.fail.get(name, 200)
        self.arrivals.append(Arrival(name, json.loads(body), request.headers.get("X-Truto-Signature") == expected, status))
        return web.json_response({"ok": status < 300}, status=status)
