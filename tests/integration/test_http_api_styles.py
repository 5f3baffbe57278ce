"""The http_api options SaaS APIs need, in their general form: the next page's
URL in the body, a cursor token in a header, a filter expression around the
cursor, nested cursor fields, newest-first reads that stop at the mark, a
start value for first reads, and a named, prefixed API-key secret."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web

from syncplane.executor.connectors import http_api
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.sources.http_config import parse_spec
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401 (fixture)

ITEMS = [{"id": i, "meta": {"ts": f"2024-05-01T00:00:{i:02d}Z"}, "name": f"item {i}"} for i in range(1, 24)]


class ItemsApi:
    """`/items`: 5 records a page from `from`; next page as links.next (relative), an X-Next header,
    or nothing; `since` filters meta.ts >= its value, `order=desc` lists newest first."""

    def __init__(self) -> None:
        self.items = [dict(i) for i in ITEMS]
        self.queries: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.repeat_link = False
        self.port = 0

    async def items_page(self, request: web.Request) -> web.Response:
        self.queries.append(dict(request.query))
        self.headers.append(dict(request.headers))
        rows = sorted(self.items, key=lambda r: r["meta"]["ts"], reverse=request.query.get("order") == "desc")
        if "since" in request.query:
            rows = [r for r in rows if r["meta"]["ts"] >= request.query["since"]]
        start = int(request.query.get("from", "0"))
        more = start + 5 < len(rows)
        # The next link keeps the request's other parameters, as such APIs do.
        nxt = None if not more else ("/items" if self.repeat_link else f"/items?{urlencode({**request.query, 'from': start + 5})}")
        headers = {"X-Next": str(start + 5)} if more else {}
        return web.json_response({"data": rows[start : start + 5], "links": {"next": nxt}}, headers=headers)


@pytest.fixture
async def items_api() -> AsyncIterator[ItemsApi]:
    api = ItemsApi()
    app = web.Application()
    app.router.add_get("/items", api.items_page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    api.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield api
    await runner.cleanup()


def _ctx(api: ItemsApi, dsn: str, entity: dict[str, Any], *, mode: str = "upsert", run_mode: str = "full",
         auth: dict[str, Any] | None = None, secrets: dict[str, str] | None = None) -> RunContext:
    run_id = str(uuid.uuid4())
    config = {"baseUrl": f"http://127.0.0.1:{api.port}", "auth": auth or {"type": "none"}, "maxRetries": 0,
              "entities": {"items": {"path": "/items", "recordPath": "data", "primaryKey": ["id"], **entity}}}
    spec = {"syncId": "44444444-4444-4444-4444-444444444444", "runMode": run_mode, "pageSize": 1000,
            "source": {"provider": "http_api", "config": config},
            "entities": [{"entityKey": "items", "binding": {"tableName": "items", "loadMode": mode}}],
            "destination": {"schema": "public"}}
    return RunContext(run_id=run_id, root_run_id=run_id, token=1, attempt_number=1, kind="sync", spec=spec,
                      secrets={"source": secrets or {}, "destinationDsn": dsn}, checkpoint={},
                      reporter=RecordingReporter())


async def _ids(dsn: str) -> list[int]:
    return [r[0] for r in await fetch(dsn, "SELECT id FROM items ORDER BY id")]


NEXT_URL = {"type": "next_url", "nextUrlPath": "links.next"}


async def test_next_url_pagination_follows_the_body_link_until_null(fresh_dsn: str, items_api: ItemsApi) -> None:
    await http_api.run(_ctx(items_api, fresh_dsn, {"pagination": NEXT_URL}))

    assert await _ids(fresh_dsn) == list(range(1, 24))
    assert [q.get("from") for q in items_api.queries] == [None, "5", "10", "15", "20"]


async def test_next_url_that_points_back_at_the_current_page_fails_the_run(fresh_dsn: str, items_api: ItemsApi) -> None:
    items_api.repeat_link = True
    ctx = _ctx(items_api, fresh_dsn, {"pagination": NEXT_URL})
    with pytest.raises(RunFailed) as err:
        await http_api.run(ctx)
    assert err.value.reason_code == "source_error" and "current page" in str(err.value)


async def test_cursor_token_from_a_response_header(fresh_dsn: str, items_api: ItemsApi) -> None:
    pagination = {"type": "cursor", "cursorParam": "from", "nextCursorHeader": "X-Next"}
    await http_api.run(_ctx(items_api, fresh_dsn, {"pagination": pagination}))

    assert await _ids(fresh_dsn) == list(range(1, 24))
    assert [q.get("from") for q in items_api.queries] == [None, "5", "10", "15", "20"]


async def test_nested_cursor_with_a_filter_expression_loads_only_changes(fresh_dsn: str, items_api: ItemsApi) -> None:
    entity = {"pagination": NEXT_URL, "cursorField": "meta.ts", "cursorParam": "since", "cursorFormat": "{value}"}
    await http_api.run(_ctx(items_api, fresh_dsn, entity, mode="append_event", run_mode="incremental"))
    items_api.items.append({"id": 24, "meta": {"ts": "2024-05-01T00:01:00Z"}, "name": "item 24"})
    items_api.queries.clear()

    second = _ctx(items_api, fresh_dsn, entity, mode="append_event", run_mode="incremental")
    await http_api.run(second)

    assert items_api.queries[0]["since"] == "2024-05-01T00:00:23Z"  # the nested mark, through the format
    assert second.rows_written == 1  # item 24; item 23 at the mark is not appended again
    assert await _ids(fresh_dsn) == list(range(1, 25))


async def test_cursor_format_wraps_the_value_in_the_filter(items_api: ItemsApi) -> None:
    from syncplane.executor.sources.http_pagination import first_request

    spec = parse_spec(_ctx(items_api, "", {"cursorField": "meta.ts", "cursorParam": "filter",
                                           "cursorFormat": "greater-than(ts,{value})"}).spec)
    request = first_request("http://h", spec.entities[0], since="2024-05-01T00:00:05Z")
    assert request.param("filter") == "greater-than(ts,2024-05-01T00:00:05Z)"


async def test_newest_first_read_stops_at_the_first_record_below_the_mark(fresh_dsn: str, items_api: ItemsApi) -> None:
    entity = {"pagination": NEXT_URL, "query": {"order": "desc"}, "cursorField": "meta.ts", "cursorOrder": "desc"}
    await http_api.run(_ctx(items_api, fresh_dsn, entity, run_mode="incremental"))
    assert len(items_api.queries) == 5
    assert await _ids(fresh_dsn) == list(range(1, 24))
    items_api.queries.clear()
    items_api.items[0]["meta"] = {"ts": "2024-05-01T00:02:00Z"}

    second = _ctx(items_api, fresh_dsn, entity, run_mode="incremental")
    await http_api.run(second)

    assert len(items_api.queries) == 1  # item 1 (changed) and 23 (the mark), then 22 is older: stop
    assert second.rows_read == 2
    assert await _ids(fresh_dsn) == list(range(1, 24))


async def test_cursor_start_bounds_a_first_full_read(fresh_dsn: str, items_api: ItemsApi) -> None:
    entity = {"pagination": NEXT_URL, "cursorField": "meta.ts", "cursorParam": "since", "cursorStart": "2024-05-01T00:00:20Z"}
    await http_api.run(_ctx(items_api, fresh_dsn, entity, run_mode="full"))

    assert items_api.queries[0]["since"] == "2024-05-01T00:00:20Z"
    assert await _ids(fresh_dsn) == [20, 21, 22, 23]


async def test_api_key_header_with_a_prefix_and_a_named_secret(fresh_dsn: str, items_api: ItemsApi) -> None:
    auth = {"type": "api_key_header", "header": "Authorization", "prefix": "Token ", "secretKey": "accessToken"}
    await http_api.run(_ctx(items_api, fresh_dsn, {}, auth=auth, secrets={"accessToken": "tok-123"}))
    assert items_api.headers[0]["Authorization"] == "Token tok-123"

    with pytest.raises(RunFailed) as err:
        await http_api.run(_ctx(items_api, fresh_dsn, {}, auth=auth, secrets={"apiKey": "tok-123"}))
    assert err.value.reason_code == "config_error" and "'accessToken'" in str(err.value)


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        ({"pagination": {"type": "next_url"}}, "nextUrlPath"),
        ({"pagination": {"type": "cursor", "nextCursorPath": "a", "nextCursorHeader": "B"}}, "one of"),
        ({"cursorField": "ts", "cursorParam": "f", "cursorFormat": "gt(ts)"}, "{value}"),
        ({"cursorOrder": "desc"}, "cursorField"),
        ({"cursorField": "ts", "cursorOrder": "sideways"}, "cursorOrder"),
    ],
)
def test_bad_style_options_are_config_errors(items_api: ItemsApi, entity: dict[str, Any], message: str) -> None:
    with pytest.raises(RunFailed) as err:
        parse_spec(_ctx(items_api, "", entity).spec)
    assert err.value.reason_code == "config_error" and message in str(err.value)
