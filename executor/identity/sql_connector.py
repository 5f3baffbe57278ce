"""The SQL connector: one PostgreSQL table as a connected system.

- Full import reads the table in one snapshot (a cursor inside a read-only
  transaction), `pageSize` rows at a time; rows whose `deletedColumn` is true
  are not objects.
- Delta import reads rows whose `watermarkColumn` is >= the stored watermark
  (a closed boundary: rows that share the last value are read again, and the
  importer's comparison makes that harmless), ordered by it; a row flagged by
  `deletedColumn` becomes a delete. The watermark is the last row's value,
  stored with each committed page.
- Export applies a page of adds, updates and deletes in one transaction: each
  run of same-shaped items is one set-based statement (unnest arrays); if one
  fails, its items are retried one by one in savepoints so that only the
  failing items fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import asyncpg
import structlog

from syncplane import egress
from syncplane.executor import pools
from syncplane.executor.context import RunFailed
from syncplane.executor.destinations.copy_pipe import translating
from syncplane.executor.identity.base import Change, DeltaPage, ExportItem, ExportResult, ExternalObject, SchemaInfo
from syncplane.executor.identity.plan import IdentityPlan, config_error
from syncplane.executor.identity.store import dumps
from syncplane.executor.identity.values import as_key, to_json, to_text
from syncplane.executor.quoting import quote_ident
from syncplane.executor.secret_values import scrub

log = structlog.get_logger(__name__)

_TYPE_KINDS = {
    "integer": "integer",
    "bigint": "integer",
    "smallint": "integer",
    "boolean": "boolean",
    "timestamp with time zone": "datetime",
    "timestamp without time zone": "datetime",
    "date": "datetime",
}


def _pg_array(values: list[Any]) -> str:
    """A PostgreSQL array literal of text elements (cast to the column's array type in SQL)."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        else:
            text = to_text(value).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'"{text}"')
    return "{" + ",".join(parts) + "}"


class SqlConnector:
    writes_on_finish = False
    delta_deletes_by_scan = False

    def __init__(self, plan: IdentityPlan, secrets: dict[str, Any], stack: AsyncExitStack) -> None:
        settings = plan.system.settings
        table = settings.get("table")
        if not table:
            raise config_error("the sql connector needs the table setting (schema.table)")
        schema, _, name = str(table).rpartition(".")
        self.table = f"{quote_ident(schema or 'public')}.{quote_ident(name)}"
        self.table_text = f"{schema or 'public'}.{name}"
        anchor = settings.get("anchorColumn")
        if not anchor:
            raise config_error("the sql connector needs the anchorColumn setting")
        self.anchor = str(anchor)
        self.watermark = settings.get("watermarkColumn") or None
        self.deleted = settings.get("deletedColumn") or None
        self.type_name = str(settings.get("objectType") or "person")
        self.password: str | None = secrets.get("password") or None
        self.dsn = settings.get("dsn") or None
        self.connect_options: dict[str, Any] = {}
        if self.dsn is None:
            for key in ("host", "port", "database", "user"):
                if settings.get(key) is not None:
                    self.connect_options[key] = settings[key]
            if not self.connect_options:
                raise config_error("the sql connector needs dsn or host/port/database/user settings")
        if self.password:
            self.connect_options["password"] = self.password
        self.stack = stack
        self.conn: asyncpg.Connection | None = None
        self.columns: dict[str, str] = {}
        self.full_import_watermark: str | None = None

    async def _connect(self, side: str) -> asyncpg.Connection:
        if self.conn is None:
            # A user-named target: the egress policy, when connecting.
            await egress.policy().check_postgres_async(
                self.dsn, self.connect_options.get("host"), self.connect_options.get("port"), unresolved_ok=True
            )
            try:
                with translating(side, self.password):
                    self.conn = await self.stack.enter_async_context(
                        pools.connection(self.dsn, **self.connect_options)
                    )
                    self.columns = await self._columns(self.conn)
            except (ValueError, TypeError) as exc:
                raise RunFailed(f"sql connection settings: {type(exc).__name__}", "config_error") from exc
            for needed in filter(None, (self.anchor, self.watermark, self.deleted)):
                if needed not in self.columns:
                    raise config_error(f"table {self.table_text} has no column {needed!r}")
        return self.conn

    async def _columns(self, conn: asyncpg.Connection) -> dict[str, str]:
        if await conn.fetchval("SELECT to_regclass($1)", self.table) is None:
            raise config_error(f"table {self.table_text} does not exist")
        rows = await conn.fetch(
            "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            self.table,
        )
        return {r[0]: r[1] for r in rows}

    async def schema(self) -> SchemaInfo:
        await self._connect("source")
        attributes = [
            {
                "name": name,
                "type": _TYPE_KINDS.get(kind.removesuffix("[]"), "string"),
                "multiValued": kind.endswith("[]"),
            }
            for name, kind in self.columns.items()
        ]
        return SchemaInfo(object_types=[{"name": self.type_name, "anchor": self.anchor, "attributes": attributes}])

    # -- import --------------------------------------------------------------------------
    def _select(self) -> str:
        extra = f", ({quote_ident(self.watermark)})::text AS __wm" if self.watermark else ""
        return f"SELECT t.*, ({quote_ident(self.anchor)})::text AS __anchor{extra} FROM {self.table} t"

    def _object(self, row: asyncpg.Record) -> ExternalObject:
        attributes = {}
        for name, value in row.items():
            if name.startswith("__") or value is None:
                continue
            attributes[name] = to_json(value)
        anchor = row["__anchor"]
        return ExternalObject(self.type_name, anchor, attributes, external_id=anchor)

    def _is_deleted(self, row: asyncpg.Record) -> bool:
        return bool(self.deleted and row[self.deleted])

    async def _read(self, query: str, args: tuple[Any, ...], page_size: int) -> AsyncIterator[list[asyncpg.Record]]:
        conn = await self._connect("source")
        with translating("source", self.password):
            async with conn.transaction(readonly=True, isolation="repeatable_read"):
                cursor = await conn.cursor(query, *args)
                while True:
                    rows = await cursor.fetch(page_size)
                    if not rows:
                        return
                    yield rows

    async def full_import(self, page_size: int) -> AsyncIterator[list[ExternalObject]]:
        conn = await self._connect("source")
        if self.watermark:
            # Taken before reading: a row changed during the read has a later
            # value and is read again by the next delta import.
            with translating("source", self.password):
                self.full_import_watermark = await conn.fetchval(
                    f"SELECT max({quote_ident(self.watermark)})::text FROM {self.table}"
                )
        query = f"{self._select()} ORDER BY {quote_ident(self.anchor)}"
        async for rows in self._read(query, (), page_size):
            yield [self._object(r) for r in rows if not self._is_deleted(r)]

    async def delta_import(self, watermark: str | None, page_size: int) -> AsyncIterator[DeltaPage]:
        if not self.watermark:
            raise config_error("delta import needs the watermarkColumn setting")
        await self._connect("source")
        kind = self.columns[self.watermark]
        where = "" if watermark is None else f" WHERE {quote_ident(self.watermark)} >= $1::text::{kind}"
        query = f"{self._select()}{where} ORDER BY {quote_ident(self.watermark)}, {quote_ident(self.anchor)}"
        args = () if watermark is None else (watermark,)
        async for rows in self._read(query, args, page_size):
            changes = [
                Change(deleted_anchor=r["__anchor"], deleted_type=self.type_name)
                if self._is_deleted(r)
                else Change(object=self._object(r))
                for r in rows
            ]
            last = rows[-1]["__wm"]
            yield DeltaPage(changes, last)

    async def anchors(self, page_size: int) -> AsyncIterator[list[tuple[str, str]]]:
        raise config_error("the sql connector notices deletes through deletedColumn, not a scan")
        yield []  # pragma: no cover

    # -- export --------------------------------------------------------------------------
    def _param(self, column: str, value: Any) -> str | None:
        if value is None:
            return None
        kind = self.columns[column]
        if kind.endswith("[]"):
            return _pg_array(value if isinstance(value, list) else [value])
        if kind in ("json", "jsonb"):
            return dumps(value)
        return to_text(value)

    def _cast(self, column: str) -> str:
        return f"::{self.columns[column]}"

    async def export(self, items: list[ExportItem]) -> list[ExportResult]:
        conn = await self._connect("destination")
        results: dict[int, ExportResult] = {}
        with translating("destination", self.password):
            async with conn.transaction():
                for group in self._groups(items, results):
                    await self._apply_group(conn, group, results)
        return [results[item.id] for item in items]

    def _groups(self, items: list[ExportItem], results: dict[int, ExportResult]) -> list[list[ExportItem]]:
        """Consecutive items of one operation and one set of columns (order kept: a delete then an add of one anchor)."""
        groups: list[list[ExportItem]] = []
        shape: tuple[Any, ...] | None = None
        for item in items:
            unknown = [name for name in item.attributes if name not in self.columns]
            if item.operation != "Delete" and unknown:
                results[item.id] = ExportResult(item.id, error=f"table {self.table_text} has no column {unknown[0]!r}")
                continue
            key = (item.operation, tuple(sorted(item.attributes)) if item.operation != "Delete" else ())
            if key != shape:
                groups.append([])
                shape = key
            groups[-1].append(item)
        return groups

    async def _apply_group(
        self, conn: asyncpg.Connection, group: list[ExportItem], results: dict[int, ExportResult]
    ) -> None:
        try:
            async with conn.transaction():
                done = await self._statement(conn, group)
            for item in group:
                results[item.id] = done.get(item.id) or ExportResult(
                    item.id, error=self._missing(item), anchor=self._anchor_of(item)
                )
            return
        except asyncpg.PostgresError as exc:
            if len(group) == 1 or isinstance(exc, _CONNECTION_ERRORS):
                if isinstance(exc, _CONNECTION_ERRORS):
                    raise
                results[group[0].id] = ExportResult(group[0].id, error=self._error(exc), anchor=self._anchor_of(group[0]))
                return
        # One item (or more) of the group failed: find it, one savepoint per item.
        for item in group:
            await self._apply_group(conn, [item], results)

    def _anchor_of(self, item: ExportItem) -> str | None:
        return item.anchor or as_key(item.attributes.get(self.anchor))

    def _missing(self, item: ExportItem) -> str:
        if item.operation == "Add":
            return f"no value for the anchor column {self.anchor!r}"
        return f"no row with {self.anchor} {item.anchor!r}"

    def _error(self, exc: asyncpg.PostgresError) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", self.password)

    async def _statement(self, conn: asyncpg.Connection, group: list[ExportItem]) -> dict[int, ExportResult]:
        """Applies one same-shaped group with one statement; returns the items it reached by id."""
        operation = group[0].operation
        anchor_cast = self._cast(self.anchor)
        if operation == "Delete":
            anchors = [item.anchor for item in group]
            await conn.execute(
                f"DELETE FROM {self.table} WHERE {quote_ident(self.anchor)} = ANY($1::text[]{anchor_cast}[])",
                anchors,
            )
            # A row that is already gone is what a delete wants.
            return {item.id: ExportResult(item.id) for item in group}
        columns = sorted(group[0].attributes)
        arrays = [[self._param(c, item.attributes.get(c)) for item in group] for c in columns]
        unnest = ", ".join(f"${i + 2}::text[]" for i in range(len(columns)))
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        if operation == "Add":
            if self.anchor not in group[0].attributes:
                return {}
            select = ", ".join(f"c{i}{self._cast(c)}" for i, c in enumerate(columns))
            first = ", ".join(f"${i + 1}::text[]" for i in range(len(columns)))
            rows = await conn.fetch(
                f"INSERT INTO {self.table} ({', '.join(quote_ident(c) for c in columns)})"
                f" SELECT {select} FROM unnest({first}) AS v({names})"
                f" RETURNING ({quote_ident(self.anchor)})::text",
                *arrays,
            )
            added = {r[0] for r in rows}
            done = {}
            for item in group:
                anchor = as_key(item.attributes.get(self.anchor))
                if anchor in added:
                    done[item.id] = ExportResult(item.id, anchor=anchor, external_id=anchor)
            return done
        sets = ", ".join(f"{quote_ident(c)} = v.c{i}{self._cast(c)}" for i, c in enumerate(columns))
        rows = await conn.fetch(
            f"UPDATE {self.table} t SET {sets}"
            f" FROM unnest($1::text[], {unnest}) AS v(a, {names})"
            f" WHERE t.{quote_ident(self.anchor)} = v.a{anchor_cast} RETURNING v.a",
            [item.anchor for item in group],
            *arrays,
        )
        updated = {r[0] for r in rows}
        return {
            item.id: ExportResult(item.id, anchor=item.anchor, external_id=item.anchor)
            for item in group
            if item.anchor in updated
        }

    async def finish_export(self) -> None:
        return None

    async def close(self) -> None:
        self.conn = None


_CONNECTION_ERRORS = (
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)

__all__ = ["SqlConnector"]
