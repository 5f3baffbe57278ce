"""A server's start before its database answers: retried with backoff, /readyz 503 meanwhile.

`wait_for_database` connects, and while the database is unavailable (refused, starting up, out of
connections: `server.db.errors.UNAVAILABLE`) logs one `database.waiting` event per attempt naming the
address tried (never the credentials) and tries again with exponential backoff and jitter, up to
`SYNCPLANE_DATABASE_WAIT_SECONDS`; then it raises `DatabaseUnreachable` (one line for the CLI, no
traceback). Meanwhile `StartingSite` holds the HTTP port: /healthz 200 (the process is alive and
working on it), /readyz 503 naming the database, /metrics; any other path 503 with Retry-After. The
server closes it just before its gateway binds the port.
"""

from __future__ import annotations

import asyncio
import random
import time
from urllib.parse import parse_qs, urlsplit

import asyncpg
import structlog
from aiohttp import web

from syncplane.server.db.errors import UNAVAILABLE
from syncplane.server.db.pool import connect
from syncplane.server.observability import metrics

log = structlog.get_logger(__name__)

FIRST_DELAY = 0.25
MAX_DELAY = 5.0


class DatabaseUnreachable(RuntimeError):
    """The database did not answer within the start-up wait."""


def address_of(dsn: str) -> str:
    """host:port/database of a DSN, for logs: no user, no password."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    try:
        port = parts.port or int((query.get("port") or ["5432"])[0])
    except ValueError:
        port = 5432
    database = parts.path.lstrip("/") or (query.get("dbname") or [""])[0]
    return f"{host}:{port}/{database}"


async def wait_for_database(dsn: str, wait_seconds: float) -> asyncpg.Connection:
    address = address_of(dsn)
    deadline = time.monotonic() + wait_seconds
    delay = FIRST_DELAY
    attempt = 0
    while True:
        attempt += 1
        try:
            conn = await asyncio.wait_for(connect(dsn), timeout=10)
        except UNAVAILABLE as exc:
            error = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            left = deadline - time.monotonic()
            if left <= 0:
                log.error("database.unreachable", address=address, attempts=attempt, error=error)
                raise DatabaseUnreachable(
                    f"the database at {address} did not answer within {wait_seconds:g} s "
                    f"(SYNCPLANE_DATABASE_WAIT_SECONDS): {error}"
                ) from None
            pause = min(delay * (0.5 + random.random()), left)
            log.warning("database.waiting", address=address, attempt=attempt, error=error, retry_in=round(pause, 2))
            await asyncio.sleep(pause)
            delay = min(delay * 2, MAX_DELAY)
            continue
        if attempt > 1:
            log.info("database.reachable", address=address, attempts=attempt)
        return conn


class StartingSite:
    """The HTTP port of a server still starting: alive, not ready."""

    def __init__(self, host: str, port: int, waiting_for: str) -> None:
        self._host, self._port = host, port
        self._waiting_for = waiting_for
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the port bound (0: the one the OS chose)
        self.port = int(sockets[0].getsockname()[1]) if sockets else self._port

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/healthz":
            return web.json_response({"status": "ok"})
        if request.path == "/metrics":
            body, content_type = metrics.exposition()
            return web.Response(body=body, headers={"Content-Type": content_type})
        checks = {self._waiting_for: False, "grpc": False, "gateway": False}
        body_status = {"ready": False, "checks": checks, "starting": f"waiting for the {self._waiting_for}"}
        return web.json_response(body_status, status=503, headers={"Retry-After": "1"})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


__all__ = ["DatabaseUnreachable", "StartingSite", "address_of", "wait_for_database"]
