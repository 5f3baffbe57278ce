"""The embedded PostgreSQL (pgserver) under a data directory.

Used when no database URL is given, so a fresh machine needs no PostgreSQL
installed. The server process owns it and stops it on exit.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import structlog

from server.db.dsn import with_database

log = structlog.get_logger(__name__)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.path = (data_dir / "pg").resolve()
        self._server = None

    def start(self) -> str:
        import pgserver

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.path, cleanup_mode="stop")
        uri = self._server.get_uri()
        log.info("embedded_pg.started", data_dir=str(self.path))
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded_pg.stopped")


async def ensure_database(root_dsn: str, name: str) -> str:
    """Creates database `name` if missing; returns its DSN."""
    conn = await asyncpg.connect(root_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()
    return with_database(root_dsn, name)


