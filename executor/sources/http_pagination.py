"""Requests, record extraction and pagination of a declarative JSON API.

A `Request` is plain data (URL and query parameters), so the position of a
load can be saved as "the request of the current page, and how many of its
records are committed" and a resumed attempt repeats exactly that request.
The next request is computed from the current request and its response
alone, which keeps pagination free of hidden state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from yarl import URL

from syncplane.executor.context import RunFailed
from syncplane.executor.sources.http_config import EntityConfig, Pagination, query_value

Params = tuple[tuple[str, str], ...]

# Characters left as they are in the literal parts of a path template.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True)
class Request:
    """One GET: the URL (may carry its own query, e.g. a Link URL) and extra query parameters."""

    url: str
    params: Params = ()

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def with_param(self, name: str, value: str) -> Request:
        """The same request with `name` set to `value` (in its place, or added at the end)."""
        if self.param(name) is None:
            return Request(self.url, self.params + ((name, value),))
        return Request(self.url, tuple((k, value if k == name else v) for k, v in self.params))

    def to_state(self) -> dict[str, Any]:
        return {"url": self.url, "params": [list(p) for p in self.params]}

    @classmethod
    def from_state(cls, raw: dict[str, Any]) -> Request:
        return cls(str(raw["url"]), tuple((str(k), str(v)) for k, v in raw.get("params") or ()))


def join_url(base_url: str, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _fill_path(template: str, values: dict[str, str]) -> str:
    """The path with `{name}` placeholders replaced by URL-encoded values."""
    out: list[str] = []
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        out.append(quote(head, safe=_PATH_SAFE))
        out.append(quote(values[name], safe=""))
    out.append(quote(rest, safe=_PATH_SAFE))
    return "".join(out)


def first_request(
    base_url: str, entity: EntityConfig, *, parent: dict[str, str] | None = None, since: Any = None
) -> Request:
    """The first request of an entity (of one parent's children), with the incremental cursor."""
    parent = parent or {}
    in_path = set(entity.path_fields)
    params: list[tuple[str, str]] = list(entity.query)
    params += [(name, parent[name]) for name, _ in entity.parent_fields if name not in in_path]
    if since is not None and entity.cursor_param:
        value = query_value(since)
        if entity.cursor_format is not None:
            # A filter expression around the value, e.g. greater-than(updated,2024-01-01T00:00:00Z).
            value = entity.cursor_format.replace("{value}", value)
        params.append((entity.cursor_param, value))
    pagination = entity.pagination
    if pagination.type in ("page", "offset"):
        assert pagination.param is not None
        params.append((pagination.param, str(pagination.start)))
        if pagination.size_param and pagination.size:
            params.append((pagination.size_param, str(pagination.size)))
    url = join_url(base_url, _fill_path(entity.path, parent))
    return Request(url, tuple(params))


def extract(body: Any, path: str) -> Any:
    """The value at a dotted path ("data.items", "results.0.rows"); KeyError if absent."""
    value = body
    if not path:
        return value
    for part in path.split("."):
        if isinstance(value, dict):
            value = value[part]
        elif isinstance(value, list) and part.isdigit():
            try:
                value = value[int(part)]
            except IndexError:
                raise KeyError(part) from None
        else:
            raise KeyError(part)
    return value


def records_of(body: Any, record_path: str, entity: str) -> list[dict[str, Any]]:
    """The records of a response: a list of objects at `record_path` (null means none)."""
    try:
        records = extract(body, record_path)
    except KeyError:
        keys = sorted(body)[:20] if isinstance(body, dict) else type(body).__name__
        raise RunFailed(
            f"entity {entity}: recordPath {record_path!r} is not in the response (top level: {keys})", "source_error"
        ) from None
    if records is None:
        return []
    if isinstance(records, dict) and not record_path:
        raise RunFailed(f"entity {entity}: the response is an object; set recordPath to its record list", "config_error")
    if not isinstance(records, list):
        raise RunFailed(
            f"entity {entity}: recordPath {record_path!r} holds a {type(records).__name__}, not a list", "source_error"
        )
    for record in records:
        if not isinstance(record, dict):
            raise RunFailed(
                f"entity {entity}: a record at {record_path!r} is a {type(record).__name__}, not an object",
                "source_error",
            )
    return records


def next_request(
    pagination: Pagination,
    request: Request,
    body: Any,
    count: int,
    link_next: str | None,
    entity: str,
    headers: Mapping[str, str] | None = None,
) -> Request | None:
    """The request after `request`, whose response was `body` (and `headers`, lower-case
    names) with `count` records; None at the end.

    page/offset end at an empty page or one shorter than the size sent; cursor
    ends when the token is missing or empty; link ends without a rel="next";
    next_url ends when the body's URL is missing or null. A token or link that
    repeats the current one is an API fault (it would loop forever) and fails
    the run.
    """
    kind = pagination.type
    if kind == "none":
        return None
    if kind in ("page", "offset"):
        assert pagination.param is not None
        if count == 0 or (pagination.size and count < pagination.size):
            return None
        current = int(request.param(pagination.param) or pagination.start)
        step = 1 if kind == "page" else count
        return request.with_param(pagination.param, str(current + step))
    if kind == "cursor":
        assert pagination.param is not None
        token, where = _cursor_token(pagination, body, headers or {})
        if token is None or token == "" or token is False:
            return None
        token = query_value(token)
        if token == request.param(pagination.param):
            raise RunFailed(f"entity {entity}: the API repeated cursor token at {where}", "source_error")
        return request.with_param(pagination.param, token)
    if kind == "next_url":
        return _next_url(pagination, request, body, entity)
    # link
    if not link_next:
        return None
    if link_next == request.url and not request.params:
        raise RunFailed(f"entity {entity}: the API's Link rel=next points at the current page", "source_error")
    return Request(link_next)


def _cursor_token(pagination: Pagination, body: Any, headers: Mapping[str, str]) -> tuple[Any, str]:
    """The next cursor token (None when absent) and where it was looked for."""
    if pagination.next_cursor_header is not None:
        return headers.get(pagination.next_cursor_header), f"header {pagination.next_cursor_header}"
    assert pagination.next_cursor_path is not None
    try:
        return extract(body, pagination.next_cursor_path), pagination.next_cursor_path
    except KeyError:
        return None, pagination.next_cursor_path


def _next_url(pagination: Pagination, request: Request, body: Any, entity: str) -> Request | None:
    """The next page from a URL in the body (absolute, or relative to the current request)."""
    assert pagination.next_url_path is not None
    try:
        link = extract(body, pagination.next_url_path)
    except KeyError:
        return None
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise RunFailed(
            f"entity {entity}: {pagination.next_url_path} holds a {type(link).__name__}, not a URL", "source_error"
        )
    # Encoded form, as every request URL; the whole query is the API's (filters included).
    url = str(URL(request.url, encoded=True).join(URL(link)))
    if not url.startswith(("http://", "https://")):
        raise RunFailed(f"entity {entity}: {pagination.next_url_path} is not an http(s) URL", "source_error")
    if url == request.url and not request.params:
        raise RunFailed(f"entity {entity}: the API's {pagination.next_url_path} points at the current page", "source_error")
    return Request(url)


__all__ = ["Params", "Request", "extract", "first_request", "join_url", "next_request", "records_of"]
