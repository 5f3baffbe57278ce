"""The destination table a record source's entity loads into (JSON APIs, files), kept in step with its records.

Built on the PostgreSQL loader (`executor.destinations.pg_loader`): targets
with their primary key, temporary staging tables, `INSERT ... ON CONFLICT`
upserts, and replace tables swapped in at the end. What this module adds is
the schema that JSON records imply (`record_rows`): before a batch is written
inside its transaction, new keys become columns and columns whose values no
longer fit are widened (ALTER COLUMN ... TYPE, logged), so a batch and the
schema change it needs commit together.

- upsert: a batch is COPYed straight into the target while none of its keys
  is there yet (a savepoint undoes the COPY at the first conflict); from then
  on batches go to staging and `INSERT ... ON CONFLICT` (a JSON API can repeat
  a key across pages, and a reload conflicts on every row). Repeats inside one
  batch are collapsed, the last one wins.
- append_event: COPY straight into the target.
- replace: a replace table per run chain; with a key it has a unique index
  so repeats are upserted (as above), and the key becomes the target's
  primary key at the swap.

Target columns of types this connector does not create belong to whoever
made them: they are left alone, unless records carry values for them, which
fails the run (schema_error) rather than guess a conversion.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import asyncpg

from syncplane.executor.context import RunFailed
from syncplane.executor.destinations import pg_loader, record_rows
from syncplane.executor.destinations.pg_loader import ColumnDef, TableName
from syncplane.executor.quoting import quote_ident


class LoadTable:
    """The table one entity's batches land in, and its columns as the connector manages them.

    Attributes:
        columns: managed data columns (name -> one of `record_rows.TYPES`), in table order.
        untyped: keys seen with only NULL values so far (no column yet).
        exists: the load table exists.
    """

    def __init__(
        self,
        conn: asyncpg.Connection,
        *,
        entity: str,
        target: TableName,
        mode: str,
        key: tuple[str, ...],
        meta: tuple[ColumnDef, ...],
        root_run_id: str,
        log: Any,
    ) -> None:
        self.conn = conn
        self.entity = entity
        self.target = target
        self.mode = mode
        self.key = key
        self.meta = meta
        self.log = log
        self.table = pg_loader.replace_table_name(target, root_run_id) if mode == "replace" else target
        self._key_index = self.table.name[:50] + "_sp_key"
        self.columns: dict[str, str] = {}
        self.foreign: dict[str, str] = {}
        self.untyped: dict[str, None] = {}
        self.exists = False
        self.staging: TableName | None = None
        self._ready = False
        # Without a key, batches are plain inserts: COPY straight into the table.
        self._direct = mode == "append_event" or (mode == "replace" and not key)
        # With a key, try COPY straight into the table too, until a key conflicts.
        self._optimistic = not self._direct
        self._exact = False

    # -- opening -------------------------------------------------------------------------
    async def open(self, *, resuming: bool) -> None:
        """Learns the existing columns (a replace load starts from the target's, to keep them)."""
        if self.mode == "replace" and resuming:
            existing = await pg_loader.table_columns(self.conn, self.table)
            if existing is None:
                raise RunFailed(
                    f"replace table {self.table} of this run is gone; its committed batches are lost",
                    "destination_error",
                )
            self.exists = True
        elif self.mode == "replace":
            existing = await pg_loader.table_columns(self.conn, self.target)
        else:
            existing = await pg_loader.table_columns(self.conn, self.target)
            self.exists = existing is not None
        meta_names = {name for name, _ in self.meta}
        for name, type_ in (existing or {}).items():
            if name in meta_names:
                continue
            if type_ in record_rows.TYPES:
                self.columns[name] = type_
            elif self.mode != "replace":
                # A replace load rebuilds the table: other columns do not carry over.
                self.foreign[name] = type_

    # -- writing -------------------------------------------------------------------------
    def _evolve(self, profiles: dict[str, record_rows.ColumnProfile]) -> tuple[list[tuple[str, str, str]], list[ColumnDef]]:
        """The columns to widen (name, from, to) and to add for this batch."""
        widen: list[tuple[str, str, str]] = []
        add: list[ColumnDef] = []
        for name, prof in profiles.items():
            natural = prof.natural_type
            if name in self.foreign:
                if natural is not None:
                    raise RunFailed(
                        f"entity {self.entity}: target column {name!r} of {self.target} has type"
                        f" {self.foreign[name]}, which this connector does not load JSON into;"
                        f" use one of {list(record_rows.TYPES)} or load it with replace",
                        "schema_error",
                    )
                continue
            current = self.columns.get(name)
            if natural is None:
                if current is None:
                    self.untyped[name] = None
                continue
            if current is None:
                problem = record_rows.name_problem(name)
                if problem is not None:
                    raise RunFailed(f"entity {self.entity}: records have {problem}", "schema_error")
                add.append((name, natural))
                continue
            wider = record_rows.join(current, natural)
            if wider != current:
                assert wider is not None
                widen.append((name, current, wider))
        return widen, add

    async def _alter(self, widen: list[tuple[str, str, str]], add: list[ColumnDef]) -> None:
        """Applies the schema changes (inside the batch transaction) and remakes the staging table."""
        for name, old, new in widen:
            if self.exists:
                column = quote_ident(name)
                await self.conn.execute(
                    f"ALTER TABLE {self.table.sql} ALTER COLUMN {column} TYPE {new}"
                    f" USING {record_rows.widen_using(column, old, new)}"
                )
            self.columns[name] = new
            self.log.warning(
                "http.column_widened", table=str(self.table), column=name, from_type=old, to_type=new
            )
        if widen and self.exists:
            # asyncpg caches the column types COPY encodes for (per statement
            # text, which a type change does not alter).
            await self.conn.reload_schema_state()
        for name, type_ in add:
            self.columns[name] = type_
            self.untyped.pop(name, None)
        columns = list(self.columns.items())
        missing_key = [k for k in self.key if k not in self.columns]
        if missing_key:
            raise RunFailed(
                f"entity {self.entity}: records have no values for key columns {missing_key}", "source_error"
            )
        exact = self._exact = await self._prepare(columns)
        self._ready = True
        if self.staging is not None:
            await pg_loader.drop_table(self.conn, self.staging)
            self.staging = None
        if not (self._direct and exact):
            self.staging = await pg_loader.create_staging(self.conn, columns + list(self.meta))

    async def _prepare(self, columns: list[ColumnDef]) -> bool:
        """Creates or evolves the load table; says whether its types are exactly the staging types."""
        if self.mode != "replace":
            key = self.key if self.mode == "upsert" else ()
            target = await pg_loader.prepare_target(self.conn, self.table, columns, self.meta, key)
            self.exists = True
            return target.exact
        if not self.exists:
            await pg_loader.prepare_replace_table(self.conn, self.table, columns + list(self.meta), resuming=False)
            if self.key:
                keys = ", ".join(quote_ident(k) for k in self.key)
                await self.conn.execute(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {quote_ident(self._key_index)} ON {self.table.sql} ({keys})"
                )
            self.exists = True
            return True
        target = await pg_loader.prepare_target(self.conn, self.table, columns, self.meta, ())
        return target.exact

    def _dedupe(self, batch: record_rows.Batch, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """One row per key (the last), as ON CONFLICT cannot touch a row twice in one statement."""
        for k in self.key:
            values = batch.values.get(k)
            if values is None or None in values:
                raise RunFailed(
                    f"entity {self.entity}: a record has no value for key column(s) {list(self.key)}", "source_error"
                )
        names = list(self.columns)
        key_of = itemgetter(*(names.index(k) for k in self.key))
        unique = dict(zip(map(key_of, rows), rows))
        return rows if len(unique) == len(rows) else list(unique.values())

    async def write(self, records: list[dict[str, Any]], meta_values: tuple[Any, ...]) -> int:
        """Writes one batch (inside the caller's transaction); returns the rows inserted or updated."""
        batch = record_rows.Batch(records)
        widen, add = self._evolve(batch.profiles)
        if widen or add or not self._ready:
            await self._alter(widen, add)
        rows = batch.rows(self.columns, meta_values)
        if self.key and self.mode != "append_event":
            rows = self._dedupe(batch, rows)
        names = list(self.columns) + [name for name, _ in self.meta]
        if self.staging is None:
            return await self._copy(self.table, names, rows)
        if self._optimistic and self._exact:
            written = await self._copy_unless_conflict(names, rows)
            if written is not None:
                return written
        await self._copy(self.staging, names, rows)
        if self.mode == "append_event":
            return await pg_loader.apply_append(self.conn, self.staging, self.table, names)
        return await pg_loader.apply_upsert(self.conn, self.staging, self.table, names, self.key)

    async def _copy(self, table: TableName, names: list[str], rows: list[tuple[Any, ...]]) -> int:
        status = await self.conn.copy_records_to_table(table.name, schema_name=table.schema, columns=names, records=rows)
        return int(status.rsplit(" ", 1)[-1])

    async def _copy_unless_conflict(self, names: list[str], rows: list[tuple[Any, ...]]) -> int | None:
        """COPYs a keyed batch straight into the table; None (and nothing written) if a key exists there.

        Rows whose keys are all new are inserted exactly as the upsert would
        insert them, without the staging round trip and the INSERT ... ON
        CONFLICT (a fresh target loads about as fast as a plain COPY). After
        the first conflict the rest of the load goes through staging.
        """
        try:
            async with self.conn.transaction():  # a savepoint: the conflict undoes only this COPY
                return await self._copy(self.table, names, rows)
        except asyncpg.UniqueViolationError:
            self._optimistic = False
            self.log.info("http.keys_exist", table=str(self.table), action="upsert_through_staging")
            return None

    # -- finishing -----------------------------------------------------------------------
    async def finalize(self) -> None:
        """Inside the last transaction: columns for keys that only had NULLs, and the replace swap."""
        if self.untyped and (self.exists or self.mode == "replace"):
            names = list(self.untyped)
            for name in names:
                if record_rows.name_problem(name) is None and name not in self.foreign:
                    self.columns[name] = record_rows.TEXT
                    if self.exists:
                        await self.conn.execute(
                            f"ALTER TABLE {self.table.sql} ADD COLUMN IF NOT EXISTS {quote_ident(name)} text"
                        )
            self.log.info("http.null_columns_added", table=str(self.table), columns=names, type=record_rows.TEXT)
            self.untyped.clear()
        if self.mode != "replace":
            return
        if not self.exists:
            if not self.columns:
                return  # no target and no records: nothing to replace
            await self._prepare(list(self.columns.items()))
        if self.key:
            await self.conn.execute(f"DROP INDEX IF EXISTS {quote_ident(self.table.schema)}.{quote_ident(self._key_index)}")
        await pg_loader.swap_in(self.conn, self.table, self.target, self.key)

    async def close(self) -> None:
        """Drops the staging table (the connection may go back to the pool)."""
        if self.staging is not None:
            staging, self.staging = self.staging, None
            await pg_loader.drop_table(self.conn, staging)


__all__ = ["LoadTable"]
