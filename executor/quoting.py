"""Quoting PostgreSQL identifiers: the one place the executor does it.

Every SQL text the executor builds from a name it did not write (a source
table, a column, a destination schema) passes the name through `quote_ident`.
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted so any name (case, dots, quotes) is exact."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    """`"schema"."name"`, both parts quoted."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


__all__ = ["qualified", "quote_ident"]
