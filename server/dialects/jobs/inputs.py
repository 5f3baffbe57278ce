"""Validation of the dialect's request bodies: field paths are the snake_case
JSON names, so the error body's `details` names each bad field."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from google.protobuf import json_format

from syncplane.server.dialects.validation import Checker
from syncplane.server.engine import cron
from syncplane.wire import whole_numbers

ERROR_HANDLING = ("fail_fast", "ignore")
RUN_STATUSES = ("created", "running", "rate_limited", "completed", "failed", "stopped")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
EVENTS = tuple(
    f"sync_job_run:{e}"
    for e in ("created", "started", "completed", "failed", "stopped", "record", "record_error", "rate_limited")
)
AUTH_TYPES = ("bearer", "api_key_header", "basic", "none")
METHODS = ("list", "get")
PAGINATION_TYPES = ("page", "offset", "cursor", "link", "next_url", "none")
#: Every resource without its own environment shares this one.
DEFAULT_ENVIRONMENT_ID = uuid.UUID("00000000-0000-0000-0000-000000000000")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,62}$")
_RESOURCE = re.compile(r"^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)?$")


def struct(message: Any, field: str) -> dict[str, Any] | None:
    """A Struct field as a dict, None when absent."""
    if not message.HasField(field):
        return None
    return whole_numbers(json_format.MessageToDict(getattr(message, field)))


def opt(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def url(c: Checker, field: str, value: str) -> None:
    if not c.required(field, value, empty_is_missing=True):
        return
    # Placeholders may stand for the host ("https://{{context.subdomain}}.example.com").
    parts = urlsplit(re.sub(r"\{\{[^}]*\}\}", "x", value))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        c.add(field, "Input should be a valid URL (http or https)", "url_parsing")


def environment(c: Checker, message: Any) -> uuid.UUID:
    raw = opt(message, "environment_id")
    if not raw:
        return DEFAULT_ENVIRONMENT_ID
    return c.uuid("environment_id", raw) or DEFAULT_ENVIRONMENT_ID


def integration_name(c: Checker, value: str) -> None:
    if c.required("name", value, empty_is_missing=True) and not _NAME.match(value):
        c.add("name", "Use lowercase letters, digits, '_' and '-' (at most 63)", "string_pattern_mismatch")


def auth(c: Checker, value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {"type": "none"}
    c.choice("auth.type", str(value.get("type", "")), AUTH_TYPES)
    if value.get("type") == "api_key_header" and not isinstance(value.get("header"), str):
        c.add("auth.header", "Field required for api_key_header auth", "missing")
    return value


def integration_resources(c: Checker, value: dict[str, Any] | None) -> dict[str, Any]:
    """resource -> method -> {path, record_path, id_field, pagination, query}."""
    if not value:
        c.add("resources", "Describe at least one resource", "missing")
        return {}
    for name, methods in value.items():
        where = f"resources.{name}"
        if not _RESOURCE.match(name):
            c.add(where, "A resource is 'unified_api/resource' or a plain name", "string_pattern_mismatch")
        if not isinstance(methods, dict) or not methods:
            c.add(where, "Input should be an object of methods (list, get)", "dict_type")
            continue
        for method, spec in methods.items():
            at = f"{where}.{method}"
            if method not in METHODS:
                c.choice(at, method, METHODS)
                continue
            if not isinstance(spec, dict) or not isinstance(spec.get("path"), str) or not spec["path"]:
                c.add(f"{at}.path", "Field required", "missing")
                continue
            pagination = spec.get("pagination")
            if pagination is not None:
                if not isinstance(pagination, dict):
                    c.add(f"{at}.pagination", "Input should be an object", "dict_type")
                else:
                    c.choice(f"{at}.pagination.type", str(pagination.get("type", "")), PAGINATION_TYPES)
    return value


def job_resources(c: Checker, items: list[Any], integration: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The sync job's resource list as stored (snake_case dicts)."""
    if not items:
        c.add("resources", "List should have at least 1 item after validation, not 0", "too_short")
    out: list[dict[str, Any]] = []
    names = set()
    for i, item in enumerate(items):
        at = f"resources.{i}"
        d = json_format.MessageToDict(item, preserving_proto_field_name=True)
        if c.required(f"{at}.resource", item.resource or None) and c.required(f"{at}.method", item.method or None):
            c.choice(f"{at}.method", item.method, METHODS)
            described = (integration or {}).get(item.resource)
            if integration is not None and not isinstance(described, dict):
                c.add(f"{at}.resource", f"the integration does not describe '{item.resource}'", "unknown_resource")
            elif integration is not None and item.method not in described:
                c.add(f"{at}.method", f"the integration has no '{item.method}' for '{item.resource}'", "unknown_method")
        if item.HasField("depends_on") and item.depends_on not in names:
            c.add(f"{at}.depends_on", "must name a resource listed before this one", "unknown_resource")
        names.add(item.resource)
        out.append(d)
    return out


def args_schema(c: Checker, value: dict[str, Any] | None) -> None:
    if value is None:
        return
    try:
        jsonschema.Draft202012Validator.check_schema(value)
    except jsonschema.SchemaError as exc:
        c.add("args_schema", f"not a valid JSON Schema: {exc.message}", "json_schema")


def args(c: Checker, value: dict[str, Any], schema: dict[str, Any] | None) -> None:
    """args against the job's args_schema: each violation names its field
    (`args.project_slug`); a missing required property names it too."""
    if not schema:
        return
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
        path = [str(p) for p in error.path]
        if error.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", error.message)
            if missing:
                path.append(missing.group(1))
        c.add(".".join(["args", *path]), error.message, "json_schema")


def target(c: Checker, group: str | None, webhook_id: str | None) -> tuple[str | None, uuid.UUID | None]:
    """daemon_group_key XOR webhook_id; neither means the "default" group."""
    if group and webhook_id:
        message = "Specify either daemon_group_key or webhook_id, not both"
        c.add("daemon_group_key", message, "mutually_exclusive")
        c.add("webhook_id", message, "mutually_exclusive")
        return None, None
    if webhook_id:
        return None, c.uuid("webhook_id", webhook_id)
    return group or "default", None


def error_handling(c: Checker, value: str | None) -> str:
    value = value if value is not None else "ignore"
    c.choice("error_handling", value, ERROR_HANDLING)
    return value


def cron_expression(c: Checker, value: str) -> None:
    if not c.required("cron_expression", value, empty_is_missing=True):
        return
    if len(value.split()) != 5 or not cron.valid_cron(value):
        c.add("cron_expression", "A cron expression has 5 fields (minute hour day month weekday), UTC, and fires at least once every 5 years", "cron")


def event_types(c: Checker, values: list[str]) -> None:
    if not values:
        c.add("event_types", "List should have at least 1 item after validation, not 0", "too_short")
    for i, value in enumerate(values):
        if value != "*":
            c.choice(f"event_types.{i}", value, EVENTS)
