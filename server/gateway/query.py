"""Query parameters into a request message, grpc-gateway style.

`a.b=1` sets a nested field, `status=a&status=b` appends to a repeated field (no comma splitting),
`labels[k]=v` sets a map entry; enums by name or number, Timestamp as RFC 3339, Duration as "1.5s",
wrappers as their scalar, FieldMask comma-separated. Unknown keys are ignored; fields bound by the
path or the body are not settable from the query.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from multidict import MultiMapping

from syncplane.server.gateway import descriptors as d
from syncplane.server.gateway import jsoncheck as j
from syncplane.server.gateway.errors import FieldError

# Resolved keys are cached per plan; past this many distinct keys (all client-chosen), stop caching.
_MAX_CACHED_KEYS = 512


class ScalarError(ValueError):
    """A text that does not convert to a field's type, with its pydantic error type."""

    def __init__(self, type_: str, msg: str) -> None:
        super().__init__(msg)
        self.type = type_
        self.msg = msg
        self.index: int | None = None
        """Which of a repeated field's values, when it is one of those."""


class QueryPlan:
    """How one request message takes query parameters."""

    def __init__(self, request: Descriptor, excluded: Collection[tuple[str, ...]]) -> None:
        self._request = request
        # Proto-name paths (and their subtrees) that the path or the body already binds.
        self._excluded = frozenset(excluded)
        self._resolved: dict[str, tuple[tuple[FieldDescriptor, ...], str | None] | None] = {}

    def apply(self, message: Message, query: MultiMapping[str], errors: list[FieldError]) -> None:
        for key in dict.fromkeys(query.keys()):
            resolved = self._resolve(key)
            if resolved is None:
                continue
            chain, map_key = resolved
            try:
                _assign(message, chain, map_key, query.getall(key))
            except ScalarError as exc:
                errors.append(_query_error(key, map_key, exc))

    def _resolve(self, key: str) -> tuple[tuple[FieldDescriptor, ...], str | None] | None:
        if key in self._resolved:
            return self._resolved[key]
        resolved = self._resolve_uncached(key)
        if len(self._resolved) < _MAX_CACHED_KEYS:
            self._resolved[key] = resolved
        return resolved

    def _resolve_uncached(self, key: str) -> tuple[tuple[FieldDescriptor, ...], str | None] | None:
        name, map_key = key, None
        if key.endswith("]") and "[" in key:
            name, _, rest = key.partition("[")
            map_key = rest[:-1]
        descriptor: Descriptor = self._request
        chain: list[FieldDescriptor] = []
        parts = name.split(".")
        for i, part in enumerate(parts):
            field = d.fields_by_any_name(descriptor).get(part)
            if field is None:
                return None
            chain.append(field)
            if i < len(parts) - 1:
                # Only singular, ordinary messages can be walked through.
                if field.message_type is None or field.is_repeated or d.well_known(field):
                    return None
                descriptor = field.message_type
        proto_path = tuple(f.name for f in chain)
        if any(proto_path[:n] in self._excluded for n in range(1, len(proto_path) + 1)):
            return None
        if (map_key is not None) != d.is_map(chain[-1]):
            return None
        return tuple(chain), map_key


def _assign(message: Message, chain: tuple[FieldDescriptor, ...], map_key: str | None, values: list[str]) -> None:
    target = message
    for field in chain[:-1]:
        target = getattr(target, field.name)
    field = chain[-1]
    if map_key is not None:
        _assign_map(target, field, map_key, values)
    elif field.is_repeated:
        container = getattr(target, field.name)
        for index, text in enumerate(values):
            try:
                if field.message_type is None:
                    container.append(parse_scalar(field, text))
                elif d.well_known(field):
                    _set_well_known(container.add(), field.message_type, text)
            except ScalarError as exc:
                exc.index = index
                raise
    else:
        if len(values) > 1:
            raise ScalarError("value_error", "Value error, expected one value, got several")
        set_field(target, field, values[0])


def _query_error(key: str, map_key: str | None, exc: ScalarError) -> FieldError:
    # FastAPI's loc for the second value of ?status=a&status=b is ("query", "status", 1).
    name = key.partition("[")[0] if map_key is not None else key
    loc: list[str | int] = ["query", *name.split(".")]
    field = name
    if map_key is not None:
        loc.append(map_key)
        field += f".{map_key}"
    if exc.index is not None:
        loc.append(exc.index)
        field += f".{exc.index}"
    return FieldError(loc=tuple(loc), type=exc.type, msg=exc.msg, field=field)


def set_field(target: Message, field: FieldDescriptor, text: str) -> None:
    """Sets one singular field from its text form (a query value or a path variable)."""
    if field.message_type is None:
        value = parse_scalar(field, text)
        try:
            setattr(target, field.name, value)
        except (ValueError, TypeError) as exc:
            raise ScalarError("value_error", f"Value error, {exc}") from exc
    elif d.well_known(field):
        _set_well_known(getattr(target, field.name), field.message_type, text)
    # Other messages have no text form: ignored, like an unknown key.


def _assign_map(target: Message, field: FieldDescriptor, map_key: str, values: list[str]) -> None:
    if len(values) > 1:
        raise ScalarError("value_error", "Value error, expected one value, got several")
    entry = field.message_type
    value_field = entry.fields_by_name["value"]
    if value_field.message_type is not None:
        return  # message-valued maps have no text form
    key = parse_scalar(entry.fields_by_name["key"], map_key)
    getattr(target, field.name)[key] = parse_scalar(value_field, values[0])


def _set_well_known(sub: Message, descriptor: Descriptor, text: str) -> None:
    name = descriptor.full_name
    try:
        if name in (d.TIMESTAMP, d.DURATION):
            sub.FromJsonString(text)
        elif name == d.FIELD_MASK:
            paths = [d.snake_case_path(p.strip()) for p in text.split(",") if p.strip()]
            sub.SetInParent()
            sub.paths.extend(paths)
        elif name in d.WRAPPERS:
            sub.value = parse_scalar(descriptor.fields_by_name["value"], text)
    except ValueError as exc:
        if isinstance(exc, ScalarError):
            raise
        kind, msg = ("datetime", j.MSG_DATETIME) if name == d.TIMESTAMP else ("time_delta", j.MSG_TIMEDELTA)
        raise ScalarError(f"{kind}_parsing", f"{msg}, {exc}") from exc


def parse_scalar(field: FieldDescriptor, text: str) -> Any:
    """The value of a scalar or enum field from its text form."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return text
    if kind in d.INT_RANGES:
        try:
            number = int(text.strip())
        except ValueError:
            raise ScalarError("int_parsing", j.MSG_INT_PARSING) from None
        low, high = d.INT_RANGES[kind]
        if number < low:
            raise ScalarError("greater_than_equal", f"Input should be greater than or equal to {low}")
        if number > high:
            raise ScalarError("less_than_equal", f"Input should be less than or equal to {high}")
        return number
    if kind == FieldDescriptor.TYPE_BOOL:
        lowered = text.strip().lower()
        if lowered in j.TRUE_STRINGS:
            return True
        if lowered in j.FALSE_STRINGS:
            return False
        raise ScalarError("bool_parsing", j.MSG_BOOL_PARSING)
    if kind in d.FLOAT_TYPES:
        try:
            return float(text.strip())
        except ValueError:
            raise ScalarError("float_parsing", j.MSG_FLOAT_PARSING) from None
    if kind == FieldDescriptor.TYPE_ENUM:
        return _parse_enum(field, text)
    if kind == FieldDescriptor.TYPE_BYTES:
        padded = text + "=" * (-len(text) % 4)
        try:
            return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raise ScalarError("bytes_type", "Input should be a valid bytes") from None
    raise ScalarError("value_error", "Value error, unsupported field type")


def _parse_enum(field: FieldDescriptor, text: str) -> int:
    enum = field.enum_type
    value = enum.values_by_name.get(text)
    if value is not None:
        return value.number
    try:
        return int(text)
    except ValueError:
        names = [f"'{v.name}'" for v in enum.values]
        expected = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        raise ScalarError("enum", f"Input should be {expected}") from None
