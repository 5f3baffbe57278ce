"""The plan of a sync-job run (docs/jobs.md, "Plan"), parsed and validated from `ctx.spec`.

Anything wrong with the plan is RunFailed("config_error"): the server built
it, so a bad one is a bug to see at once, not a record error to skip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yarl import URL

from syncplane.executor.context import RunFailed
from syncplane.executor.jobs.placeholders import PlaceholderError, render_string
from syncplane.executor.sources.http_config import AUTH_TYPES, AuthConfig, ClientConfig, Pagination

# The integration's pagination uses http_api's keys and rules (page/offset/cursor/link/next_url).
from syncplane.executor.sources.http_config import _parse_pagination as parse_pagination

ERROR_HANDLING = ("fail_fast", "ignore")
TARGET_KINDS = ("daemon", "webhook")
DEFAULT_STORE_SCHEMA = "sync_job_data"
#: Records per data-store transaction and per webhook `record` event.
DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 50_000


def config_error(message: str) -> RunFailed:
    return RunFailed(message, "config_error")


@dataclass(frozen=True)
class MethodSpec:
    """How the integration answers one method of one resource.

    Attributes:
        name: "list", "get", ...
        path: URL path under the base URL; placeholders (`{{id}}`, `{{args.x}}`) are URL-encoded.
        record_path: dotted path of the records in a response ("" = the body); an
            object there is one record (a `get`).
        id_field: the field that identifies a record (dotted path allowed).
        pagination: how responses chain (http_api's styles).
        query: query parameters the integration always sends (placeholders allowed).
    """

    name: str
    path: str
    record_path: str
    id_field: str
    pagination: Pagination
    query: dict[str, Any]


@dataclass(frozen=True)
class ResourceItem:
    """One entry of the job's `resources`, with the integration's method it calls.

    Attributes:
        index: position in the plan (the key of resume state).
        resource: "crm/contacts" (unified API/resource) or "contacts" (proxy).
        method: the method name.
        id: the record id for methods such as `get` (placeholders allowed).
        query: query parameters (placeholders allowed); override the method's.
        loop_on: dotted scope path of an array (e.g. "args.user_ids"): the request
            repeats per element, with that path bound to the element.
        depends_on: the parent resource: this item runs once per parent record.
        persist: whether records go to the data store / the webhook.
        spec: the integration's description of the method.
    """

    index: int
    resource: str
    method: str
    id: Any
    query: dict[str, Any]
    loop_on: str | None
    depends_on: str | None
    persist: bool
    spec: MethodSpec

    @property
    def scope_path(self) -> tuple[str, ...]:
        """Where a record of this resource sits under `resources` in a child's scope."""
        return tuple(self.resource.split("/"))


@dataclass(frozen=True)
class JobPlan:
    """A validated sync-job plan (see docs/jobs.md)."""

    run_id: str
    job_id: str
    account_id: str
    environment_id: str | None
    integration: str
    client: ClientConfig
    context: dict[str, Any]
    args: dict[str, Any]
    previous_run_date: str | None
    error_handling: str
    target: str
    webhook_id: str | None
    webhook_url: str | None
    #: Base of the webhook's exponential backoff (the cap is 10 s).
    webhook_backoff_seconds: float
    store_schema: str
    batch_size: int
    resources: tuple[ResourceItem, ...]

    @property
    def fail_fast(self) -> bool:
        return self.error_handling == "fail_fast"

    def base_scope(self) -> dict[str, Any]:
        """What placeholders see before any parent record or loop element is bound."""
        return {
            "args": self.args,
            "context": self.context,
            "previous_run_date": self.previous_run_date,
            "resources": {},
        }


def _str(value: Any, what: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise config_error(f"plan: {what} is required")
        return None
    if not isinstance(value, str):
        raise config_error(f"plan: {what} must be a string")
    return value


def _obj(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise config_error(f"plan: {what} must be an object")
    return value


def _number(value: Any, what: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise config_error(f"plan: {what} must be a number >= 0")
    return float(value)


def normalise_loop_on(raw: Any) -> str | None:
    """`loop_on` as a dotted scope path: "user_ids", "args.user_ids", "{{args.user_ids}}" and
    the seed's `{"{ args.user_ids }": null}` all mean "args.user_ids"."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise config_error("plan: loop_on as an object must have exactly one key")
        raw = next(iter(raw))
    if not isinstance(raw, str):
        raise config_error("plan: loop_on must be a string")
    name = raw.strip().strip("{}").strip()
    if not name:
        raise config_error("plan: loop_on names nothing")
    if name.split(".", 1)[0] not in ("args", "context", "resources"):
        name = f"args.{name}"
    return name


def _parse_method(resource: str, name: str, raw: Any) -> MethodSpec:
    what = f"integration resource {resource!r} method {name!r}"
    if not isinstance(raw, dict):
        raise config_error(f"plan: {what} must be an object")
    path = _str(raw.get("path"), f"{what} path")
    assert path is not None
    return MethodSpec(
        name=name,
        path=path,
        record_path=_str(raw.get("recordPath"), f"{what} recordPath", required=False) or "",
        id_field=_str(raw.get("idField"), f"{what} idField", required=False) or "id",
        pagination=parse_pagination(raw.get("pagination"), f"{resource} {name}"),
        query=_obj(raw.get("query"), f"{what} query"),
    )


def _parse_item(index: int, raw: Any, described: dict[str, Any]) -> ResourceItem:
    if not isinstance(raw, dict):
        raise config_error(f"plan: resources[{index}] must be an object")
    resource = _str(raw.get("resource"), f"resources[{index}].resource")
    method = _str(raw.get("method"), f"resources[{index}].method")
    assert resource is not None and method is not None
    methods = described.get(resource)
    if not isinstance(methods, dict) or method not in methods:
        raise config_error(f"plan: the integration has no method {method!r} for resource {resource!r}")
    persist = raw.get("persist")
    return ResourceItem(
        index=index,
        resource=resource,
        method=method,
        id=raw.get("id"),
        query=_obj(raw.get("query"), f"resources[{index}].query"),
        loop_on=normalise_loop_on(raw.get("loop_on")),
        depends_on=_str(raw.get("depends_on"), f"resources[{index}].depends_on", required=False),
        # Unified-API resources always persist; proxy resources only when asked.
        persist="/" in resource or bool(persist),
        spec=_parse_method(resource, method, methods[method]),
    )


def _check_graph(items: list[ResourceItem]) -> None:
    """Every depends_on names a resource of the plan, and following them never loops."""
    first = {}
    for item in items:
        first.setdefault(item.resource, item)
    for item in items:
        seen = {item.resource}
        parent = item.depends_on
        while parent is not None:
            if parent not in first:
                raise config_error(f"plan: {item.resource} depends on {parent!r}, which is not in the job's resources")
            if parent in seen:
                raise config_error(f"plan: resources depend on each other in a cycle through {parent!r}")
            seen.add(parent)
            parent = first[parent].depends_on


def _parse_auth(raw: Any) -> AuthConfig:
    raw = _obj(raw, "integration.auth")
    kind = raw.get("type") or "none"
    if kind not in AUTH_TYPES:
        raise config_error(f"plan: auth type {kind!r} is not one of {list(AUTH_TYPES)}")
    header = _str(raw.get("header"), "integration.auth.header", required=kind == "api_key_header")
    return AuthConfig(
        type=kind,
        header=header,
        username=_str(raw.get("username"), "integration.auth.username", required=False),
        secret_key=_str(raw.get("secretKey"), "integration.auth.secretKey", required=False),
        prefix=_str(raw.get("prefix"), "integration.auth.prefix", required=False) or "",
    )


def _parse_client(integration: dict[str, Any], scope: dict[str, Any], account: dict[str, Any]) -> ClientConfig:
    template = _str(integration.get("baseUrl"), "integration.baseUrl")
    assert template is not None
    try:
        base_url = str(render_string(template, scope))
    except PlaceholderError as exc:
        raise config_error(f"plan: integration.baseUrl: {exc}") from None
    if not base_url.startswith(("http://", "https://")):
        raise config_error("plan: integration.baseUrl must resolve to an http:// or https:// URL")
    auth = _parse_auth(integration.get("auth"))
    if auth.type == "basic" and auth.username is None:
        # The user name of basic auth is part of the account's credentials.
        username = account.get("username")
        if not isinstance(username, str) or not username:
            raise config_error("plan: basic auth needs a username (integration.auth.username or the account's)")
        auth = AuthConfig(type="basic", username=username, secret_key=auth.secret_key)
    headers = _obj(integration.get("headers"), "integration.headers")
    return ClientConfig(
        base_url=str(URL(base_url)),
        auth=auth,
        headers=tuple((str(k), str(v)) for k, v in headers.items()),
        timeout_seconds=_number(integration.get("timeoutSeconds"), "integration.timeoutSeconds", 30.0),
        max_retries=int(_number(integration.get("maxRetries"), "integration.maxRetries", 5)),
        backoff_seconds=_number(integration.get("retryBackoffSeconds"), "integration.retryBackoffSeconds", 1.0),
        max_backoff_seconds=_number(integration.get("maxBackoffSeconds"), "integration.maxBackoffSeconds", 60.0),
    )


def parse_plan(spec: dict[str, Any], account_secrets: dict[str, Any] | None = None) -> JobPlan:
    """Validates a sync-job plan; anything wrong is RunFailed(config_error)."""
    integration = _obj(spec.get("integration"), "integration")
    described = _obj(integration.get("resources"), "integration.resources")
    context = _obj(spec.get("context"), "context")
    args = _obj(spec.get("args"), "args")
    raw_items = spec.get("resources")
    if not isinstance(raw_items, list) or not raw_items:
        raise config_error("plan: resources must be a non-empty list")
    items = [_parse_item(i, raw, described) for i, raw in enumerate(raw_items)]
    _check_graph(items)
    error_handling = spec.get("errorHandling") or "ignore"
    if error_handling not in ERROR_HANDLING:
        raise config_error(f"plan: errorHandling {error_handling!r} is not one of {list(ERROR_HANDLING)}")
    target = _obj(spec.get("target"), "target")
    kind = target.get("kind") or "daemon"
    if kind not in TARGET_KINDS:
        raise config_error(f"plan: target.kind {kind!r} is not one of {list(TARGET_KINDS)}")
    url = _str(target.get("url"), "target.url", required=kind == "webhook")
    if url is not None and not url.startswith(("http://", "https://")):
        raise config_error("plan: target.url must be an http:// or https:// URL")
    batch_size = spec.get("batchSize") or DEFAULT_BATCH_SIZE
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise config_error(f"plan: batchSize must be an integer from 1 to {MAX_BATCH_SIZE}")
    previous = spec.get("previousRunDate")
    scope = {"context": context, "args": args}
    run_id = _str(spec.get("syncJobRunId"), "syncJobRunId")
    job_id = _str(spec.get("syncJobId"), "syncJobId")
    account_id = _str(spec.get("integratedAccountId"), "integratedAccountId")
    assert run_id is not None and job_id is not None and account_id is not None
    return JobPlan(
        run_id=run_id,
        job_id=job_id,
        account_id=account_id,
        environment_id=_str(spec.get("environmentId"), "environmentId", required=False),
        integration=_str(integration.get("name"), "integration.name", required=False) or "",
        client=_parse_client(integration, scope, account_secrets or {}),
        context=context,
        args=args,
        previous_run_date=_str(previous, "previousRunDate", required=False),
        error_handling=error_handling,
        target=kind,
        webhook_id=_str(target.get("webhookId"), "target.webhookId", required=False),
        webhook_url=url,
        webhook_backoff_seconds=_number(target.get("backoffSeconds"), "target.backoffSeconds", 1.0),
        store_schema=_str(_obj(spec.get("store"), "store").get("schema"), "store.schema", required=False)
        or DEFAULT_STORE_SCHEMA,
        batch_size=batch_size,
        resources=tuple(items),
    )


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_STORE_SCHEMA",
    "JobPlan",
    "MethodSpec",
    "ResourceItem",
    "config_error",
    "normalise_loop_on",
    "parse_plan",
]
