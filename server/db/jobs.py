"""Rows of the sync-jobs dialect's resources: integrations, integrated
accounts, webhooks, sync jobs, cron triggers, daemons."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("jobs")
Executor = Conn | asyncpg.Pool

#: (created_at, id) of the last row of the previous page, or (None, None).
Cursor = tuple[datetime | None, uuid.UUID | None]


# Each resource's statements, named in full so grepping a name finds its caller.
_LIST = {
    "integrations": "list_integrations", "accounts": "list_accounts", "webhooks": "list_webhooks",
    "sync_jobs": "list_sync_jobs", "cron_triggers": "list_cron_triggers", "daemons": "list_daemons",
}
_GET = {
    "integration": "get_integration", "account": "get_account", "webhook": "get_webhook",
    "sync_job": "get_sync_job", "cron_trigger": "get_cron_trigger", "daemon": "get_daemon",
}
_DELETE = {
    "integration": "delete_integration", "account": "delete_account", "webhook": "delete_webhook",
    "sync_job": "delete_sync_job", "cron_trigger": "delete_cron_trigger", "daemon": "delete_daemon",
}


async def list_rows(db: Executor, what: str, cursor: Cursor, limit: int, *filters: Any) -> list[asyncpg.Record]:
    """A page of `what` ("integrations", "accounts", ...) after a cursor."""
    return await db.fetch(Q[_LIST[what]], cursor[0], cursor[1], limit, *filters)


async def get_row(db: Executor, what: str, row_id: uuid.UUID) -> asyncpg.Record | None:
    """One row of `what` ("integration", "account", ...) by id."""
    return await db.fetchrow(Q[_GET[what]], row_id)


async def delete_row(db: Executor, what: str, row_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(Q[_DELETE[what]], row_id)


async def insert_integration(db: Executor, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(
        Q["insert_integration"], uuid.uuid4(), v["name"], v["label"], v["base_url"], v["auth"], v["resources"]
    )


async def get_integration_by_name(db: Executor, name: str) -> asyncpg.Record | None:
    return await db.fetchrow(Q["get_integration_by_name"], name)


async def update_integration(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(Q["update_integration"], row_id, v["label"], v["base_url"], v["auth"], v["resources"])


async def integration_in_use(db: Executor, name: str) -> bool:
    return bool(await db.fetchval(Q["integration_in_use"], name))


async def insert_account(db: Executor, v: dict[str, Any], credential_id: uuid.UUID) -> asyncpg.Record:
    return await db.fetchrow(
        Q["insert_account"], uuid.uuid4(), v["integration_name"], v["context"], v["tenant_id"],
        v["environment_id"], credential_id, v["has_credentials"],
    )


async def update_account(
    db: Executor, row_id: uuid.UUID, context: dict[str, Any], tenant_id: str | None, credentials_set: bool
) -> asyncpg.Record:
    return await db.fetchrow(Q["update_account"], row_id, context, tenant_id, credentials_set)


async def insert_webhook(db: Executor, v: dict[str, Any], credential_id: uuid.UUID) -> asyncpg.Record:
    return await db.fetchrow(
        Q["insert_webhook"], uuid.uuid4(), v["target_url"], v["event_types"], v["is_active"],
        v["environment_id"], credential_id,
    )


async def update_webhook(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(Q["update_webhook"], row_id, v["target_url"], v["event_types"], v["is_active"])


async def insert_sync_job(db: Executor, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(
        Q["insert_sync_job"], uuid.uuid4(), v["integration_name"], v["label"], v["args_schema"],
        v["resources"], v["environment_id"], v["mutex_key"],
    )


async def update_sync_job(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(
        Q["update_sync_job"], row_id, v["label"], v["args_schema"], v["resources"], v["mutex_key"]
    )


async def insert_cron_trigger(db: Executor, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(
        Q["insert_cron_trigger"], uuid.uuid4(), v["sync_job_id"], v["integrated_account_id"], v["args"],
        v["cron_expression"], v["daemon_group_key"], v["webhook_id"], v["error_handling"],
        v["ignore_previous_run"],
    )


async def update_cron_trigger(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> asyncpg.Record:
    return await db.fetchrow(
        Q["update_cron_trigger"], row_id, v["args"], v["cron_expression"], v["daemon_group_key"],
        v["webhook_id"], v["error_handling"], v["ignore_previous_run"],
    )


async def insert_daemon(db: Executor, label: str, group_key: str) -> uuid.UUID:
    return await db.fetchval(Q["insert_daemon"], uuid.uuid4(), label, group_key)


async def update_daemon(db: Executor, row_id: uuid.UUID, label: str) -> uuid.UUID | None:
    return await db.fetchval(Q["update_daemon"], row_id, label)
