"""Helpers for the http_api connector tests: a real local HTTP server playing the
third-party API, and plans for it.

No mocks: `FakeApi` is an aiohttp.web application on 127.0.0.1 (a free port)
that serves in-memory records with every pagination style, checks
credentials, and can be told to misbehave for the next requests (429 with
Retry-After, 5xx, slow answers). It records every request it receives.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from syncplane.executor.context import RunContext
from tests.integration.pg_support import RecordingReporter

SYNC_ID = "22222222-2222-2222-2222-222222222222"


@dataclass
class Fault:
    """What the server does instead of answering one request."""

    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str = "temporarily unavailable"
    #: Answer only once this is set (a request the test holds until something else happened).
    hold: asyncio.Event | None = None


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def customer(i: int, **extra: Any) -> dict[str, Any]:
    """Customer `i`; updated_at grows with i (ISO-8601, so text order is time order)."""
    record = {
        "id": i,
        "name": f"customer {i}",
        "updated_at": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "score": i / 4,
        "vip": i % 2 == 0,
        "address": {"city": f"city {i % 7}", "zip": f"{10000 + i}"},
        "tags": [f"t{i % 3}"],
    }
    record.update(extra)
    return record


class FakeApi:
    """The third-party API (see the module docstring). Use `async with FakeApi() as api`."""

    def __init__(self) -> None:
        self.customers: list[dict[str, Any]] = [customer(i) for i in range(1, 51)]
        self.orders: dict[str, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.fault_paths: tuple[str, ...] = ()
        self.auth: tuple[str, str] | None = None
        #: path -> where it moved (a URL, or a path on this server)
        self.redirects: dict[str, str] = {}
        self.seen: list[Seen] = []
        self.events: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.port = 0
        #: Requests being answered now, and the most at once (parallel entities).
        self.in_flight = 0
        self.max_in_flight = 0

    # -- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> FakeApi:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/page/customers", self._page)
        app.router.add_get("/api/offset/customers", self._offset)
        app.router.add_get("/api/cursor/customers", self._cursor)
        app.router.add_get("/api/link/customers", self._link)
        app.router.add_get("/api/all/customers", self._all)
        app.router.add_get("/api/customers/{customer_id}/orders", self._orders)
        app.router.add_get("/api/orders", self._orders_by_query)
        app.router.add_get("/api/rows", self._rows)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        self._closing.set()
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    # -- scripting ----------------------------------------------------------------------
    def fail_next(self, n: int, fault: Fault | None = None, *, paths: tuple[str, ...] = ()) -> None:
        """The next `n` requests (to `paths`, if given) get `fault` instead of an answer."""
        self.faults.extend([fault or Fault()] * n)
        self.fault_paths = paths

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # -- plumbing -----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request, handler)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers)))
        moved = self.redirects.get(request.path)
        if moved is not None:
            query = f"?{request.query_string}" if request.query_string else ""
            raise web.HTTPFound(moved + query)
        if self.auth is not None:
            header, expected = self.auth
            got = request.headers.get(header)
            if got != expected:
                # Like many real APIs, echo what it got: the connector must not leak it.
                return web.json_response({"error": f"invalid credentials: {got}"}, status=401)
        if self.faults and (not self.fault_paths or request.path in self.fault_paths):
            fault = self.faults.pop(0)
            if fault.hold is not None:
                await fault.hold.wait()
            if fault.delay:
                # A slow answer, cut short when the server shuts down.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=fault.delay)
            if fault.status == 200:
                return await handler(request)
            return web.Response(status=fault.status, text=fault.body, headers=fault.headers)
        return await handler(request)

    def _filtered(self, request: web.Request) -> list[dict[str, Any]]:
        since = request.query.get("updated_since")
        rows = self.customers
        if since is not None:
            rows = [c for c in rows if c["updated_at"] >= since]
        return sorted(rows, key=lambda c: c["id"])

    # -- endpoints ----------------------------------------------------------------------
    async def _page(self, request: web.Request) -> web.Response:
        rows = self._filtered(request)
        page, per_page = int(request.query.get("page", "1")), int(request.query.get("per_page", "10"))
        items = rows[(page - 1) * per_page : page * per_page]
        return web.json_response({"data": {"items": items}, "meta": {"page": page}})

    async def _offset(self, request: web.Request) -> web.Response:
        rows = self._filtered(request)
        offset, limit = int(request.query.get("offset", "0")), int(request.query.get("limit", "10"))
        return web.json_response({"results": rows[offset : offset + limit]})

    async def _cursor(self, request: web.Request) -> web.Response:
        rows = self._filtered(request)
        start = int(request.query.get("cursor", "0"))
        end = start + 7
        nxt = str(end) if end < len(rows) else None
        return web.json_response({"items": rows[start:end], "meta": {"next": nxt}})

    async def _link(self, request: web.Request) -> web.Response:
        rows = self._filtered(request)
        start = int(request.query.get("from", "0"))
        end = start + 9
        headers = {}
        if end < len(rows):
            # A relative link, as GitHub-style APIs may send; the client resolves it.
            headers["Link"] = f'</api/link/customers?from={end}>; rel="next", </api/link/customers?from=0>; rel="first"'
        return web.json_response(rows[start:end], headers=headers)

    async def _all(self, request: web.Request) -> web.Response:
        return web.json_response({"customers": self._filtered(request)})

    async def _orders(self, request: web.Request) -> web.Response:
        key = request.match_info["customer_id"]
        if key not in self.orders:
            return web.json_response({"error": "no such customer"}, status=404)
        rows = self.orders[key]
        page = int(request.query.get("page", "1"))
        return web.json_response({"orders": rows[(page - 1) * 2 : page * 2]})

    async def _orders_by_query(self, request: web.Request) -> web.Response:
        key = request.query["customer_id"]
        return web.json_response({"orders": self.orders.get(key, [])})

    async def _rows(self, request: web.Request) -> web.Response:
        """Events (`self.events`) filtered by updated_since, one page of 1000."""
        since = request.query.get("updated_since")
        rows = [e for e in self.events if since is None or e["updated_at"] >= since]
        return web.json_response({"rows": rows})


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    async with FakeApi() as server:
        yield server


def http_entity(
    key: str,
    *,
    table: str | None = None,
    pk: list[str] | None = None,
    cursor: str | None = None,
    mode: str = "upsert",
) -> dict[str, Any]:
    return {
        "entityKey": key,
        "binding": {
            "tableName": table or key,
            "primaryKeyColumns": ["id"] if pk is None else pk,
            "cursorField": cursor,
            "loadMode": mode,
        },
    }


PAGE_CUSTOMERS = {
    "path": "/page/customers",
    "recordPath": "data.items",
    "primaryKey": ["id"],
    "cursorField": "updated_at",
    "cursorParam": "updated_since",
    "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": 10},
}


def make_ctx(
    api: FakeApi,
    dest_dsn: str,
    entities: list[dict[str, Any]],
    configs: dict[str, dict[str, Any]],
    *,
    run_mode: str = "full",
    page_size: int = 1000,
    auth: dict[str, Any] | None = None,
    source_secrets: dict[str, Any] | None = None,
    root_run_id: str | None = None,
    token: int = 1,
    attempt: int = 1,
    reporter: RecordingReporter | None = None,
    **config: Any,
) -> RunContext:
    run_id = str(uuid.uuid4())
    source_config = {
        "baseUrl": api.base_url,
        "auth": auth or {"type": "none"},
        "timeoutSeconds": 5,
        "maxRetries": 3,
        "retryBackoffSeconds": 0.01,
        "entities": configs,
        **config,
    }
    return RunContext(
        run_id=run_id,
        root_run_id=root_run_id or run_id,
        token=token,
        attempt_number=attempt,
        kind="sync",
        spec={
            "syncId": SYNC_ID,
            "runMode": run_mode,
            "pageSize": page_size,
            "source": {"provider": "http_api", "config": source_config},
            "entities": entities,
            "destination": {"schema": "public"},
        },
        secrets={"source": source_secrets or {}, "destinationDsn": dest_dsn},
        checkpoint={},
        reporter=reporter or RecordingReporter(),
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
