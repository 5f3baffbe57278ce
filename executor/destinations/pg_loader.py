"""Destination tables in PostgreSQL: targets, staging, and the set-based loads.

- upsert: target with a PRIMARY KEY on the key columns; a batch lands in a
  temporary staging table and one `INSERT ... ON CONFLICT DO UPDATE` applies it.
- append_event: every row is inserted with ingestion metadata.
- replace: rows accumulate in a persistent table named from the target and the
  root run id (kept across attempts so a resume continues), swapped in for the
  target with DROP + RENAME in one transaction at the end, so a failing source
  never empties the target.

When a target's columns have exactly the staging types and no row can conflict
(append_event, the replace table, or an upsert into a target that was empty
when the run started and is read in key ranges), the connector COPYs straight
into the table instead (`copy_table`), skipping the staging round trip.

Schema evolution: a new source column becomes a nullable target column; a type
change is accepted only when the target type can hold every source value
(widening), otherwise RunFailed(schema_error). Nothing is ever truncated.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import asyncpg
import structlog

from syncplane.executor.context import RunFailed
from syncplane.executor.quoting import quote_ident

log = structlog.get_logger(__name__)

#: (column name, type as format_type spells it)
ColumnDef = tuple[str, str]

RUN_ID = "_syncplane_run_id"
SYNCED_AT = "_syncplane_synced_at"
ATTEMPT = "_syncplane_attempt"
INGESTED_AT = "_syncplane_ingested_at"

UPSERT_META: tuple[ColumnDef, ...] = ((RUN_ID, "uuid"), (SYNCED_AT, "timestamp with time zone"))
APPEND_META: tuple[ColumnDef, ...] = (
    (RUN_ID, "uuid"),
    (ATTEMPT, "integer"),
    (INGESTED_AT, "timestamp with time zone"),
)


@dataclass(frozen=True)
class TableName:
    schema: str
    name: str

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Target:
    """A prepared destination table.

    Attributes:
        table: its name.
        exact: every loaded column has exactly the staging type, so binary COPY
            straight into it works.
        created: this call created it.
    """

    table: TableName
    exact: bool
    created: bool


# A plain MVCC read of the catalog, not to_regclass(): name lookups go through
# a backend-local cache that may still hold "no such table" after another
# session created it and we waited for its DDL lock.
_COLUMNS_SQL = """
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# A unique index (or the primary key) whose columns are exactly the key, as a
# set: what ON CONFLICT (key) needs to find.
_HAS_UNIQUE_KEY_SQL = """
SELECT EXISTS (
  SELECT 1 FROM pg_index i
  WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
    AND i.indnkeyatts = cardinality($2::text[])
    AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text)
         FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey[0:i.indnkeyatts - 1]))
        = (SELECT array_agg(k ORDER BY k) FROM unnest($2::text[]) AS k))
"""


async def table_columns(conn: asyncpg.Connection, table: TableName) -> dict[str, str] | None:
    """The table's columns and types in order, or None when it does not exist."""
    rows = await conn.fetch(_COLUMNS_SQL, table.schema, table.name)
    return {r[0]: r[1] for r in rows} if rows else None


def _column_list(columns: tuple[ColumnDef, ...] | list[ColumnDef]) -> str:
    return ", ".join(f"{quote_ident(name)} {type_}" for name, type_ in columns)


_VARCHAR = re.compile(r"^character varying\((\d+)\)$")
_NUMERIC = re.compile(r"^numeric\((\d+),(\d+)\)$")
_WIDER_INTEGERS = {
    "smallint": {"integer", "bigint", "numeric", "double precision"},
    "integer": {"bigint", "numeric", "double precision"},
    "bigint": {"numeric"},
    "real": {"double precision"},
}


def is_compatible(source_type: str, target_type: str) -> bool:
    """Whether every value of `source_type` fits a `target_type` column unchanged."""
    if source_type == target_type or target_type in ("text", "character varying"):
        # Every type has an assignment cast to text (its output form).
        return True
    base = source_type.split("(")[0]
    if target_type in _WIDER_INTEGERS.get(base, set()):
        return True
    if target_type == "numeric" and base == "numeric":
        return True
    src_num, tgt_num = _NUMERIC.match(source_type), _NUMERIC.match(target_type)
    if src_num and tgt_num:
        (sp, ss), (tp, ts) = map(int, src_num.groups()), map(int, tgt_num.groups())
        return ts >= ss and tp - ts >= sp - ss
    src_vc, tgt_vc = _VARCHAR.match(source_type), _VARCHAR.match(target_type)
    if src_vc and tgt_vc:
        return int(tgt_vc.group(1)) >= int(src_vc.group(1))
    return False


async def prepare_target(
    conn: asyncpg.Connection,
    table: TableName,
    columns: list[ColumnDef],
    meta: tuple[ColumnDef, ...],
    key: tuple[str, ...] = (),
) -> Target:
    """Creates the target (with its schema, and a PRIMARY KEY on `key`) or evolves it.

    Evolution adds missing source and metadata columns as nullable columns and
    refuses incompatible type changes. For a key, the existing target must have
    a unique index on exactly those columns.
    """
    existing = await table_columns(conn, table)
    if existing is not None and all(name in existing for name, _ in [*columns, *meta]):
        # Nothing to create or add: no DDL, so no lock (the common case).
        return await _prepare_target_locked(conn, table, columns, meta, key, existing)
    async with conn.transaction():
        # Runs of different syncs may load the same table at once; the catalog
        # races on check-then-CREATE (of the schema too), so DDL per schema is serialised (the
        # lock is released at the end of this transaction).
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('syncplane.ddl:' || $1))", table.schema)
        return await _prepare_target_locked(conn, table, columns, meta, key, await table_columns(conn, table))


async def _prepare_target_locked(
    conn: asyncpg.Connection,
    table: TableName,
    columns: list[ColumnDef],
    meta: tuple[ColumnDef, ...],
    key: tuple[str, ...],
    existing: dict[str, str] | None,
) -> Target:
    wanted = list(columns) + list(meta)
    if existing is None:
        pk = f", PRIMARY KEY ({', '.join(quote_ident(k) for k in key)})" if key else ""
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema)}")
        await conn.execute(f"CREATE TABLE {table.sql} ({_column_list(wanted)}{pk})")
        log.info("load.target_created", table=str(table), columns=len(wanted), key=list(key))
        return Target(table=table, exact=True, created=True)

    problems = [
        f"{name}: source type {type_} does not fit target type {existing[name]}"
        for name, type_ in wanted
        if name in existing and not is_compatible(type_, existing[name])
    ]
    if problems:
        raise RunFailed(
            f"target {table} has incompatible column types ({'; '.join(problems)});"
            " change the target table or load it with replace",
            "schema_error",
        )
    missing = [(name, type_) for name, type_ in wanted if name not in existing]
    for name, type_ in missing:
        await conn.execute(f"ALTER TABLE {table.sql} ADD COLUMN IF NOT EXISTS {quote_ident(name)} {type_}")
    if missing:
        log.info("load.target_evolved", table=str(table), added=[name for name, _ in missing])
    if key and not await conn.fetchval(_HAS_UNIQUE_KEY_SQL, table.sql, list(key)):
        raise RunFailed(
            f"target {table} has no primary key or unique index on ({', '.join(key)}), which upsert needs",
            "schema_error",
        )
    exact = all(existing.get(name, type_) == type_ for name, type_ in wanted)
    return Target(table=table, exact=exact, created=False)


async def is_empty(conn: asyncpg.Connection, table: TableName) -> bool:
    return bool(await conn.fetchval(f"SELECT NOT EXISTS (SELECT 1 FROM {table.sql})"))


async def create_staging(conn: asyncpg.Connection, columns: list[ColumnDef]) -> TableName:
    """A temporary staging table with exactly these types, emptied at every commit.

    Temporary: no WAL, and it vanishes with the session if the executor dies.
    ON COMMIT DELETE ROWS empties it cheaply after each batch; a batch that
    fails rolls back its rows with it.
    """
    name = "_syncplane_stage_" + uuid.uuid4().hex[:12]
    await conn.execute(f"CREATE TEMPORARY TABLE {quote_ident(name)} ({_column_list(columns)}) ON COMMIT DELETE ROWS")
    schema = await conn.fetchval("SELECT nspname::text FROM pg_namespace WHERE oid = pg_my_temp_schema()")
    return TableName(schema=schema, name=name)


async def drop_table(conn: asyncpg.Connection, table: TableName) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS {table.sql}")


def _count(status: str) -> int:
    # "INSERT 0 123" / "COPY 123"
    return int(status.rsplit(" ", 1)[-1])


async def apply_upsert(
    conn: asyncpg.Connection, staging: TableName, target: TableName, columns: list[str], key: tuple[str, ...]
) -> int:
    """Upserts the staging rows into the target; returns the rows inserted or updated."""
    cols = ", ".join(quote_ident(c) for c in columns)
    updates = ", ".join(f"{quote_ident(c)} = EXCLUDED.{quote_ident(c)}" for c in columns if c not in key)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    status = await conn.execute(
        f"INSERT INTO {target.sql} ({cols}) SELECT {cols} FROM {staging.sql}"
        f" ON CONFLICT ({', '.join(quote_ident(k) for k in key)}) {conflict}"
    )
    return _count(status)


async def apply_append(conn: asyncpg.Connection, staging: TableName, target: TableName, columns: list[str]) -> int:
    """Inserts the staging rows into the target (assignment casts widen types)."""
    cols = ", ".join(quote_ident(c) for c in columns)
    return _count(await conn.execute(f"INSERT INTO {target.sql} ({cols}) SELECT {cols} FROM {staging.sql}"))


def replace_table_name(target: TableName, root_run_id: str) -> TableName:
    """The persistent table a replace load fills: same schema, named from target and root run.

    Deterministic, so a resumed attempt finds the rows its predecessors committed.
    """
    suffix = "_sp_replace_" + root_run_id.replace("-", "")[:12]
    return TableName(schema=target.schema, name=target.name[: 63 - len(suffix)] + suffix)


async def prepare_replace_table(
    conn: asyncpg.Connection, table: TableName, columns: list[ColumnDef], *, resuming: bool
) -> Target:
    """Creates the replace table; a run chain that has committed nothing starts it empty."""
    existing = await table_columns(conn, table)
    if existing is None:
        if resuming:
            raise RunFailed(
                f"replace table {table} of this run is gone; its committed batches are lost", "destination_error"
            )
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema)}")
        await conn.execute(f"CREATE TABLE {table.sql} ({_column_list(columns)})")
        return Target(table=table, exact=True, created=True)
    if not resuming:
        await conn.execute(f"TRUNCATE {table.sql}")
    exact = list(existing.items()) == list(columns)
    if not exact:
        raise RunFailed(f"replace table {table} does not match the source columns any more", "schema_error")
    return Target(table=table, exact=True, created=False)


async def swap_in(conn: asyncpg.Connection, loaded: TableName, target: TableName, key: tuple[str, ...]) -> None:
    """Replaces `target` with `loaded` (call inside the final batch transaction).

    The primary key is built now, after the load (faster than maintaining it
    per batch); duplicates fail the transaction and leave the old target intact.
    DROP without CASCADE: views on the target make this fail rather than
    silently disappear.
    """
    if key:
        await conn.execute(
            f"ALTER TABLE {loaded.sql} ADD PRIMARY KEY ({', '.join(quote_ident(k) for k in key)})"
        )
    await conn.execute(f"DROP TABLE IF EXISTS {target.sql}")
    await conn.execute(f"ALTER TABLE {loaded.sql} RENAME TO {quote_ident(target.name)}")
    if key:
        constraint = await conn.fetchval(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'", target.sql
        )
        pk_name = target.name[:58] + "_pkey"
        if constraint and constraint != pk_name:
            await conn.execute(
                f"ALTER TABLE {target.sql} RENAME CONSTRAINT {quote_ident(constraint)} TO {quote_ident(pk_name)}"
            )
    log.info("load.replace_swapped", table=str(target))


__all__ = [
    "APPEND_META",
    "ColumnDef",
    "Target",
    "TableName",
    "UPSERT_META",
    "apply_append",
    "apply_upsert",
    "create_staging",
    "drop_table",
    "is_compatible",
    "is_empty",
    "prepare_replace_table",
    "prepare_target",
    "replace_table_name",
    "swap_in",
]
