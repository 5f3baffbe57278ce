"""Attribute values between external systems and the identity store.

The store keeps JSON values: strings, integers, booleans, ISO datetimes as
strings, and lists for multi-valued attributes. Connectors convert with these
helpers so an unchanged object imports to an equal jsonb value (no false
changes).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from syncplane.executor.identity.plan import ObjectType


def to_json(value: Any) -> Any:
    """A driver value (asyncpg, ldap3) as a JSON value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


def parse_text(text: str, kind: str) -> Any:
    """A text value (a CSV cell) as the attribute's type; '' is no value."""
    if text == "":
        return None
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "y"):
            return True
        if lowered in ("false", "0", "no", "n"):
            return False
        return text
    return text


def to_text(value: Any, separator: str = "|") -> str:
    """A JSON value as one text cell (a CSV cell; lists joined by `separator`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return separator.join(to_text(v, separator) for v in value)
    return str(value)


def typed_row(row: dict[str, str], object_type: ObjectType | None, separator: str) -> dict[str, Any]:
    """A CSV row's cells as attribute values: typed where the schema says, lists where multi-valued.

    Empty cells are left out: an attribute without a value is absent, as in LDAP.
    """
    attributes: dict[str, Any] = {}
    for name, text in row.items():
        if name is None or text is None or text == "":
            continue
        attribute = object_type.attribute(name) if object_type is not None else None
        kind = attribute.type if attribute is not None else "string"
        if attribute is not None and attribute.multi_valued:
            attributes[name] = [parse_text(part, kind) for part in text.split(separator) if part != ""]
        else:
            attributes[name] = parse_text(text, kind)
    return attributes


def first(value: Any) -> Any:
    """A single value of a possibly multi-valued attribute (for anchors and joins)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def as_key(value: Any) -> str | None:
    """A value as the text a join or an anchor compares by."""
    value = first(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["as_key", "first", "parse_text", "to_json", "to_text", "typed_row"]
