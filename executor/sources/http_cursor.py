"""The incremental cursor of an HTTP entity: its high-water mark and the boundary.

An incremental request asks the API for records whose cursor is `>=` the
last committed mark (a closed boundary, so records that arrived late with
the mark's own cursor value are not lost). An upsert absorbs the records at
the boundary that it loaded before. An append_event load cannot, so its mark
also remembers which records it loaded at the mark's cursor value (their
identities: the primary key, or a hash of the record without one), and the
next run drops exactly those: no loss and no duplicate events.

A cursor field may be a dotted path into the record ("attributes.updated"),
for APIs that nest a record's fields (JSON:API); a top-level key of that
exact name wins, so a flat record with dots in its keys still works.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any


def field_value(record: dict[str, Any], path: str) -> Any:
    """The value of `path` in a record: the key itself, else a dotted path into nested objects; None if absent."""
    if path in record or "." not in path:
        return record.get(path)
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def cursor_key(value: Any) -> tuple[int, Any]:
    """Orders cursor values: numbers numerically, strings (ISO-8601 times) as text, then anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True))


def identity(record: dict[str, Any], key: tuple[str, ...]) -> str:
    """A record's identity: its key values, or a hash of the whole record when there is no key."""
    if key:
        return json.dumps([record.get(k) for k in key], separators=(",", ":"))
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha1:" + hashlib.sha1(canonical.encode()).hexdigest()


@dataclass
class HighWater:
    """The largest cursor value loaded so far and (when tracked) the identities loaded at it.

    Attributes:
        field: the cursor field.
        key: the key columns identities are made of.
        track_keys: remember identities at the maximum (append_event).
        value: the largest cursor value seen, or None.
        keys: identities of the records loaded with exactly `value`.
    """

    field: str
    key: tuple[str, ...]
    track_keys: bool
    value: Any = None
    keys: set[str] = field(default_factory=set)

    def see(self, records: list[dict[str, Any]]) -> None:
        """Takes in a batch of loaded records."""
        # dict.get (C speed) for a plain field; the dotted-path walk only for nested ones.
        getter: Callable[[dict[str, Any], str], Any] = dict.get if "." not in self.field else field_value
        values = [v for v in map(getter, records, repeat(self.field)) if v is not None]
        if not values:
            return
        types = set(map(type, values))
        # Plain max() (C speed) where it agrees with cursor_key: all strings or all numbers.
        top = max(values) if types == {str} or types <= {int, float} else max(values, key=cursor_key)
        if self.value is None:
            order = 1
        else:
            current, new = cursor_key(self.value), cursor_key(top)
            order = (new > current) - (new < current)
        if order < 0:
            return
        if order > 0:
            self.value = top
            self.keys = set()
        if self.track_keys:
            self.keys.update(identity(r, self.key) for r in records if getter(r, self.field) == top)

    def to_state(self) -> dict[str, Any] | None:
        if self.value is None:
            return None
        return {"value": self.value, "keys": sorted(self.keys)}

    def load(self, state: dict[str, Any] | None) -> HighWater:
        if state:
            self.value = state.get("value")
            self.keys = set(state.get("keys") or ())
        return self

    def mark(self) -> dict[str, Any] | None:
        """The sync-scope mark the next incremental run starts from (None: nothing was seen)."""
        if self.value is None:
            return None
        mark: dict[str, Any] = {"cursorField": self.field, "keyColumns": [self.field], "values": [self.value]}
        if self.track_keys:
            mark["boundaryKeys"] = sorted(self.keys)
        return mark


@dataclass(frozen=True)
class Boundary:
    """Drops what an earlier run loaded: records before the mark, and those it loaded at the mark.

    Used for append_event, whose re-read boundary would otherwise duplicate events.
    """

    field: str
    key: tuple[str, ...]
    since: Any
    loaded: frozenset[str]

    def keep(self, record: dict[str, Any]) -> bool:
        value = field_value(record, self.field)
        if value is None:
            return False
        new, since = cursor_key(value), cursor_key(self.since)
        if new != since:
            return new > since
        return identity(record, self.key) not in self.loaded


__all__ = ["Boundary", "HighWater", "cursor_key", "field_value", "identity"]
