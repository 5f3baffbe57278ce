"""The placeholder language of sync-job resources: `{{...}}` in ids, queries and paths.

A placeholder names a value in a scope (a dict: `args`, `context`, `resources`,
`previous_run_date`, and `id` for a method's path) by a dotted path:

    {{args.user_id}}                  a value
    {{resources.crm.contacts.id}}     a field of the parent record
    {{args.limit:int}}                converted: int, bool, json (parse a string), str
    {{args.a|args.b}}                 fallback: the first that is present and not null
    {{args.limit?:100}}               default (text, converted by the type when one is given)
    {{args.a|args.b:int?:5}}          all of it

A string that is one placeholder and nothing else keeps the value's type (a
number stays a number, an array an array; absent is None); inside a longer
string each placeholder is interpolated as text (absent is "", objects and
arrays as compact JSON, booleans as true/false). Everything here is a pure
function of its arguments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

TYPES = ("int", "bool", "json", "str")

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_WHOLE = re.compile(r"^\{\{((?:(?!\}\}).)*)\}\}$", re.DOTALL)
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


class PlaceholderError(ValueError):
    """A placeholder that cannot be resolved as written (bad syntax or a failed conversion)."""


def lookup(scope: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (list elements by index); None when any step is absent."""
    value: Any = scope
    for part in path.split("."):
        if isinstance(value, Mapping):
            if part not in value:
                return None
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _parse(inner: str) -> tuple[list[str], str | None, str | None]:
    """(paths to try in order, type, default text) of a placeholder's inside."""
    expr, has_default, default = inner.partition("?:")
    kind: str | None = None
    head, colon, tail = expr.rpartition(":")
    if colon:
        kind = tail.strip()
        if kind not in TYPES:
            raise PlaceholderError(f"{{{{{inner}}}}}: type {kind!r} is not one of {list(TYPES)}")
        expr = head
    paths = [p.strip() for p in expr.split("|")]
    if not all(paths):
        raise PlaceholderError(f"{{{{{inner}}}}}: an empty name")
    return paths, kind, (default if has_default else None)


def convert(value: Any, kind: str | None, placeholder: str = "") -> Any:
    """`value` as `kind` (None: unchanged); PlaceholderError when it does not convert."""
    if kind is None or value is None:
        return value
    try:
        if kind == "int":
            return _to_int(value)
        if kind == "bool":
            return _to_bool(value)
        if kind == "json":
            return json.loads(value) if isinstance(value, str) else value
        return as_text(value)
    except (ValueError, TypeError) as exc:
        raise PlaceholderError(f"{placeholder or 'value'}: cannot convert a {type(value).__name__} to {kind}") from exc


def _to_int(value: Any) -> int:
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if not number.is_integer():
                raise
            return int(number)
    raise TypeError(type(value).__name__)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("not a boolean")


def as_text(value: Any) -> str:
    """A value as it reads inside a longer string (and as a query parameter)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        # JSON has one number type: a plan that went through a protobuf Struct
        # turns 100 into 100.0, and an API wants `per_page=100`.
        return str(int(value))
    return str(value)


def resolve(inner: str, scope: Mapping[str, Any]) -> Any:
    """The value of one placeholder's inside (without the braces); None when absent."""
    paths, kind, default = _parse(inner.strip())
    placeholder = "{{" + inner.strip() + "}}"
    for path in paths:
        value = lookup(scope, path)
        if value is not None:
            return convert(value, kind, placeholder)
    if default is not None:
        return convert(default, kind, placeholder)
    return None


def render_string(template: str, scope: Mapping[str, Any], encode: Callable[[str], str] | None = None) -> Any:
    """A string with its placeholders resolved (see the module docstring for types).

    `encode` is applied to each interpolated value (e.g. URL-quoting a path
    segment) and makes the result always text.
    """
    whole = _WHOLE.match(template)
    if whole is not None and encode is None:
        return resolve(whole.group(1), scope)
    if "{{" not in template:
        return template
    encode_ = encode or (lambda text: text)
    return _PLACEHOLDER.sub(lambda m: encode_(as_text(resolve(m.group(1), scope))), template)


def render(value: Any, scope: Mapping[str, Any]) -> Any:
    """Every string inside `value` (objects' values, arrays' items) rendered; keys are kept."""
    if isinstance(value, str):
        return render_string(value, scope)
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def references(value: Any) -> list[str]:
    """Every dotted path that placeholders inside `value` may read (for validation and loop_on)."""
    found: list[str] = []
    if isinstance(value, str):
        for match in _PLACEHOLDER.finditer(value):
            paths, _, _ = _parse(match.group(1).strip())
            found.extend(paths)
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(references(item))
    return found


__all__ = [
    "PlaceholderError",
    "TYPES",
    "as_text",
    "convert",
    "lookup",
    "references",
    "render",
    "render_string",
    "resolve",
]
