"""The db layer's domain objects: built from real rows, carrying exactly their declared columns."""

from __future__ import annotations

import dataclasses
import uuid

import asyncpg
import pytest

from syncplane.server.db import jobs_runs
from syncplane.server.db import syncs as syncs_db
from syncplane.server.db.sync_models import Connection, Deleted, Sync


async def test_a_connection_and_a_sync_cross_as_frozen_objects(pool: asyncpg.Pool) -> None:
    credential = await syncs_db.insert_credential(pool, {"password": "s3cret"})
    connection = await syncs_db.insert_connection(pool, "shop", "postgres", {"dsn": "postgresql://h/db"}, credential, "t")
    assert isinstance(connection, Connection)
    assert connection.name == "shop" and connection.config == {"dsn": "postgresql://h/db"}
    # Nothing the table does not hold, and no secret: the credential is only referenced.
    assert "s3cret" not in repr(connection)
    with pytest.raises(dataclasses.FrozenInstanceError):
        connection.name = "other"  # type: ignore[misc]  # the point of the test

    values = {
        "name": "orders", "slug": None, "entities": ["public.orders"], "source_config": {},
        "destination_config": {}, "execution_backend": "native", "execution_config": {},
        "execution_mode": "sequential", "status": "active", "trigger_mode": "manual", "schedule": None,
        "freshness_sla_seconds": 60, "table_bindings": [], "credential_id": None,
    }
    sync = await syncs_db.insert_sync(pool, connection.id, "postgres", values, "t")
    assert isinstance(sync, Sync) and sync.connection_id == connection.id
    listed, total = await syncs_db.list_syncs(pool, [], [], None, 10, 0)
    assert total == 1 and listed == [sync]
    # Record-style reads still answer while call sites move to attributes; a helper column does not leak.
    assert listed[0]["freshness_sla_seconds"] == 60
    with pytest.raises(KeyError):
        listed[0]["total_count"]

    assert await syncs_db.delete_sync(pool, sync.id) == Deleted(None)
    assert await syncs_db.delete_sync(pool, sync.id) is None
    assert await syncs_db.delete_connection(pool, connection.id) == Deleted(credential)


async def test_an_unknown_job_run_is_none(pool: asyncpg.Pool) -> None:
    assert await jobs_runs.get_run(pool, uuid.uuid4()) is None
