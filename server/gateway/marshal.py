"""Messages to JSON the way the dialects document them.

The output is what `json_format.MessageToDict(m, preserving_proto_field_name=<snake>,
always_print_fields_with_no_presence=True)` gives, plus `null` for every unset field that has
presence (proto3 `optional` scalars, message fields), in nested and repeated messages too.

MessageToDict is generic and re-inspects every field's descriptor on every call; for the REST hot path
each message type is instead compiled once into a list of (key, field, mode, converter) entries, which
makes the simple GET several times cheaper. Well-known types (Timestamp, Struct, wrappers...) keep
json_format's own conversion. `tests/unit/test_gateway_marshal.py` checks the equivalence.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message

from syncplane.server.gateway import descriptors as d
from syncplane.wire import whole_numbers

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

Converter = Callable[[Any], Any]

# How an entry reads its field.
_PLAIN = 0  # the attribute is already the JSON value (string, bool, 32-bit integers)
_CONVERT = 1  # converter(attribute)
_OPTIONAL = 2  # converter(attribute) when set, else None
_REPEATED = 3  # [converter(v) for v in attribute]
_MAP = 4  # {json key: converter(v)}

_Entry = tuple[str, str, int, Converter]


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return _encode(value).encode()


class Marshaller:
    """Message → JSON-ready value, for one naming (lowerCamel JSON names, or proto names)."""

    def __init__(self, snake_case: bool) -> None:
        self.snake_case = snake_case
        self._compiled: dict[str, Converter] = {}

    def to_dict(self, message: Message) -> Any:
        """A dict for ordinary messages; a well-known type gives its JSON form (e.g. a string)."""
        return self.converter(message.DESCRIPTOR)(message)

    def to_json(self, message: Message) -> bytes:
        return dumps(self.to_dict(message))

    def converter(self, descriptor: Descriptor) -> Converter:
        converter = self._compiled.get(descriptor.full_name)
        if converter is None:
            converter = self._compile(descriptor)
        return converter

    def _compile(self, descriptor: Descriptor) -> Converter:
        if descriptor.full_name in d.WELL_KNOWN:
            converter = _well_known_converter(descriptor)
            self._compiled[descriptor.full_name] = converter
            return converter
        entries: list[_Entry] = []

        def convert(message: Message) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key, name, mode, fn in entries:
                if mode == _PLAIN:
                    out[key] = getattr(message, name)
                elif mode == _CONVERT:
                    out[key] = fn(getattr(message, name))
                elif mode == _OPTIONAL:
                    out[key] = fn(getattr(message, name)) if message.HasField(name) else None
                elif mode == _REPEATED:
                    out[key] = [fn(v) for v in getattr(message, name)]
                else:
                    out[key] = {_map_key(k): fn(v) for k, v in getattr(message, name).items()}
            return out

        # Registered before the entries are built so that a recursive message type finds itself.
        self._compiled[descriptor.full_name] = convert
        entries.extend(self._entry(f) for f in descriptor.fields)
        return convert

    def _entry(self, field: FieldDescriptor) -> _Entry:
        key = field.name if self.snake_case else field.json_name
        if d.is_map(field):
            return key, field.name, _MAP, self._value_converter(field.message_type.fields_by_name["value"])
        fn = self._value_converter(field)
        if field.is_repeated:
            return key, field.name, _REPEATED, fn
        if field.has_presence:
            return key, field.name, _OPTIONAL, fn
        if fn is _identity:
            return key, field.name, _PLAIN, fn
        return key, field.name, _CONVERT, fn

    def _value_converter(self, field: FieldDescriptor) -> Converter:
        if field.message_type is not None:
            # Safe for recursive types: _compile registers a message before compiling its fields.
            return self.converter(field.message_type)
        return _scalar_converter(field)


def _identity(value: Any) -> Any:
    return value


def _scalar_converter(field: FieldDescriptor) -> Converter:
    kind = field.type
    if kind == FieldDescriptor.TYPE_ENUM:
        if field.enum_type.full_name == "google.protobuf.NullValue":
            return lambda value: None
        names = {v.number: v.name for v in field.enum_type.values}
        # proto3 enums are open: an unknown number stays a number, as json_format writes it.
        return lambda value: names.get(value, value)
    if kind in d.INT64_TYPES or kind in d.UINT64_TYPES:
        return str
    if kind == FieldDescriptor.TYPE_BYTES:
        return lambda value: base64.b64encode(value).decode()
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return _double
    if kind == FieldDescriptor.TYPE_FLOAT:
        return _float32
    return _identity


def _double(value: float) -> Any:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _float32(value: float) -> Any:
    if math.isfinite(value):
        return type_checkers.ToShortestFloat(value)
    return _double(value)


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


_JSON_VALUES = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


def _well_known_converter(descriptor: Descriptor) -> Converter:
    if descriptor.full_name == d.TIMESTAMP:
        return lambda value: value.ToJsonString()
    if descriptor.full_name in _JSON_VALUES:
        # Struct keeps every number as a double; a client that sent
        # {"pageSize": 500} expects 500 back, not 500.0.
        return lambda value: whole_numbers(json_format.MessageToDict(value))
    return lambda value: json_format.MessageToDict(value)
