"""Applies the numbered .sql migrations in order, once each.

Several servers may start at once against one database: an advisory lock
serialises them, so each migration runs exactly once.
"""

from __future__ import annotations

import importlib.resources
import re

import structlog

from syncplane.server.db.connection import Conn

log = structlog.get_logger(__name__)

# Arbitrary, fixed: "syncplane migrations".
_MIGRATION_LOCK = 0x5359_4E43_4D49_4752 % (2**63)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every packaged migration, in order."""
    folder = importlib.resources.files("syncplane.server.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text()))
    return sorted(found)


async def migrate(conn: Conn) -> list[str]:
    """Brings the schema up to date; returns the names of the migrations applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS syncplane")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS syncplane.migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM syncplane.migrations")}
        for version, name, sql in available():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO syncplane.migrations (version, name) VALUES ($1, $2)", version, name
                )
            log.info("db.migration_applied", version=version, name=name)
            applied.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied
