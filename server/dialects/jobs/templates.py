"""The server's share of placeholders: resolving a sync job's templated
mutex_key ("{{args.project}}") when a run is created. The executor resolves
every other placeholder (docs/jobs.md)."""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    value: Any = scope
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _resolve(expr: str, scope: dict[str, Any]) -> Any:
    # "a|b" falls back, "a?:default" defaults, "a:type" casts (irrelevant for a key).
    default: str | None = None
    if "?:" in expr:
        expr, default = expr.split("?:", 1)
    for alternative in expr.split("|"):
        name = alternative.split(":", 1)[0].strip()
        value = _lookup(name, scope)
        if value is not None:
            return value
    return default


def render(template: str, scope: dict[str, Any]) -> str:
    """The template with each placeholder replaced by its value as text
    (objects as JSON, missing values as empty)."""

    def text(match: re.Match[str]) -> str:
        value = _resolve(match.group(1), scope)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            return json.dumps(value, sort_keys=True, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return _PLACEHOLDER.sub(text, template)
