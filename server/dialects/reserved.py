"""Names a user may not write into, shared by the syncs and identity dialects.

The data store holds syncplane's own stores beside users' tables: the identity
store (schema `idm`), the jobs data store (schema `sync_job_data`) and the
loader's bookkeeping tables (`_syncplane_fences`, `_syncplane_cursors`, any
`_syncplane_*`); a shared PostgreSQL may also hold the control plane's schema
`syncplane`. A sync or an identity export aimed at one of them would replace
or corrupt it, so the dialects refuse such targets up front. Names compare
case-insensitively: `"IDM"` and `"idm"` are different identifiers to
PostgreSQL, but a name that differs from a reserved one only in case is a
mistake or an attempt, never a need.

Identifiers are matched with `fullmatch`: `re.match` with `$` accepts a
trailing newline.
"""

from __future__ import annotations

import re

#: Unquoted PostgreSQL identifiers (what the syncs dialect accepts for names it creates).
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

#: The control plane's schema (server/db/migrations).
CONTROL_SCHEMA = "syncplane"
#: The identity store (executor/identity/store.py).
IDENTITY_STORE_SCHEMA = "idm"
#: The jobs data store (server/dialects/jobs/plans.py STORE_SCHEMA).
JOBS_STORE_SCHEMA = "sync_job_data"

RESERVED_SCHEMAS = frozenset({CONTROL_SCHEMA, IDENTITY_STORE_SCHEMA, JOBS_STORE_SCHEMA, "information_schema"})
#: PostgreSQL's own schemas (pg_catalog, pg_toast, pg_temp_N, ...).
RESERVED_SCHEMA_PREFIX = "pg_"
#: The loader's tables in a destination schema (executor/destinations) and its columns.
RESERVED_TABLE_PREFIX = "_syncplane_"

#: The longest name PostgreSQL keeps (NAMEDATALEN - 1 bytes).
MAX_NAME_BYTES = 63


def is_identifier(name: object) -> bool:
    """A whole-string match: no trailing newline or other character slips through."""
    return isinstance(name, str) and IDENTIFIER.fullmatch(name) is not None


def schema_problem(name: str) -> str | None:
    """Why a schema may not be written into; None when it may."""
    folded = name.casefold()
    if folded in RESERVED_SCHEMAS or folded.startswith(RESERVED_SCHEMA_PREFIX):
        return f"'{name}' is reserved for syncplane's or PostgreSQL's own data"
    return None


def table_problem(name: str) -> str | None:
    """Why a table name may not be written into; None when it may."""
    if name.casefold().startswith(RESERVED_TABLE_PREFIX):
        return f"'{name}' is reserved: names starting with {RESERVED_TABLE_PREFIX} belong to the loader"
    return None


def qualified_table_problem(value: str) -> str | None:
    """Why `table` or `schema.table` (as the identity SQL connector reads it) may not be written
    into; None when it may. The parts are quoted when used, so any characters but control
    characters are allowed; the schema defaults to `public`."""
    if not value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"'{value}' is not a table name (schema.table)"
    schema, dot, table = value.rpartition(".")
    for part in (schema, table) if dot else (table,):
        if not part or len(part.encode()) > MAX_NAME_BYTES:
            return f"'{value}' is not a table name (schema.table, each part 1 to {MAX_NAME_BYTES} bytes)"
    return (schema_problem(schema) if schema else None) or table_problem(table)
