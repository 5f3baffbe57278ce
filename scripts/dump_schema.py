"""Regenerates server/db/schema.sql: migrates a new database of a throwaway
embedded PostgreSQL and writes its normalised schema dump (`make schema`)."""

from __future__ import annotations

import asyncio
import tempfile

import asyncpg
import pgserver

from syncplane.server.db import schema_snapshot
from syncplane.server.db.migrate import migrate


async def _migrate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def main() -> None:
    server = pgserver.get_server(tempfile.mkdtemp(prefix="syncplane-schema-"), cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE schema_snapshot;")
        dsn = server.get_uri("schema_snapshot")
        asyncio.run(_migrate(dsn))
        path = schema_snapshot.snapshot_path()
        path.write_text(schema_snapshot.dump(dsn))
        print(f"wrote {path}")
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
