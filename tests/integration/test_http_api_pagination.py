"""Every pagination style loads every record exactly once; batches stay within pageSize."""

from __future__ import annotations

from typing import Any

from syncplane.executor.connectors import http_api
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    api,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401


async def _loaded_ids(dsn: str, table: str = "customers") -> list[int]:
    return [r[0] for r in await fetch(dsn, f"SELECT id FROM {table} ORDER BY id")]


async def _load(api: FakeApi, dsn: str, config: dict[str, Any], **kwargs: Any) -> Any:
    ctx = make_ctx(api, dsn, [http_entity("customers")], {"customers": config}, **kwargs)
    await http_api.run(ctx)
    return ctx


async def test_page_pagination_follows_pages_until_a_short_one(fresh_dsn: str, api: FakeApi) -> None:
    ctx = await _load(api, fresh_dsn, PAGE_CUSTOMERS)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    pages = [(s.query["page"], s.query["per_page"]) for s in api.requests_to("/api/page/customers")]
    # 50 records, 10 a page: the 6th page is empty and ends the chain.
    assert pages == [(str(p), "10") for p in range(1, 7)]
    assert ctx.rows_read == 50 and ctx.rows_written == 50


async def test_offset_pagination_advances_by_the_records_received(fresh_dsn: str, api: FakeApi) -> None:
    config = {
        "path": "/offset/customers",
        "recordPath": "results",
        "pagination": {"type": "offset", "offsetParam": "offset", "limitParam": "limit", "limit": 15},
    }
    await _load(api, fresh_dsn, config)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    offsets = [s.query["offset"] for s in api.requests_to("/api/offset/customers")]
    assert offsets == ["0", "15", "30", "45"]  # 45 answers 5 < 15 records: the last page


async def test_cursor_pagination_follows_the_next_token_until_null(fresh_dsn: str, api: FakeApi) -> None:
    config = {
        "path": "/cursor/customers",
        "recordPath": "items",
        "pagination": {"type": "cursor", "cursorParam": "cursor", "nextCursorPath": "meta.next"},
    }
    await _load(api, fresh_dsn, config)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    tokens = [s.query.get("cursor") for s in api.requests_to("/api/cursor/customers")]
    assert tokens == [None, "7", "14", "21", "28", "35", "42", "49"]


async def test_link_pagination_follows_rel_next_including_relative_links(fresh_dsn: str, api: FakeApi) -> None:
    config = {"path": "/link/customers", "pagination": {"type": "link"}}
    await _load(api, fresh_dsn, config)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    starts = [s.query.get("from") for s in api.requests_to("/api/link/customers")]
    assert starts == [None, "9", "18", "27", "36", "45"]


async def test_no_pagination_is_one_request_with_the_static_query(fresh_dsn: str, api: FakeApi) -> None:
    config = {"path": "/all/customers", "recordPath": "customers", "query": {"status": "active", "expand": True}}
    await _load(api, fresh_dsn, config)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    [seen] = api.requests_to("/api/all/customers")
    assert seen.query == {"status": "active", "expand": "true"}


async def test_dotted_record_path_reaches_nested_lists_and_a_wrong_one_fails(fresh_dsn: str, api: FakeApi) -> None:
    await _load(api, fresh_dsn, PAGE_CUSTOMERS)
    assert len(await _loaded_ids(fresh_dsn)) == 50

    from syncplane.executor.context import RunFailed

    wrong = {**PAGE_CUSTOMERS, "recordPath": "data.rows"}
    try:
        await _load(api, fresh_dsn, wrong)
    except RunFailed as failure:
        assert failure.reason_code == "source_error"
        assert "data.rows" in str(failure)
    else:
        raise AssertionError("a recordPath that is not in the response must fail the run")


async def test_batches_hold_at_most_page_size_records_even_across_api_pages(fresh_dsn: str, api: FakeApi) -> None:
    reporter = RecordingReporter()
    await _load(api, fresh_dsn, PAGE_CUSTOMERS, page_size=7, reporter=reporter)

    assert await _loaded_ids(fresh_dsn) == list(range(1, 51))
    committed = [c["rowsCommitted"] for c in reporter.checkpoints]
    # 7 full batches of 7, then the last record in the final transaction.
    assert committed == [7, 14, 21, 28, 35, 42, 49, 50]
    assert reporter.checkpoints[-1]["done"] is True
