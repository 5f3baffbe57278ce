"""A PostgreSQL source: which relation an entity reads, its columns and key, and
the SQL of keyset batches.

Batches are key ranges `(lower, upper]` whose upper bound is read from the
source itself (the last key of the next `pageSize` rows in key order). Because
the bound comes from the source, its text form is parsed back by the same
server, collation and session settings that produced it, and ties on a
non-unique key (a cursor column without a primary key) always fall in one
batch. Key values travel as text and are cast in SQL (`E'42'::bigint`).

Values are inlined as escaped literals rather than passed as asyncpg arguments:
asyncpg's copy_from_query substitutes `$n` with a regular expression over the
whole statement, which would also rewrite a `$1` inside a user's query text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from syncplane.executor.context import RunFailed
from syncplane.executor.quoting import quote_ident

#: Columns that the loader adds to destination tables; a source column with
#: this prefix would collide with them.
RESERVED_PREFIX = "_syncplane_"


def literal(value: str) -> str:
    """A string literal that is safe whatever standard_conforming_strings says.

    E'' strings always treat backslash as an escape, so doubling backslashes and
    quotes is a complete escaping (PostgreSQL text cannot contain NUL).
    """
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class SourceRef:
    """What an entity reads: a table (or view) or a query."""

    entity_key: str
    schema: str | None = None
    table: str | None = None
    query: str | None = None

    @property
    def label(self) -> str:
        """A name for messages (never the query text, which may be long)."""
        if self.table is not None:
            return f"{self.schema}.{self.table}"
        return f"query {self.entity_key}"


@dataclass(frozen=True)
class Column:
    """One source column and the type it gets at the destination.

    Attributes:
        name: the column name.
        cast_type: the source type without modifiers, for casting key literals.
        dest_type: the type staging and target columns get. Built-in types are
            kept exactly (binary COPY needs equal types); enums, domains and
            extension types become their base type or text, which exist in
            any destination database.
        not_null: the source column is declared NOT NULL.
        source_type: the source type with modifiers (for messages).
    """

    name: str
    cast_type: str
    dest_type: str
    not_null: bool
    source_type: str

    @property
    def select_expr(self) -> str:
        ident = quote_ident(self.name)
        if self.dest_type == self.source_type:
            return ident
        return f"{ident}::{self.dest_type}"


@dataclass(frozen=True)
class SourceRelation:
    """A discovered source: what to select from and what it yields."""

    ref: SourceRef
    from_sql: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None


def resolve(config: dict[str, Any], entity_key: str) -> SourceRef:
    """Which relation an entity key names: `queries`, then `tables`, then the key itself."""
    default_schema = str(config.get("schema") or "public")
    queries = config.get("queries") or {}
    tables = config.get("tables") or {}
    if not isinstance(queries, dict) or not isinstance(tables, dict):
        raise RunFailed("source config: 'tables' and 'queries' must be objects", "config_error")
    if entity_key in queries:
        query = str(queries[entity_key]).strip().rstrip(";").strip()
        if not query:
            raise RunFailed(f"source config: query for {entity_key!r} is empty", "config_error")
        return SourceRef(entity_key=entity_key, query=query)
    name = str(tables.get(entity_key, entity_key)).strip()
    schema, _, table = name.rpartition(".")
    if not table:
        raise RunFailed(f"source config: no table name for entity {entity_key!r}", "config_error")
    return SourceRef(entity_key=entity_key, schema=schema or default_schema, table=table)


def connect_args(config: dict[str, Any], secrets: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The DSN and asyncpg connect options for a source config.

    The password comes only from the secrets and is passed as its own option,
    so it never sits in a DSN string that might be logged.
    """
    options: dict[str, Any] = {}
    password = secrets.get("password")
    if password:
        options["password"] = str(password)
    dsn = config.get("dsn")
    if dsn:
        return str(dsn), options
    if not config.get("host") or not config.get("database"):
        raise RunFailed("source config needs 'dsn' or 'host' and 'database'", "config_error")
    options["host"] = str(config["host"])
    options["database"] = str(config["database"])
    if config.get("port") is not None:
        try:
            options["port"] = int(config["port"])
        except (TypeError, ValueError):
            raise RunFailed("source config: 'port' must be a number", "config_error") from None
    if config.get("user"):
        options["user"] = str(config["user"])
    if config.get("sslmode"):
        options["ssl"] = str(config["sslmode"])
    return None, options


# The destination type of each column: built-in base, range and multirange
# types unchanged; domains by their base type; anything else (enums,
# composites, extension types) as text, or text[] for arrays of them.
_TYPES_SQL = """
SELECT c.name, c.not_null,
       format_type(c.typ, NULL) AS cast_type,
       format_type(c.typ, nullif(c.mod, -1)) AS source_type,
       CASE
         WHEN b.typnamespace = 'pg_catalog'::regnamespace AND b.typtype IN ('b', 'r', 'm')
           THEN format_type(b.oid, nullif(CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE c.mod END, -1))
         WHEN b.typcategory = 'A' THEN 'text[]'
         ELSE 'text'
       END AS dest_type
FROM unnest($1::text[], $2::oid[], $3::int[], $4::bool[]) WITH ORDINALITY AS c(name, typ, mod, not_null, ord)
JOIN pg_type t ON t.oid = c.typ
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
ORDER BY c.ord
"""

_RELATION_SQL = """
SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""

_ATTRIBUTES_SQL = """
SELECT array_agg(attname::text ORDER BY attnum), array_agg(atttypid ORDER BY attnum),
       array_agg(atttypmod ORDER BY attnum), array_agg(attnotnull ORDER BY attnum)
FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped
"""

_PRIMARY_KEY_SQL = """
SELECT a.attname::text
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = $1 AND i.indisprimary
ORDER BY k.ord
"""


async def fetch_read_only(conn: asyncpg.Connection, query: str) -> list[asyncpg.Record]:
    """Rows of a query over the source, read in a READ ONLY transaction.

    Every read of a source is read-only: a source query that calls a writing
    function (nextval, an INSERT in a function) fails instead of writing into
    the source. Batches run in the read-only snapshot of postgres_batches;
    reads outside it (the high-water mark, window bounds) get a transaction of
    their own here.
    """
    if conn.is_in_transaction():  # inside the batch's READ ONLY snapshot
        return await conn.fetch(query)
    async with conn.transaction(readonly=True):
        return await conn.fetch(query)


async def discover(conn: asyncpg.Connection, ref: SourceRef) -> SourceRelation:
    """Columns, destination types and (for tables) the primary key of a source."""
    if ref.query is not None:
        from_sql = f"({ref.query}) AS _syncplane_q"
        # Preparing (not running) the query gives its result columns; their
        # type modifiers are not in the protocol, so query columns get plain
        # types (numeric rather than numeric(12,2)).
        try:
            stmt = await conn.prepare(f"SELECT * FROM {from_sql} LIMIT 0")
        except asyncpg.PostgresSyntaxError as exc:
            raise RunFailed(f"source query {ref.entity_key!r} is not valid SQL: {exc}", "config_error") from exc
        attrs = stmt.get_attributes()
        names = [a.name for a in attrs]
        raw = (names, [a.type.oid for a in attrs], [-1] * len(attrs), [False] * len(attrs))
        primary_key: tuple[str, ...] = ()
    else:
        assert ref.schema is not None and ref.table is not None
        oid = await conn.fetchval(_RELATION_SQL, ref.schema, ref.table)
        if oid is None:
            raise RunFailed(f"source table {ref.label} does not exist", "source_error")
        from_sql = f"{quote_ident(ref.schema)}.{quote_ident(ref.table)}"
        row = await conn.fetchrow(_ATTRIBUTES_SQL, oid)
        assert row is not None  # an aggregate always returns a row
        raw = (row[0] or [], row[1] or [], row[2] or [], row[3] or [])
        primary_key = tuple(r[0] for r in await conn.fetch(_PRIMARY_KEY_SQL, oid))
    names = list(raw[0])
    if not names:
        raise RunFailed(f"source {ref.label} has no columns", "source_error")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RunFailed(f"source {ref.label} has duplicate column names {duplicates}", "config_error")
    reserved = [n for n in names if n.startswith(RESERVED_PREFIX)]
    if reserved:
        raise RunFailed(
            f"source {ref.label} has columns {reserved} that collide with the loader's {RESERVED_PREFIX}* columns",
            "schema_error",
        )
    rows = await conn.fetch(_TYPES_SQL, *raw)
    columns = tuple(
        Column(
            name=r["name"],
            cast_type=r["cast_type"],
            dest_type=r["dest_type"],
            not_null=r["not_null"],
            source_type=r["source_type"],
        )
        for r in rows
    )
    return SourceRelation(ref=ref, from_sql=from_sql, columns=columns, primary_key=primary_key)


@dataclass(frozen=True)
class Lower:
    """Where a read starts.

    Attributes:
        values: text values of the first len(values) key columns.
        closed: True reads `key[0] >= values[0]` (incremental upsert: rows at
            the boundary are read again and absorbed by the upsert); False is
            strictly after the values (a resume, or append_event, where a
            re-read would duplicate).
    """

    values: tuple[str, ...]
    closed: bool = False


def _typed(col: Column, value: str) -> str:
    return f"{literal(value)}::{col.cast_type}"


def _row(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + ", ".join(items) + ")"


def _lower_sql(keyset: tuple[Column, ...], lower: Lower) -> list[str]:
    cols = keyset[: len(lower.values)]
    first = quote_ident(cols[0].name)
    first_value = _typed(cols[0], lower.values[0])
    if lower.closed:
        return [f"{first} >= {first_value}"]
    conds = [f"{_row([quote_ident(c.name) for c in cols])} > {_row([_typed(c, v) for c, v in zip(cols, lower.values)])}"]
    if len(cols) > 1:
        # Redundant with the row comparison, but lets the planner use an index
        # on the first key column alone (e.g. updated_at).
        conds.append(f"{first} >= {first_value}")
    return conds


def _upper_sql(keyset: tuple[Column, ...], upper: tuple[str, ...]) -> list[str]:
    first = quote_ident(keyset[0].name)
    conds = [f"{_row([quote_ident(c.name) for c in keyset])} <= {_row([_typed(c, v) for c, v in zip(keyset, upper)])}"]
    if len(keyset) > 1:
        conds.append(f"{first} <= {_typed(keyset[0], upper[0])}")
    return conds


def _not_null_sql(keyset: tuple[Column, ...]) -> list[str]:
    # Row comparisons are NULL for rows with a NULL key part; saying so keeps the
    # first batch (which has no lower bound) consistent with the others.
    return [f"{quote_ident(c.name)} IS NOT NULL" for c in keyset if not c.not_null]


def _texts(columns: tuple[Column, ...]) -> str:
    # Aliased: an output column named like the key would make ORDER BY sort
    # the text form ('999' > '1000') instead of the value.
    return ", ".join(f"{quote_ident(c.name)}::text AS _syncplane_k{i}" for i, c in enumerate(columns))


def _where(conds: list[str]) -> str:
    return (" WHERE " + " AND ".join(conds)) if conds else ""


def _order(keyset: tuple[Column, ...], desc: bool = False) -> str:
    suffix = " DESC" if desc else ""
    return ", ".join(quote_ident(c.name) + suffix for c in keyset)


def to_read_sql(rel: SourceRelation, keyset: tuple[Column, ...], lower: Lower | None, null_pass: bool) -> str:
    """`FROM ... WHERE ...` of every row a read from `lower` on visits (its key batches, and the
    final batch of NULL keys when `null_pass`): what `sources.pg_count` counts."""
    if not keyset or lower is None:
        # A read from the start (in key ranges, then the NULL keys, or in one pass) visits every row.
        return f" FROM {rel.from_sql}"
    conds = " AND ".join(_not_null_sql(keyset) + _lower_sql(keyset, lower))
    nulls = [f"{quote_ident(c.name)} IS NULL" for c in keyset if not c.not_null]
    if null_pass and nulls:
        return f" FROM {rel.from_sql} WHERE ({conds}) OR " + " OR ".join(nulls)
    return f" FROM {rel.from_sql} WHERE {conds}"


def bound_query(
    rel: SourceRelation, keyset: tuple[Column, ...], lower: Lower | None, page_size: int, ceiling: str | None = None
) -> str:
    """The key (as text) of the last of the next `page_size` rows, or no row when none are left.

    `ceiling` caps the first key column (`<=`): the end of a window of a
    fan_out_window read.
    """
    conds = _not_null_sql(keyset) + (_lower_sql(keyset, lower) if lower else [])
    if ceiling is not None:
        conds.append(f"{quote_ident(keyset[0].name)} <= {_typed(keyset[0], ceiling)}")
    keys = ", ".join(quote_ident(c.name) for c in keyset)
    return (
        f"SELECT {_texts(keyset)} FROM (SELECT {keys} FROM {rel.from_sql}{_where(conds)}"
        f" ORDER BY {_order(keyset)} LIMIT {int(page_size)}) AS _syncplane_page"
        f" ORDER BY {_order(keyset, desc=True)} LIMIT 1"
    )


def batch_query(
    rel: SourceRelation,
    extra: list[tuple[str, str]],
    keyset: tuple[Column, ...],
    lower: Lower | None,
    upper: tuple[str, ...] | None,
    *,
    nulls_only: bool = False,
) -> str:
    """The rows of one batch, source columns then `extra` (expression, name) constants.

    With a keyset: rows in (lower, upper] in key order. With `nulls_only`: the
    rows a keyset cannot reach (a key part is NULL). Without a keyset: every row.
    """
    select = [c.select_expr for c in rel.columns] + [f"{expr} AS {quote_ident(name)}" for expr, name in extra]
    sql = f"SELECT {', '.join(select)} FROM {rel.from_sql}"
    if not keyset:
        return sql
    if nulls_only:
        return sql + " WHERE " + " OR ".join(f"{quote_ident(c.name)} IS NULL" for c in keyset if not c.not_null)
    conds = _not_null_sql(keyset) + (_lower_sql(keyset, lower) if lower else [])
    if upper is not None:
        conds += _upper_sql(keyset, upper)
    return sql + _where(conds) + f" ORDER BY {_order(keyset)}"


def max_key_query(
    rel: SourceRelation,
    keyset: tuple[Column, ...],
    lower: Lower | None,
    upper: tuple[str, ...],
    hw_columns: tuple[Column, ...],
    previous: tuple[str, ...] | None,
) -> str:
    """The largest `hw_columns` tuple among the rows of a batch and `previous`, as text.

    Used by full reads that are ordered by the primary key but must remember
    the highest (cursor, key) they saw, for the next incremental run.
    """
    conds = _not_null_sql(keyset) + (_lower_sql(keyset, lower) if lower else []) + _upper_sql(keyset, upper)
    conds += [f"{quote_ident(c.name)} IS NOT NULL" for c in hw_columns]
    cols = ", ".join(quote_ident(c.name) for c in hw_columns)
    inner = f"SELECT {cols} FROM {rel.from_sql}{_where(conds)}"
    if previous is not None:
        inner += " UNION ALL SELECT " + ", ".join(_typed(c, v) for c, v in zip(hw_columns, previous))
    return f"SELECT {_texts(hw_columns)} FROM ({inner}) AS _syncplane_hw ORDER BY {_order(hw_columns, desc=True)} LIMIT 1"


#: Key types whose windows can have a width (`executionConfig.windowSize`):
#: a number of key units, or seconds (or an interval text) for dates and times.
NUMERIC_KEY_TYPES = frozenset({"smallint", "integer", "bigint", "numeric"})
TIME_KEY_TYPES = frozenset({"date", "timestamp without time zone", "timestamp with time zone"})
#: More windows than this is a windowSize mistake, not a plan.
MAX_WINDOWS = 10_000


def window_bounds_query(
    rel: SourceRelation, column: Column, lower: Lower | None, *, count: int, width: int | float | str | None
) -> str:
    """The inner boundaries (as text, ascending) that cut the `column` range into windows.

    With a `width`: every `width` from the smallest value (numbers, or an
    interval for dates and times). Without: `count` windows of about equal row
    counts (percentiles), for any ordered type. At most MAX_WINDOWS + 1 rows
    come back, so the caller can tell a too small width.
    """
    ident = quote_ident(column.name)
    conds = [f"{ident} IS NOT NULL"]
    if lower is not None:
        conds.append(
            f"{ident} {'>=' if lower.closed else '>'} {_typed(column, lower.values[0])}"
        )
    where = _where(conds)
    if width is None:
        fractions = ", ".join(f"{i}::float8 / {int(count)}" for i in range(1, int(count)))
        if not fractions:
            return "SELECT NULL::text WHERE false"
        return (
            f"SELECT DISTINCT b::text AS b, b AS v FROM (SELECT unnest(percentile_disc(ARRAY[{fractions}])"
            f" WITHIN GROUP (ORDER BY {ident})) AS b FROM {rel.from_sql}{where}) AS _syncplane_w"
            f" WHERE b < (SELECT max({ident}) FROM {rel.from_sql}{where}) ORDER BY v"
        )
    if column.cast_type in TIME_KEY_TYPES:
        step = f"make_interval(secs => {float(width)})" if isinstance(width, (int, float)) else f"{literal(str(width))}::interval"
        start = "lo::timestamp" if column.cast_type == "date" else "lo"
    else:
        step = f"{literal(str(width))}::{column.cast_type}"
        start = "lo"
    # Ordered by the value, not by its text (an output column named like the
    # series would sort '10' before '9' and cut overlapping windows).
    return (
        f"SELECT s::text AS b FROM (SELECT min({ident}) AS lo, max({ident}) AS hi FROM {rel.from_sql}{where}) AS r,"
        f" generate_series({start} + {step}, hi, {step}) AS s WHERE s < hi ORDER BY s LIMIT {MAX_WINDOWS + 1}"
    )


def max_cursor_query(rel: SourceRelation, cursor: Column) -> str:
    """The largest cursor value now, as text (the high-water mark of a full upsert read)."""
    # ORDER BY ... LIMIT 1 rather than max(): it uses an index, and types such as
    # uuid have ordering but no max aggregate.
    ident = quote_ident(cursor.name)
    return f"SELECT {_texts((cursor,))} FROM {rel.from_sql} WHERE {ident} IS NOT NULL ORDER BY {ident} DESC LIMIT 1"


__all__ = [
    "Column",
    "fetch_read_only",
    "Lower",
    "RESERVED_PREFIX",
    "SourceRef",
    "SourceRelation",
    "batch_query",
    "bound_query",
    "connect_args",
    "discover",
    "literal",
    "max_cursor_query",
    "window_bounds_query",
    "max_key_query",
    "resolve",
]
