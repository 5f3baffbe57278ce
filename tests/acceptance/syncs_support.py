"""Shared pieces of the syncs acceptance tests: a postgres → postgres sync over the REST API."""

from __future__ import annotations

from tests.acceptance.harness import Stack


async def create_sync(
    stack: Stack,
    source_dsn: str,
    *,
    table: str = "orders",
    dest_table: str = "orders_copy",
    load_mode: str = "upsert",
    page_size: int = 500,
) -> str:
    """A connection to `source_dsn` and a sync of its `table` into `dest_table`; returns the sync's id."""
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {dest_table}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"{table} to {dest_table}",
            "entities": [table],
            "executionConfig": {"pageSize": page_size},
            "tableBindings": [
                {"entityKey": table, "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": load_mode}
            ],
        },
        expect=201,
    )
    return str(sync["id"])
