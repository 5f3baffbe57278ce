"""The plan of an `http_api` sync attempt, parsed and validated from `ctx.spec`.

The source config describes a JSON REST API declaratively: a base URL, how to
authenticate, and per entity key the path, where the records are in a
response, the pagination, and (for a child entity) which parent entity it is
fetched for. The plan's `entities` list carries the table bindings; entities
come back in dependency order (parents before children).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yarl import URL

from syncplane.executor.destinations.bindings import TableBinding, entity_key, parse_binding
from syncplane.executor.plan import DEFAULT_PAGE_SIZE, config_error, parse_envelope

#: Rows per batch when the plan names none (as the postgres connector).

AUTH_TYPES = ("none", "bearer", "api_key_header", "basic")
PAGINATION_TYPES = ("none", "page", "offset", "cursor", "link", "next_url")
CURSOR_ORDERS = ("asc", "desc")

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Pagination:
    """How an entity's responses chain into the next request.

    Attributes:
        type: "none", "page", "offset", "cursor", "link" (RFC 5988 `Link: <...>; rel="next"`)
            or "next_url" (the next page's URL in the body, as JSON:API `links.next`).
        param: the page number, offset or cursor-token query parameter.
        size_param: the page-size or limit parameter (page, offset), if any.
        size: the page size or limit (sent with `size_param` when there is one); a
            shorter page is the last. Without it only an empty page ends the chain.
        start: the first page number (page) or offset (offset).
        next_cursor_path: dotted path of the next cursor token in a response (cursor).
        next_cursor_header: response header that carries the next cursor token
            instead (cursor; e.g. "X-Page-Next").
        next_url_path: dotted path of the next page's URL in a response (next_url).
    """

    type: str = "none"
    param: str | None = None
    size_param: str | None = None
    size: int | None = None
    start: int = 0
    next_cursor_path: str | None = None
    next_cursor_header: str | None = None
    next_url_path: str | None = None


@dataclass(frozen=True)
class EntityConfig(TableBinding):
    """One entity: where it is loaded (its `TableBinding`: key, table_name,
    primary_key — the binding's, else the source config's —, cursor_field — the
    record field incremental runs advance on —, load_mode) and how it is fetched.

    Attributes:
        path: URL path under the base URL (or an absolute URL); `{name}`
            placeholders are filled from the parent record.
        record_path: dotted path of the record list in a response ("" = the body).
        cursor_param: query parameter that takes the last committed cursor.
        cursor_format: the cursor parameter's value with `{value}` standing for the
            cursor (e.g. "greater-than(updated,{value})"); None sends the bare value.
        cursor_start: the cursor value a first read starts from (an API filter's
            lower bound, e.g. a start date), when no earlier run left a mark.
        cursor_order: "desc" when the API returns records newest-first by the
            cursor field and cannot filter: an incremental read stops at the first
            record below the mark. "asc" (the default) reads every page.
        pagination: how pages chain.
        query: static query parameters.
        depends_on: the parent entity key, for an entity fetched per parent record.
        parent_fields: placeholder or query parameter name -> parent column.
    """

    path: str
    record_path: str
    cursor_param: str | None
    cursor_format: str | None
    cursor_start: Any
    cursor_order: str
    pagination: Pagination
    query: tuple[tuple[str, str], ...]
    depends_on: str | None
    parent_fields: tuple[tuple[str, str], ...]

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The parent fields that fill placeholders of the path (the rest go in the query)."""
        return tuple(_PLACEHOLDER.findall(self.path))


@dataclass(frozen=True)
class AuthConfig:
    """How requests authenticate; the secret itself is in `ctx.secrets["source"]`.

    Attributes:
        type: "none", "bearer" (secret `token`), "api_key_header" (secret
            `apiKey`) or "basic" (secret `password`).
        header: the API-key header name.
        username: the basic-auth user name.
        secret_key: the secret to read instead of the type's default name (a
            preset may call it what the provider calls it, e.g. `accessToken`).
        prefix: text before the key in the API-key header (e.g. "Klaviyo-API-Key ").
    """

    type: str = "none"
    header: str | None = None
    username: str | None = None
    secret_key: str | None = None
    prefix: str = ""


@dataclass(frozen=True)
class ClientConfig:
    """HTTP behaviour shared by every request of the attempt.

    Attributes:
        base_url: prefix of every entity path.
        auth: the authentication scheme.
        headers: static request headers (not secret).
        timeout_seconds: limit of one request, response body included.
        max_retries: retries of one request after a 5xx, a connection error or
            a timeout (429 does not count); then the run fails source_unavailable.
        backoff_seconds: base of the exponential backoff (full jitter).
        max_backoff_seconds: cap of one backoff.
    """

    base_url: str
    auth: AuthConfig
    headers: tuple[tuple[str, str], ...]
    timeout_seconds: float
    max_retries: int
    backoff_seconds: float
    max_backoff_seconds: float


@dataclass(frozen=True)
class HttpSyncSpec:
    """The parts of a sync plan the http_api connector uses.

    Attributes:
        sync_id: the sync; the key of its fence and cursor state.
        run_mode: "full" or "incremental".
        page_size: rows per destination batch.
        dest_schema: destination schema for targets and state tables.
        client: HTTP settings.
        entities: in dependency order (parents first).
    """

    sync_id: str
    run_mode: str
    page_size: int
    dest_schema: str
    client: ClientConfig
    entities: tuple[EntityConfig, ...]

    def entity(self, key: str) -> EntityConfig:
        return next(e for e in self.entities if e.key == key)


_config_error = config_error


def _str_or_none(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _config_error(f"{what} must be a string")
    return value


def _int(value: Any, what: str, default: int, minimum: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _config_error(f"{what} must be an integer >= {minimum}")
    return value


def _number(value: Any, what: str, default: float, minimum: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise _config_error(f"{what} must be a number >= {minimum}")
    return float(value)


def query_value(value: Any) -> str:
    """A query-parameter value as text (JSON spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pairs(raw: Any, what: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(k, str) and k for k in raw):
        raise _config_error(f"{what} must be an object of names to values")
    return tuple((k, query_value(v)) for k, v in raw.items() if v is not None)


def _parse_pagination(raw: Any, key: str) -> Pagination:
    if raw is None:
        return Pagination()
    if not isinstance(raw, dict):
        raise _config_error(f"entity {key!r}: pagination must be an object")
    kind = raw.get("type") or "none"
    what = f"entity {key!r}: pagination"
    if kind == "page":
        size = _int(raw.get("size"), f"{what} size", 0, 1) or None
        return Pagination(
            type="page",
            param=_str_or_none(raw.get("pageParam"), f"{what} pageParam") or "page",
            size_param=_str_or_none(raw.get("sizeParam"), f"{what} sizeParam"),
            size=size,
            start=_int(raw.get("startPage"), f"{what} startPage", 1),
        )
    if kind == "offset":
        return Pagination(
            type="offset",
            param=_str_or_none(raw.get("offsetParam"), f"{what} offsetParam") or "offset",
            size_param=_str_or_none(raw.get("limitParam"), f"{what} limitParam") or "limit",
            size=_int(raw.get("limit"), f"{what} limit", 100, 1),
            start=_int(raw.get("startOffset"), f"{what} startOffset", 0),
        )
    if kind == "cursor":
        path = _str_or_none(raw.get("nextCursorPath"), f"{what} nextCursorPath")
        header = _str_or_none(raw.get("nextCursorHeader"), f"{what} nextCursorHeader")
        if (path is None) == (header is None):
            raise _config_error(f"{what}: cursor pagination needs one of nextCursorPath or nextCursorHeader")
        return Pagination(
            type="cursor",
            param=_str_or_none(raw.get("cursorParam"), f"{what} cursorParam") or "cursor",
            next_cursor_path=path,
            next_cursor_header=header.lower() if header else None,
        )
    if kind == "next_url":
        url_path = _str_or_none(raw.get("nextUrlPath"), f"{what} nextUrlPath")
        if url_path is None:
            raise _config_error(f"{what}: next_url pagination needs nextUrlPath")
        return Pagination(type="next_url", next_url_path=url_path)
    if kind in ("link", "none"):
        return Pagination(type=kind)
    raise _config_error(f"{what} type {kind!r} is not one of {list(PAGINATION_TYPES)}")


def _parse_entity(raw: Any, configs: dict[str, Any]) -> EntityConfig:
    key = entity_key(raw)
    config = configs.get(key)
    if not isinstance(config, dict):
        raise _config_error(f"entity {key!r} is not described in the source config's entities")
    binding = parse_binding(raw, default_key=config.get("primaryKey"), default_cursor=config.get("cursorField"))
    cursor = binding.cursor_field
    path = _str_or_none(config.get("path"), f"entity {key!r}: path")
    if path is None:
        raise _config_error(f"entity {key!r}: the source config needs a path")
    cursor_format = _str_or_none(config.get("cursorFormat"), f"entity {key!r}: cursorFormat")
    if cursor_format is not None and "{value}" not in cursor_format:
        raise _config_error(f"entity {key!r}: cursorFormat must contain {{value}}")
    cursor_order = str(config.get("cursorOrder") or "asc")
    if cursor_order not in CURSOR_ORDERS:
        raise _config_error(f"entity {key!r}: cursorOrder {cursor_order!r} is not one of {list(CURSOR_ORDERS)}")
    if cursor_order == "desc" and cursor is None:
        raise _config_error(f"entity {key!r}: cursorOrder desc needs a cursorField")
    depends_on = _str_or_none(config.get("dependsOn"), f"entity {key!r}: dependsOn")
    parent_fields = _pairs(config.get("parentFields"), f"entity {key!r}: parentFields")
    if depends_on is not None and not parent_fields:
        raise _config_error(f"entity {key!r}: dependsOn needs parentFields (placeholder -> parent field)")
    if depends_on is None and parent_fields:
        raise _config_error(f"entity {key!r}: parentFields without dependsOn")
    entity = EntityConfig(
        **binding.fields(),
        path=path,
        record_path=_str_or_none(config.get("recordPath"), f"entity {key!r}: recordPath") or "",
        cursor_param=_str_or_none(config.get("cursorParam"), f"entity {key!r}: cursorParam"),
        cursor_format=cursor_format,
        cursor_start=config.get("cursorStart"),
        cursor_order=cursor_order,
        pagination=_parse_pagination(config.get("pagination"), key),
        query=_pairs(config.get("query"), f"entity {key!r}: query"),
        depends_on=depends_on,
        parent_fields=parent_fields,
    )
    unknown = [p for p in entity.path_fields if p not in dict(parent_fields)]
    if unknown:
        raise _config_error(f"entity {key!r}: path placeholders {unknown} are not parentFields")
    return entity


def _parse_auth(raw: Any) -> AuthConfig:
    if raw is None:
        return AuthConfig()
    if not isinstance(raw, dict):
        raise _config_error("auth must be an object")
    kind = raw.get("type") or "none"
    if kind not in AUTH_TYPES:
        raise _config_error(f"auth type {kind!r} is not one of {list(AUTH_TYPES)}")
    header = _str_or_none(raw.get("header"), "auth header")
    if kind == "api_key_header" and header is None:
        raise _config_error("auth type api_key_header needs a header name")
    username = _str_or_none(raw.get("username"), "auth username")
    if kind == "basic" and username is None:
        raise _config_error("auth type basic needs a username")
    return AuthConfig(
        type=kind,
        header=header,
        username=username,
        secret_key=_str_or_none(raw.get("secretKey"), "auth secretKey"),
        prefix=_str_or_none(raw.get("prefix"), "auth prefix") or "",
    )


def _parse_client(config: dict[str, Any]) -> ClientConfig:
    base_url = _str_or_none(config.get("baseUrl"), "baseUrl")
    if base_url is None or not base_url.startswith(("http://", "https://")):
        raise _config_error("baseUrl must be an http:// or https:// URL")
    return ClientConfig(
        # Encoded form: request URLs are built from it as text.
        base_url=str(URL(base_url)),
        auth=_parse_auth(config.get("auth")),
        headers=_pairs(config.get("headers"), "headers"),
        timeout_seconds=_number(config.get("timeoutSeconds"), "timeoutSeconds", 30.0, 0.001),
        max_retries=_int(config.get("maxRetries"), "maxRetries", 5),
        backoff_seconds=_number(config.get("retryBackoffSeconds"), "retryBackoffSeconds", 1.0),
        max_backoff_seconds=_number(config.get("maxBackoffSeconds"), "maxBackoffSeconds", 60.0),
    )


def dependency_order(entities: list[EntityConfig]) -> tuple[EntityConfig, ...]:
    """Parents before children, otherwise in plan order; a cycle or a missing parent is a config error."""
    by_key = {e.key: e for e in entities}
    for e in entities:
        if e.depends_on is not None and e.depends_on not in by_key:
            raise _config_error(f"entity {e.key!r} depends on {e.depends_on!r}, which is not in the plan")
    ordered: list[EntityConfig] = []
    placed: set[str] = set()
    while len(ordered) < len(entities):
        ready = [e for e in entities if e.key not in placed and (e.depends_on is None or e.depends_on in placed)]
        if not ready:
            cycle = sorted(e.key for e in entities if e.key not in placed)
            raise _config_error(f"entities {cycle} depend on each other in a cycle")
        ordered.append(ready[0])
        placed.add(ready[0].key)
    return tuple(ordered)


def parse_spec(spec: dict[str, Any]) -> HttpSyncSpec:
    """Validates a sync plan; anything wrong is RunFailed(config_error)."""
    envelope = parse_envelope(spec, "http_api")
    config = envelope.source_config
    configs = config.get("entities") or {}
    if not isinstance(configs, dict):
        raise _config_error("source config entities must be an object of entity key -> settings")
    entities = [_parse_entity(e, configs) for e in envelope.entities]
    if len({e.key for e in entities}) != len(entities):
        raise _config_error("entity keys must be unique")
    return HttpSyncSpec(
        sync_id=envelope.sync_id,
        run_mode=envelope.run_mode,
        page_size=envelope.page_size,
        dest_schema=envelope.dest_schema,
        client=_parse_client(config),
        entities=dependency_order(entities),
    )


__all__ = [
    "AuthConfig",
    "ClientConfig",
    "DEFAULT_PAGE_SIZE",
    "EntityConfig",
    "HttpSyncSpec",
    "Pagination",
    "dependency_order",
    "parse_spec",
    "query_value",
]
