"""An integration's resource method as HTTP requests, and the records that come back.

The first request is the method's path and query with placeholders resolved
in the item's scope (the item's `id` bound as `{{id}}` for paths such as
`/contacts/{{id}}`); later pages come from http_api's pagination rules, and
the HTTP itself (timeouts, retries, 429 waits, cancel) from its client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from syncplane.executor.context import RunFailed
from syncplane.executor.jobs.placeholders import as_text, render, render_string
from syncplane.executor.jobs.plan import ResourceItem
from syncplane.executor.sources.http_client import HttpClient
from syncplane.executor.sources.http_pagination import Request, extract, join_url, next_request


def _segment(text: str) -> str:
    # A value in a path is one segment: a "/" inside an id must not add a level.
    return quote(text, safe="")


def first_request(base_url: str, item: ResourceItem, scope: dict[str, Any]) -> Request:
    """The request of an item's first page in `scope`; PlaceholderError when a value does not resolve."""
    method = item.spec
    path_scope = {**scope, "id": render(item.id, scope)}
    path = render_string(method.path, path_scope, _segment)
    query = render({**method.query, **item.query}, scope)
    # An absent value leaves its parameter out (e.g. updated_since on a first run).
    params = [(name, as_text(value)) for name, value in query.items() if value is not None]
    pagination = method.pagination
    if pagination.type in ("page", "offset"):
        assert pagination.param is not None
        params = [(k, v) for k, v in params if k not in (pagination.param, pagination.size_param)]
        params.append((pagination.param, str(pagination.start)))
        if pagination.size_param and pagination.size:
            params.append((pagination.size_param, str(pagination.size)))
    return Request(join_url(base_url, path), tuple(params))


def records_of(body: Any, item: ResourceItem) -> list[dict[str, Any]]:
    """The records of a response: a list of objects, or one object (a `get`), at the record path."""
    label = f"{item.resource} {item.method}"
    try:
        found = extract(body, item.spec.record_path)
    except KeyError:
        raise RunFailed(f"{label}: recordPath {item.spec.record_path!r} is not in the response", "source_error") from None
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise RunFailed(f"{label}: the records at {item.spec.record_path!r} are not a list of objects", "source_error")
    return found


@dataclass(frozen=True)
class Page:
    """One response's records, the request that produced them and the one after (None: last)."""

    request: Request
    records: list[dict[str, Any]]
    following: Request | None


async def _fetch(client: HttpClient, item: ResourceItem, request: Request) -> Page:
    label = item.resource
    response = await client.get(request, entity=label)
    assert response is not None
    records = records_of(response.body, item)
    following = next_request(
        item.spec.pagination, request, response.body, len(records), response.link_next, label, response.headers
    )
    return Page(request, records, following)


async def pages(client: HttpClient, item: ResourceItem, request: Request) -> AsyncIterator[Page]:
    """The pages from `request` on, fetching the next one while the caller handles the current."""
    ahead: asyncio.Task[Page] | None = asyncio.create_task(_fetch(client, item, request))
    try:
        while ahead is not None:
            page = await ahead
            ahead = None
            if page.following is not None:
                ahead = asyncio.create_task(_fetch(client, item, page.following))
            yield page
    finally:
        if ahead is not None:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)


__all__ = ["Page", "first_request", "pages", "records_of"]
