"""Checks a decoded JSON body against a message descriptor before `json_format.ParseDict` sees it.

ParseDict stops at the first problem and names it vaguely; REST clients of a FastAPI-style dialect
expect every wrong field with its exact location and a pydantic v2 error type. The walk also returns
a cleaned copy keyed by proto field names, without JSON nulls (null means "not set") and without
unknown keys, which ParseDict then parses without surprises.
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from syncplane.server.gateway import descriptors as d
from syncplane.server.gateway.errors import FieldError

Loc = tuple[str | int, ...]

# Past this depth a body is refused rather than risk the interpreter's recursion limit.
MAX_DEPTH = 64

MSG_STRING = "Input should be a valid string"
MSG_INT = "Input should be a valid integer"
MSG_INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"
MSG_INT_FRACTION = "Input should be a valid integer, got a number with a fractional part"
MSG_FLOAT = "Input should be a valid number"
MSG_FLOAT_PARSING = "Input should be a valid number, unable to parse string as a number"
MSG_BOOL = "Input should be a valid boolean"
MSG_BOOL_PARSING = "Input should be a valid boolean, unable to interpret input"
MSG_LIST = "Input should be a valid list"
MSG_DICT = "Input should be a valid dictionary"
MSG_MODEL = "Input should be a valid dictionary or object to extract fields from"
MSG_DATETIME = "Input should be a valid datetime"
MSG_TIMEDELTA = "Input should be a valid timedelta"

# pydantic's lax booleans.
TRUE_STRINGS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_STRINGS = frozenset({"false", "f", "no", "n", "off", "0"})


class JsonChecker:
    """Collects FieldErrors while cleaning one JSON document."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def error(self, loc: Loc, type_: str, msg: str) -> None:
        self.errors.append(FieldError(loc=loc, type=type_, msg=msg))

    def message(self, descriptor: Descriptor, value: Any, loc: Loc) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(loc, "model_attributes_type", MSG_MODEL)
            return None
        if len(loc) > MAX_DEPTH:
            self.error(loc, "recursion_loop", "Recursion error - cyclic reference detected")
            return None
        fields = d.fields_by_any_name(descriptor)
        out: dict[str, Any] = {}
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                continue
            if item is None:
                if field.message_type is not None and field.message_type.full_name == d.VALUE:
                    out[field.name] = None  # a Value's null is a value, not an absence
                continue
            out[field.name] = self.field(field, item, (*loc, key))
        return out

    def field(self, field: FieldDescriptor, value: Any, loc: Loc) -> Any:
        if d.is_map(field):
            return self._map(field, value, loc)
        if field.is_repeated:
            if not isinstance(value, list):
                self.error(loc, "list_type", MSG_LIST)
                return None
            return [self.single(field, item, (*loc, i)) for i, item in enumerate(value)]
        return self.single(field, value, loc)

    def single(self, field: FieldDescriptor, value: Any, loc: Loc) -> Any:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            return self._message_value(field, value, loc)
        if kind == FieldDescriptor.TYPE_STRING:
            return self._string(value, loc)
        if kind == FieldDescriptor.TYPE_BOOL:
            return self._bool(value, loc)
        if kind in d.INT_RANGES:
            return self._int(value, loc, *d.INT_RANGES[kind])
        if kind in d.FLOAT_TYPES:
            return self._float(value, loc)
        if kind == FieldDescriptor.TYPE_ENUM:
            return self._enum(field.enum_type, value, loc)
        if kind == FieldDescriptor.TYPE_BYTES:
            if not isinstance(value, str):
                self.error(loc, "bytes_type", "Input should be a valid bytes")
            return value
        return value

    def _message_value(self, field: FieldDescriptor, value: Any, loc: Loc) -> Any:
        name = field.message_type.full_name
        if name not in d.WELL_KNOWN:
            return self.message(field.message_type, value, loc)
        if name in d.WRAPPERS:
            return self.single(field.message_type.fields_by_name["value"], value, loc)
        if name == d.VALUE:
            return value
        if name in (d.STRUCT, d.ANY, d.EMPTY):
            if not isinstance(value, dict):
                self.error(loc, "dict_type", MSG_DICT)
            return value
        if name == d.LIST_VALUE:
            if not isinstance(value, list):
                self.error(loc, "list_type", MSG_LIST)
            return value
        if name == d.FIELD_MASK:
            return self._string(value, loc)
        if name == d.TIMESTAMP:
            return self._wkt_string(value, loc, timestamp_pb2.Timestamp, "datetime", MSG_DATETIME)
        return self._wkt_string(value, loc, duration_pb2.Duration, "time_delta", MSG_TIMEDELTA)

    def _map(self, field: FieldDescriptor, value: Any, loc: Loc) -> Any:
        if not isinstance(value, dict):
            self.error(loc, "dict_type", MSG_DICT)
            return None
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        out: dict[str, Any] = {}
        for key, item in value.items():
            item_loc = (*loc, key)
            if key_field.type in d.INT_RANGES:
                self._int(key, (*item_loc, "[key]"), *d.INT_RANGES[key_field.type])
            elif key_field.type == FieldDescriptor.TYPE_BOOL and key not in ("true", "false"):
                self.error((*item_loc, "[key]"), "bool_parsing", MSG_BOOL_PARSING)
            out[key] = self.single(value_field, item, item_loc)
        return out

    def _string(self, value: Any, loc: Loc) -> Any:
        if not isinstance(value, str):
            self.error(loc, "string_type", MSG_STRING)
        return value

    def _bool(self, value: Any, loc: Loc) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in TRUE_STRINGS:
                return True
            if lowered in FALSE_STRINGS:
                return False
            self.error(loc, "bool_parsing", MSG_BOOL_PARSING)
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.error(loc, "bool_type", MSG_BOOL)
        return value

    def _int(self, value: Any, loc: Loc, low: int, high: int) -> Any:
        number: int
        if isinstance(value, bool):
            self.error(loc, "int_type", MSG_INT)
            return value
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                self.error(loc, "int_from_float", MSG_INT_FRACTION)
                return value
            number = int(value)
        elif isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                self.error(loc, "int_parsing", MSG_INT_PARSING)
                return value
        else:
            self.error(loc, "int_type", MSG_INT)
            return value
        if number < low:
            self.error(loc, "greater_than_equal", f"Input should be greater than or equal to {low}")
        elif number > high:
            self.error(loc, "less_than_equal", f"Input should be less than or equal to {high}")
        return number

    def _float(self, value: Any, loc: Loc) -> Any:
        if isinstance(value, bool):
            self.error(loc, "float_type", MSG_FLOAT)
            return value
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                self.error(loc, "float_parsing", MSG_FLOAT_PARSING)
                return value
            # proto3 JSON spells the non-finite numbers as these strings.
            return value if not math.isfinite(number) else number
        self.error(loc, "float_type", MSG_FLOAT)
        return value

    def _enum(self, enum: EnumDescriptor, value: Any, loc: Loc) -> Any:
        if isinstance(value, str) and value in enum.values_by_name:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # proto3 enums are open: an unknown number is kept
        names = [f"'{v.name}'" for v in enum.values]
        expected = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        self.error(loc, "enum", f"Input should be {expected}")
        return value

    def _wkt_string(
        self,
        value: Any,
        loc: Loc,
        cls: type[timestamp_pb2.Timestamp] | type[duration_pb2.Duration],
        kind: str,
        msg: str,
    ) -> Any:
        if not isinstance(value, str):
            self.error(loc, f"{kind}_type", msg)
            return value
        try:
            cls().FromJsonString(value)
        except ValueError as exc:
            self.error(loc, f"{kind}_parsing", f"{msg}, {exc}")
        return value
