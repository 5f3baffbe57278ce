"""Small cached facts about message descriptors that several gateway modules need."""

from __future__ import annotations

from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor

TIMESTAMP = "google.protobuf.Timestamp"
DURATION = "google.protobuf.Duration"
FIELD_MASK = "google.protobuf.FieldMask"
STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"
ANY = "google.protobuf.Any"
EMPTY = "google.protobuf.Empty"
WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)
# Messages with a special JSON form: never walked field by field.
WELL_KNOWN = frozenset({TIMESTAMP, DURATION, FIELD_MASK, STRUCT, VALUE, LIST_VALUE, ANY, EMPTY}) | WRAPPERS

INT32_TYPES = frozenset({FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32})
INT64_TYPES = frozenset({FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64})
UINT32_TYPES = frozenset({FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32})
UINT64_TYPES = frozenset({FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64})
FLOAT_TYPES = frozenset({FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE})

INT_RANGES: dict[int, tuple[int, int]] = {
    **{t: (-(2**31), 2**31 - 1) for t in INT32_TYPES},
    **{t: (-(2**63), 2**63 - 1) for t in INT64_TYPES},
    **{t: (0, 2**32 - 1) for t in UINT32_TYPES},
    **{t: (0, 2**64 - 1) for t in UINT64_TYPES},
}


@cache
def fields_by_any_name(descriptor: Descriptor) -> dict[str, FieldDescriptor]:
    """Fields by proto name and by JSON name: requests may use either, as proto3 JSON allows."""
    lookup: dict[str, FieldDescriptor] = {}
    for field in descriptor.fields:
        lookup[field.json_name] = field
        lookup[field.name] = field
    return lookup


def json_key(field: FieldDescriptor, snake_case: bool) -> str:
    return field.name if snake_case else field.json_name


def is_map(field: FieldDescriptor) -> bool:
    message = field.message_type
    return message is not None and message.GetOptions().map_entry


def well_known(field: FieldDescriptor) -> str | None:
    """The full name of a well-known message type, else None."""
    message = field.message_type
    if message is not None and message.full_name in WELL_KNOWN:
        return message.full_name
    return None


def snake_case_path(path: str) -> str:
    """A FieldMask path from its JSON (camelCase) form; paths already in snake_case pass as they are."""
    if "_" in path or path.islower():
        return path
    out: list[str] = []
    for ch in path:
        if ch.isupper():
            out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)
