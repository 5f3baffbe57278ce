"""Roles and databases of the two planes, created or repaired idempotently.

The control plane's database is owned by (and reachable only with) the control
role; the data store's database by the data role. Neither role is a superuser
nor may create roles or databases. The superuser is used here only.
"""

from __future__ import annotations

import asyncpg
import structlog

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

log = structlog.get_logger(__name__)
Q = load("roles")


async def _run_ddl(conn: Conn, name: str, *args: object) -> None:
    ddl = await conn.fetchval(Q[name], *args)
    if ddl is not None:
        await conn.execute(ddl)


async def set_superuser_password(conn: Conn, role: str, password: str) -> None:
    await conn.execute("SET password_encryption = 'scram-sha-256'")
    await _run_ddl(conn, "set_password_ddl", role, password)


async def ensure_role(conn: Conn, role: str, password: str) -> None:
    """A plain login role with this password (reset every start: the data dir's file is the truth)."""
    await conn.execute("SET password_encryption = 'scram-sha-256'")
    exists = await conn.fetchval(Q["role_exists"], role)
    await _run_ddl(conn, "alter_role_ddl" if exists else "create_role_ddl", role, password)
    if not exists:
        log.info("provision.role_created", role=role)


async def ensure_database(conn: Conn, database: str, owner: str) -> bool:
    """A database owned by `owner` that no other role may connect to; True when it was created."""
    current = await conn.fetchval(Q["database_owner"], database)
    created = current is None
    if created:
        try:
            await _run_ddl(conn, "create_database_ddl", database, owner)
            log.info("provision.database_created", database=database, owner=owner)
        except asyncpg.DuplicateDatabaseError:
            created = False  # another process won the race
    if not created and current != owner:
        await _run_ddl(conn, "database_owner_ddl", database, owner)
    await _run_ddl(conn, "revoke_public_ddl", database)
    return created


async def lock_database(conn: Conn, database: str) -> None:
    """Only superusers (and the owner) may connect, e.g. the maintenance database `postgres`."""
    await _run_ddl(conn, "revoke_public_ddl", database)


async def hand_over_schema(conn: Conn, schema: str, owner: str) -> int:
    """Makes `owner` own a schema and all in it (a data dir from before the two roles)."""
    statements = [r[0] for r in await conn.fetch(Q["schema_owner_ddl"], schema, owner)]
    async with conn.transaction():
        for ddl in statements:
            await conn.execute(ddl)
    if statements:
        log.info("provision.schema_handed_over", schema=schema, owner=owner, objects=len(statements))
    return len(statements)


async def user_schemas(conn: Conn, exclude: list[str]) -> list[str]:
    return [r[0] for r in await conn.fetch(Q["user_schemas"], exclude)]


async def drop_schema(conn: Conn, schema: str) -> None:
    await _run_ddl(conn, "drop_schema_ddl", schema)


async def require_scram(conn: Conn) -> None:
    """Stores passwords as SCRAM verifiers and reloads the configuration (pg_hba.conf included)."""
    await conn.execute(Q["set_scram"])
    errors = await conn.fetch(Q["hba_errors"])
    if errors:
        raise RuntimeError(f"pg_hba.conf has errors: {[(r['line_number'], r['error']) for r in errors]}")
    await conn.fetchval(Q["reload"])


async def superuser_role(conn: Conn) -> str | None:
    """The session's role when it is a superuser; None when it is not."""
    return await conn.fetchval(Q["current_role_is_superuser"])
