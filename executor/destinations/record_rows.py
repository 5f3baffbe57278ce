"""JSON records to table rows: column types, widening, and value conversion.

Columns are the union of the records' top-level keys. A column's type is the
narrowest of these that holds every value seen so far:

    boolean, bigint, double precision   (a JSON true/false, integer, fraction)
    numeric                             (integers beyond bigint; integers mixed with fractions)
    text                                (strings; any other mix of scalars, in their JSON spelling)
    jsonb                               (objects and arrays; anything mixed with them)

A value that does not fit its column widens the column (never a truncation):
the join of the column's type and the value's is what the column becomes,
and jsonb holds everything. NULLs fit every column; a key whose values were
all NULL so far has no type yet.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, repeat
from typing import Any

BOOLEAN = "boolean"
BIGINT = "bigint"
DOUBLE = "double precision"
NUMERIC = "numeric"
TEXT = "text"
JSONB = "jsonb"

#: The types this connector creates; target columns of other types are not its to change.
TYPES = (BOOLEAN, BIGINT, DOUBLE, NUMERIC, TEXT, JSONB)
_NUMBERS = {BIGINT, DOUBLE, NUMERIC}

_MIN_BIGINT, _MAX_BIGINT = -(2**63), 2**63 - 1

#: The PostgreSQL identifier limit (bytes); longer names would be truncated silently.
MAX_NAME_BYTES = 63


def join(a: str | None, b: str | None) -> str | None:
    """The narrowest type that holds every value of both types."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    if JSONB in (a, b):
        return JSONB
    if a in _NUMBERS and b in _NUMBERS:
        return NUMERIC
    return TEXT


_PY_TYPES: dict[type, str] = {bool: BOOLEAN, int: BIGINT, float: DOUBLE, str: TEXT, dict: JSONB, list: JSONB}


@dataclass
class ColumnProfile:
    """What one key's values in a batch were.

    Attributes:
        types: the Python types seen (NoneType included).
        big_int: an integer was outside the bigint range.
    """

    types: set[type] = field(default_factory=set)
    big_int: bool = False

    @property
    def natural_type(self) -> str | None:
        """The narrowest column type for these values alone (None: only NULLs)."""
        result: str | None = None
        for t in self.types:
            if t is type(None):
                continue
            pg = _PY_TYPES.get(t, JSONB)
            if pg == BIGINT and self.big_int:
                pg = NUMERIC
            result = join(result, pg)
        return result


def _profile(values: list[Any]) -> ColumnProfile:
    types = set(map(type, values))
    big = False
    if types - {type(None)} == {int}:
        # Only an integer column can need numeric for its size (any mix is numeric or wider).
        present = values if type(None) not in types else [v for v in values if v is not None]
        big = min(present) < _MIN_BIGINT or max(present) > _MAX_BIGINT
    return ColumnProfile(types, big)


class Batch:
    """A batch of records, column by column.

    Attributes:
        size: the number of records.
        values: key -> its value in every record (None where absent), keys in
            order of first appearance.
        profiles: key -> what its values were.
    """

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.size = len(records)
        # Column-wise with C-level iteration (map, dict.fromkeys): per-record
        # Python loops would dominate the connector's CPU time.
        keys = dict.fromkeys(chain.from_iterable(records))
        self.values: dict[str, list[Any]] = {k: list(map(dict.get, records, repeat(k))) for k in keys}
        self.profiles = {k: _profile(v) for k, v in self.values.items()}

    def rows(self, columns: dict[str, str], meta: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Rows of `columns` (a missing key is NULL), converted for their types, then the metadata values."""
        out: list[Any] = []
        for name, type_ in columns.items():
            values = self.values.get(name)
            if values is None:
                out.append(repeat(None, self.size))
                continue
            convert = converter(type_, self.profiles[name].types)
            out.append(values if convert is None else [None if v is None else convert(v) for v in values])
        out += [repeat(m, self.size) for m in meta]
        return list(zip(*out))


def widen_using(column_sql: str, from_type: str, to_type: str) -> str:
    """The USING expression of `ALTER COLUMN ... TYPE to_type` that keeps every value exactly."""
    if to_type == JSONB:
        return f"to_jsonb({column_sql})"
    if to_type == NUMERIC and from_type == DOUBLE:
        # float8 -> numeric keeps only 15 digits; its text form is exact.
        return f"{column_sql}::text::numeric"
    return f"{column_sql}::{to_type}"


#: JSON for text columns: readable (no escapes of non-ASCII characters), compact.
_TEXT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _as_text(value: Any) -> Any:
    return value if type(value) is str else _TEXT_JSON.encode(value)


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# JSON for jsonb columns (jsonb normalises spacing and escapes anyway): the C
# encoder called directly, without json.dumps' three Python frames per value,
# is ~3x faster, and jsonb values are a large part of the connector's CPU time.
# No circular-reference check: values come from json.loads.
_C_ENCODER = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]  # CPython's C encoder is not in the stubs
        None, _not_json, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    if json.encoder.c_make_encoder is not None  # type: ignore[attr-defined]  # CPython's C encoder is not in the stubs
    else None
)


def _as_jsonb(value: Any) -> str:
    if _C_ENCODER is None:
        return json.dumps(value)
    return "".join(_C_ENCODER(value, 0))


def _as_numeric(value: Any) -> Any:
    # repr() is the shortest exact spelling of a float.
    return Decimal(repr(value)) if type(value) is float else value


def converter(column_type: str, types: set[type]) -> Callable[[Any], Any] | None:
    """How to turn this batch's values into what asyncpg encodes for the column (None: as they are)."""
    values = types - {type(None)}
    if not values:
        return None
    if column_type == JSONB:
        return _as_jsonb
    if column_type == TEXT:
        return None if values <= {str} else _as_text
    if column_type == NUMERIC:
        return _as_numeric if float in values else None
    if column_type == DOUBLE:
        return float if int in values else None
    return None


def name_problem(name: str) -> str | None:
    """Why a record key cannot be a column name, or None."""
    if not name:
        return "an empty key"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"key {name[:40]!r}... is longer than {MAX_NAME_BYTES} bytes"
    if "\x00" in name:
        return "a key with a NUL character"
    if name.startswith("_syncplane_"):
        return f"key {name!r} collides with the loader's metadata columns"
    return None


__all__ = [
    "BIGINT",
    "BOOLEAN",
    "Batch",
    "ColumnProfile",
    "DOUBLE",
    "JSONB",
    "NUMERIC",
    "TEXT",
    "TYPES",
    "converter",
    "join",
    "name_problem",
    "widen_using",
]
