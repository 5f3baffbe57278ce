"""Wire helpers shared by server and executor: dict <-> google.protobuf.Struct,
keeping whole numbers whole.
Struct stores every number as a double; configs and counters are integers far
more often than not, so integral values come back as int.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2


def to_struct(value: dict[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if value:
        s.update(value)
    return s


def whole_numbers(value: Any) -> Any:
    """Integral floats (as Struct stores every number) back to int, recursively."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


def from_struct(s: struct_pb2.Struct) -> dict[str, Any]:
    return whole_numbers(json_format.MessageToDict(s))
