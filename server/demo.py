"""Demo data for `syncplane up --demo`: a source database with customers and
orders, a connection to it, and a sync ready to trigger. Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog

from syncplane.server.db import credentials as credentials_db
from syncplane.server.db import syncs as db
from syncplane.server.embedded_pg import ensure_database

log = structlog.get_logger(__name__)

DEMO_SOURCE_DB = "syncplane_demo_source"
CONNECTION_NAME = "demo-postgres"
SYNC_NAME = "demo: customers and orders"


async def _seed_source(dsn: str, password: str | None = None) -> None:
    conn = await asyncpg.connect(dsn, password=password)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS customers (
                id bigint PRIMARY KEY, name text NOT NULL, email text, country text,
                updated_at timestamptz NOT NULL DEFAULT now());
            CREATE TABLE IF NOT EXISTS orders (
                id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric(12,2) NOT NULL,
                status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
            -- Distinct cursor values, as a real table has: an incremental run
            -- then re-reads only the boundary, not everything.
            INSERT INTO customers (id, name, email, country, updated_at)
            SELECT g, 'Customer ' || g, 'c' || g || '@example.com', (ARRAY['NL','DE','FR','US'])[1 + g % 4],
                   now() - (20000 - g) * interval '1 second'
            FROM generate_series(1, 20000) g ON CONFLICT DO NOTHING;
            INSERT INTO orders (id, customer_id, total, status, updated_at)
            SELECT g, 1 + g % 20000, round((random() * 500)::numeric, 2), (ARRAY['new','paid','shipped'])[1 + g % 3],
                   now() - (100000 - g) * interval '1 second'
            FROM generate_series(1, 100000) g ON CONFLICT DO NOTHING;
            """
        )
    finally:
        await conn.close()


async def _follow_source(pool: asyncpg.Pool, sync_id: object, source_dsn: str, password: str | None) -> None:
    """The demo connection keeps up with where the source is and who reads it: a data dir
    from before the two roles stored the superuser's DSN, and the socket may move."""
    async with pool.acquire() as conn, conn.transaction():
        sync = await db.get_sync(conn, sync_id)  # type: ignore[arg-type]  # an id read back from the API, typed loosely
        connection = None if sync is None else await db.get_connection(conn, sync.connection_id)
        if connection is None or connection.name != CONNECTION_NAME:
            return
        if connection.config.get("dsn") != source_dsn:
            await db.update_connection(conn, connection.id, connection.name, {**connection.config, "dsn": source_dsn}, "demo")
            log.info("demo.connection_updated", connection_id=str(connection.id))
        if password:
            await credentials_db.merge_credential(conn, connection.credential_id, {"password": password})


async def install(pool: asyncpg.Pool, root_dsn: str, password: str | None = None) -> str:
    """Creates the demo objects if missing; returns the demo sync's id.

    `root_dsn` has no password: `password` (the embedded data role's) goes into
    the connection's write-only secrets, never into its config."""
    source_dsn = await ensure_database(root_dsn, DEMO_SOURCE_DB, password=password)
    await _seed_source(source_dsn, password)
    existing = await pool.fetchrow("SELECT id FROM syncplane.syncs WHERE name = $1", SYNC_NAME)
    if existing is not None:
        await _follow_source(pool, existing["id"], source_dsn, password)
        return str(existing["id"])
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    async with pool.acquire() as conn, conn.transaction():
        credential = await db.insert_credential(conn, {"password": password} if password else {})
        connection = await db.insert_connection(conn, CONNECTION_NAME, "postgres", {"dsn": source_dsn}, credential, "demo")
        values = {
            "name": SYNC_NAME, "slug": "demo-customers-orders", "entities": ["customers", "orders"],
            "source_config": {"schema": "public"}, "destination_config": {"schema": "demo"},
            "execution_backend": "native", "execution_config": {"pageSize": 10000},
            "execution_mode": "sequential", "status": "active", "trigger_mode": "manual",
            "schedule": None, "freshness_sla_seconds": 3600, "credential_id": None,
            "table_bindings": [
                {"id": "b1a1b0f2-0000-4000-8000-000000000001", "createdAt": now, "updatedAt": now, "entityKey": "customers", "tableName": "customers",
                 "primaryKeyColumns": ["id"], "cursorField": "updated_at", "loadMode": "upsert",
                 "tableNamingVersion": "legacy", "logicalTableName": None, "physicalTableName": None,
                 "sourceInstanceKey": None},
                {"id": "b1a1b0f2-0000-4000-8000-000000000002", "createdAt": now, "updatedAt": now, "entityKey": "orders", "tableName": "orders",
                 "primaryKeyColumns": ["id"], "cursorField": "updated_at", "loadMode": "upsert",
                 "tableNamingVersion": "legacy", "logicalTableName": None, "physicalTableName": None,
                 "sourceInstanceKey": None},
            ],
        }
        row = await db.insert_sync(conn, connection.id, "postgres", values, "demo")
    log.info("demo.installed", sync_id=str(row.id))
    return str(row.id)
