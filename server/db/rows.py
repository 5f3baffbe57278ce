"""The base of the db layer's domain objects: a frozen dataclass built from a row.

A subclass declares the columns it carries as fields; `from_record` takes exactly
those from an asyncpg Record (a query's helper columns, such as a window count,
stay in server/db). Where a query joins more than its table, a subclass adds the
joined columns as fields of its own, so the caller's type says what it may read.
Callers read attributes: a domain object is not a mapping (no `obj["column"]`).
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Self

import asyncpg


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class RowModel:
    """Mixin for `@dataclass(frozen=True, slots=True, kw_only=True)` row classes."""

    __slots__ = ()

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> Self:
        return cls(**{name: record[name] for name in _names(cls)})

    @classmethod
    def maybe(cls, record: asyncpg.Record | None) -> Self | None:
        return None if record is None else cls.from_record(record)

    @classmethod
    def many(cls, records: list[asyncpg.Record]) -> list[Self]:
        return [cls.from_record(record) for record in records]
