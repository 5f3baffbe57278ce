"""A child entity's parents, read back from the parent's destination table.

A child entity of an `http_api` sync is fetched once per distinct parent key;
the keys come from the rows its parent already loaded, as text in byte order,
so a resumed attempt continues after the last parent it finished.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from syncplane.executor.destinations import record_rows
from syncplane.executor.destinations.pg_loader import TableName
from syncplane.executor.quoting import quote_ident


async def parent_keys(
    conn: asyncpg.Connection,
    table: TableName,
    columns: list[str],
    *,
    after: tuple[str, ...] | None,
    inclusive: bool,
    limit: int,
) -> list[tuple[str, ...]]:
    """Distinct non-NULL values of `columns` in `table`, as text, in byte order, after `after`."""
    keys = [f'{quote_ident(c)}::text COLLATE "C"' for c in columns]
    where = [f"{quote_ident(c)} IS NOT NULL" for c in columns]
    args: list[Any] = []
    if after is not None:
        params = ", ".join(f"${i + 1}::text" for i in range(len(columns)))
        where.append(f"({', '.join(keys)}) {'>=' if inclusive else '>'} ({params})")
        args = list(after)
    sql = (
        f"SELECT DISTINCT {', '.join(keys)} FROM {table.sql} WHERE {' AND '.join(where)}"
        f" ORDER BY {', '.join(str(i + 1) for i in range(len(columns)))} LIMIT {int(limit)}"
    )
    return [tuple(r) for r in await conn.fetch(sql, *args)]


def parent_value(text: str, type_: str) -> Any:
    """A parent column's text form back as the JSON value it was loaded from."""
    if type_ == record_rows.BIGINT:
        return int(text)
    if type_ == record_rows.DOUBLE:
        return float(text)
    if type_ == record_rows.NUMERIC or type_ == record_rows.JSONB:
        return json.loads(text)
    if type_ == record_rows.BOOLEAN:
        return text == "true"
    return text


__all__ = ["parent_keys", "parent_value"]
