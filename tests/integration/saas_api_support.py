"""A local HTTP server speaking the shapes of the SaaS APIs the presets follow.

No mocks: `SaasApi` is one aiohttp application on 127.0.0.1 serving, from
in-memory records, what each provider's public API answers (see the preset
modules for the documentation they follow):

- Shopify REST Admin: `/admin/api/{version}/{resource}.json`, `X-Shopify-Access-Token`,
  `limit` (max 250), `updated_at_min`, orders `status` (open unless `any`), and
  `Link: <...page_info=...>; rel="next"`; a page_info request may carry only
  `limit` (as Shopify, anything else is a 400).
- Klaviyo JSON:API: `/api/...`, `Authorization: Klaviyo-API-Key ...`, a required
  `revision` header, `filter=greater-than(updated,...)` / `greater-or-equal(datetime,...)`,
  `page[size]`, absolute `links.next` URLs carrying `page[cursor]` and the filters.
- Gorgias: `/api/...`, basic auth, `limit` (max 100), `cursor`, `order_by`,
  `meta.next_cursor`.
- Redo: `/v2.2/stores/{storeId}/returns`, Bearer, `page-size`, `page-continue`,
  and the next cursor in the `X-Page-Next` header.

Every request is recorded in `seen`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

SHOPIFY_TOKEN = "shpat_test_token_1234"
KLAVIYO_KEY = "pk_test_klaviyo_5678"
GORGIAS_USER, GORGIAS_KEY = "ops@acme.test", "gorgias-key-9012"
REDO_TOKEN = "redo-secret-3456"
STORE_ID = "store_123"

_FILTER = re.compile(r"^(greater-than|greater-or-equal)\((\w+),(.+)\)$")


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def _token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _untoken(token: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def shopify_record(i: int, *, updated: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": 1000 + i, "name": f"#{1000 + i}", "updated_at": updated or f"2024-01-01T10:{i // 60:02d}:{i % 60:02d}-05:00", **extra}


def klaviyo_record(kind: str, i: int, *, stamp_field: str = "updated", stamp: str | None = None) -> dict[str, Any]:
    stamp = stamp or f"2024-02-01T00:{i // 60:02d}:{i % 60:02d}+00:00"
    return {
        "type": kind,
        "id": f"{kind[:2].upper()}{i:05d}",
        "attributes": {"email": f"p{i}@example.com", stamp_field: stamp},
        "links": {"self": f"https://a.klaviyo.com/api/{kind}s/{i}/"},
    }


def gorgias_record(i: int, *, updated: str | None = None) -> dict[str, Any]:
    return {"id": i, "subject": f"ticket {i}", "updated_datetime": updated or f"2024-03-01T00:{i // 60:02d}:{i % 60:02d}.000000+00:00"}


class SaasApi:
    """The server (see the module docstring). Use `async with SaasApi() as api`."""

    def __init__(self) -> None:
        self.shopify: dict[str, list[dict[str, Any]]] = {"orders": [], "customers": [], "products": []}
        self.shopify_transactions: dict[int, list[dict[str, Any]]] = {}
        self.klaviyo: dict[str, list[dict[str, Any]]] = {"profiles": [], "events": [], "lists": [], "metrics": []}
        self.klaviyo_list_members: dict[str, list[dict[str, Any]]] = {}
        self.gorgias: dict[str, list[dict[str, Any]]] = {"tickets": [], "customers": [], "users": [], "tags": []}
        self.redo_returns: list[dict[str, Any]] = []
        #: Page size the APIs answer at most (their documented maximum unless a test lowers it).
        self.page_cap: int | None = None
        self.seen: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> SaasApi:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/admin/api/{version}/orders/{order_id}/transactions.json", self._shopify_transactions)
        app.router.add_get("/admin/api/{version}/{resource}.json", self._shopify)
        app.router.add_get("/api/lists/{list_id}/profiles", self._klaviyo_list_profiles)
        app.router.add_get("/api/tickets/{ticket_id}/messages", self._gorgias_empty)
        app.router.add_get("/api/{resource}", self._api)
        app.router.add_get("/v2.2/stores/{store_id}/returns", self._redo)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _cap(self, requested: int, maximum: int) -> int:
        return min(requested, maximum, self.page_cap or maximum)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers)))
        return await handler(request)

    # -- Shopify ---------------------------------------------------------------------------
    def _shopify_auth(self, request: web.Request) -> None:
        if request.headers.get("X-Shopify-Access-Token") != SHOPIFY_TOKEN:
            raise web.HTTPUnauthorized(text='{"errors":"[API] Invalid API key or access token"}')

    async def _shopify(self, request: web.Request) -> web.Response:
        self._shopify_auth(request)
        resource = request.match_info["resource"]
        if resource not in self.shopify:
            raise web.HTTPNotFound()
        query = dict(request.query)
        if "page_info" in query:
            if set(query) - {"page_info", "limit"}:
                return web.json_response({"errors": {"page_info": ["Invalid value."]}}, status=400)
            state = _untoken(query["page_info"])
        else:
            state = {"offset": 0, "since": query.get("updated_at_min"), "status": query.get("status", "open")}
        rows = sorted(self.shopify[resource], key=lambda r: r["id"])
        if resource == "orders" and state["status"] != "any":
            rows = [r for r in rows if r.get("status", "open") == state["status"]]
        if state["since"] is not None:
            rows = [r for r in rows if r["updated_at"] >= state["since"]]
        limit = self._cap(int(query.get("limit", "50")), 250)
        start = state["offset"]
        headers = {}
        if start + limit < len(rows):
            token = _token({**state, "offset": start + limit})
            headers["Link"] = f'<{self.base_url}{request.path}?limit={limit}&page_info={token}>; rel="next"'
        return web.json_response({resource: rows[start : start + limit]}, headers=headers)

    async def _shopify_transactions(self, request: web.Request) -> web.Response:
        self._shopify_auth(request)
        order_id = int(request.match_info["order_id"])
        return web.json_response({"transactions": self.shopify_transactions.get(order_id, [])})

    # -- Klaviyo / Gorgias share /api/{resource} --------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization", "").startswith("Basic "):
            return await self._gorgias(request)
        return await self._klaviyo(request, self.klaviyo.get(request.match_info["resource"]))

    def _klaviyo_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Klaviyo-API-Key {KLAVIYO_KEY}":
            raise web.HTTPUnauthorized(text='{"errors":[{"code":"not_authenticated"}]}')
        if not request.headers.get("revision"):
            raise web.HTTPBadRequest(text='{"errors":[{"code":"invalid","detail":"revision header required"}]}')

    async def _klaviyo(self, request: web.Request, rows: list[dict[str, Any]] | None) -> web.Response:
        self._klaviyo_auth(request)
        if rows is None:
            raise web.HTTPNotFound()
        query = dict(request.query)
        if "filter" in query:
            match = _FILTER.match(query["filter"])
            if match is None:
                return web.json_response({"errors": [{"detail": f"bad filter {query['filter']}"}]}, status=400)
            op, name, value = match.groups()
            keep = (lambda v: v > value) if op == "greater-than" else (lambda v: v >= value)
            rows = [r for r in rows if keep(r["attributes"][name])]
        if "sort" in query:
            rows = sorted(rows, key=lambda r: r["attributes"][query["sort"]])
        start = int(query.pop("page[cursor]", "0"))
        size = self._cap(int(query.get("page[size]", "20")), 100)
        links: dict[str, Any] = {"self": f"{self.base_url}{request.path_qs}", "next": None}
        if start + size < len(rows):
            # Like Klaviyo: an absolute URL that keeps every filter and adds the cursor.
            links["next"] = f"{self.base_url}{request.path}?{urlencode({**query, 'page[cursor]': start + size})}"
        return web.json_response({"data": rows[start : start + size], "links": links})

    async def _klaviyo_list_profiles(self, request: web.Request) -> web.Response:
        return await self._klaviyo(request, self.klaviyo_list_members.get(request.match_info["list_id"]))

    async def _gorgias(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{GORGIAS_USER}:{GORGIAS_KEY}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            raise web.HTTPUnauthorized(text='{"error":"unauthorized"}')
        rows = self.gorgias.get(request.match_info["resource"])
        if rows is None:
            raise web.HTTPNotFound()
        order_by = request.query.get("order_by")
        if order_by is not None:
            name, _, direction = order_by.partition(":")
            rows = sorted(rows, key=lambda r: (r[name], r["id"]), reverse=direction == "desc")
        start = int(_untoken(request.query["cursor"])["at"]) if "cursor" in request.query else 0
        limit = self._cap(int(request.query.get("limit", "30")), 100)
        nxt = _token({"at": start + limit}) if start + limit < len(rows) else None
        return web.json_response(
            {"object": "list", "uri": request.path_qs, "data": rows[start : start + limit],
             "meta": {"prev_cursor": None, "next_cursor": nxt}}
        )

    async def _gorgias_empty(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [], "meta": {"prev_cursor": None, "next_cursor": None}})

    # -- Redo ------------------------------------------------------------------------------
    async def _redo(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {REDO_TOKEN}":
            raise web.HTTPUnauthorized(text='{"error":"unauthorized"}')
        if request.match_info["store_id"] != STORE_ID:
            raise web.HTTPNotFound()
        start = int(_untoken(request.query["page-continue"])["at"]) if "page-continue" in request.query else 0
        size = self._cap(int(request.query.get("page-size", "10")), 100)
        headers = {"X-Page-Next": _token({"at": start + size})} if start + size < len(self.redo_returns) else {}
        return web.json_response({"returns": self.redo_returns[start : start + size], "orders": []}, headers=headers)


__all__ = [
    "GORGIAS_KEY", "GORGIAS_USER", "KLAVIYO_KEY", "REDO_TOKEN", "SHOPIFY_TOKEN", "STORE_ID", "SaasApi", "Seen",
    "gorgias_record", "klaviyo_record", "shopify_record",
]
