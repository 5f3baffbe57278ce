"""The base of the db layer's domain objects: a frozen dataclass built from a row.

A subclass declares the columns it carries as fields; `from_record` takes exactly
those from an asyncpg Record (a query's helper columns, such as a window count,
stay in server/db). `obj["column"]` and `.get` answer as the Record did, so
call sites written against records keep working while they move to attributes.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Any, Self

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

    def __getitem__(self, name: str) -> Any:
        if name not in _names(type(self)):
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name) if name in _names(type(self)) else default

    def keys(self) -> tuple[str, ...]:
        return _names(type(self))
