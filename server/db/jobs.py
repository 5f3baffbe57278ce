"""Rows of the sync-jobs dialect's resources: integrations, integrated
accounts, webhooks, sync jobs, cron triggers, daemons."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.jobs_models import CronTrigger, Daemon, IntegratedAccount, Integration, SyncJob, Webhook
from syncplane.server.db.queries import load
from syncplane.server.db.rows import RowModel

Q = load("jobs")
Executor = Conn | asyncpg.Pool
R = TypeVar("R", bound=RowModel)

#: (created_at, id) of the last row of the previous page, or (None, None).
Cursor = tuple[datetime | None, uuid.UUID | None]


# Each resource's statements, named in full so grepping a name finds its caller.
_LIST: dict[type[RowModel], str] = {
    Integration: "list_integrations", IntegratedAccount: "list_accounts", Webhook: "list_webhooks",
    SyncJob: "list_sync_jobs", CronTrigger: "list_cron_triggers", Daemon: "list_daemons",
}
_GET: dict[type[RowModel], str] = {
    Integration: "get_integration", IntegratedAccount: "get_account", Webhook: "get_webhook",
    SyncJob: "get_sync_job", CronTrigger: "get_cron_trigger", Daemon: "get_daemon",
}
_DELETE: dict[type[RowModel], str] = {
    Integration: "delete_integration", IntegratedAccount: "delete_account", Webhook: "delete_webhook",
    SyncJob: "delete_sync_job", CronTrigger: "delete_cron_trigger", Daemon: "delete_daemon",
}


async def list_rows(db: Executor, model: type[R], cursor: Cursor, limit: int, *filters: Any) -> list[R]:
    """A page of `model`'s rows (Integration, IntegratedAccount, ...) after a cursor."""
    return model.many(await db.fetch(Q[_LIST[model]], cursor[0], cursor[1], limit, *filters))


async def get_row(db: Executor, model: type[R], row_id: uuid.UUID) -> R | None:
    """One row of `model` (Integration, IntegratedAccount, ...) by id."""
    return model.maybe(await db.fetchrow(Q[_GET[model]], row_id))


async def delete_row(db: Executor, model: type[RowModel], row_id: uuid.UUID) -> bool:
    """Deletes one row of `model`; whether it was there."""
    return await db.fetchrow(Q[_DELETE[model]], row_id) is not None


async def insert_integration(db: Executor, v: dict[str, Any]) -> Integration:
    return Integration.from_record(await db.fetchrow(
        Q["insert_integration"], uuid.uuid4(), v["name"], v["label"], v["base_url"], v["auth"], v["resources"]
    ))


async def get_integration_by_name(db: Executor, name: str) -> Integration | None:
    return Integration.maybe(await db.fetchrow(Q["get_integration_by_name"], name))


async def update_integration(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> Integration:
    return Integration.from_record(
        await db.fetchrow(Q["update_integration"], row_id, v["label"], v["base_url"], v["auth"], v["resources"])
    )


async def integration_in_use(db: Executor, name: str) -> bool:
    return bool(await db.fetchval(Q["integration_in_use"], name))


async def insert_account(db: Executor, v: dict[str, Any], credential_id: uuid.UUID) -> IntegratedAccount:
    return IntegratedAccount.from_record(await db.fetchrow(
        Q["insert_account"], uuid.uuid4(), v["integration_name"], v["context"], v["tenant_id"],
        v["environment_id"], credential_id, v["has_credentials"],
    ))


async def update_account(
    db: Executor, row_id: uuid.UUID, context: dict[str, Any], tenant_id: str | None, credentials_set: bool
) -> IntegratedAccount:
    return IntegratedAccount.from_record(
        await db.fetchrow(Q["update_account"], row_id, context, tenant_id, credentials_set)
    )


async def insert_webhook(db: Executor, v: dict[str, Any], credential_id: uuid.UUID) -> Webhook:
    return Webhook.from_record(await db.fetchrow(
        Q["insert_webhook"], uuid.uuid4(), v["target_url"], v["event_types"], v["is_active"],
        v["environment_id"], credential_id,
    ))


async def update_webhook(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> Webhook:
    return Webhook.from_record(
        await db.fetchrow(Q["update_webhook"], row_id, v["target_url"], v["event_types"], v["is_active"])
    )


async def insert_sync_job(db: Executor, v: dict[str, Any]) -> SyncJob:
    return SyncJob.from_record(await db.fetchrow(
        Q["insert_sync_job"], uuid.uuid4(), v["integration_name"], v["label"], v["args_schema"],
        v["resources"], v["environment_id"], v["mutex_key"],
    ))


async def update_sync_job(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> SyncJob:
    return SyncJob.from_record(await db.fetchrow(
        Q["update_sync_job"], row_id, v["label"], v["args_schema"], v["resources"], v["mutex_key"]
    ))


async def insert_cron_trigger(db: Executor, v: dict[str, Any]) -> uuid.UUID:
    """Creates a cron trigger; its id (get_row reads it back with its schedule's times)."""
    return await db.fetchval(
        Q["insert_cron_trigger"], uuid.uuid4(), v["sync_job_id"], v["integrated_account_id"], v["args"],
        v["cron_expression"], v["daemon_group_key"], v["webhook_id"], v["error_handling"],
        v["ignore_previous_run"],
    )


async def update_cron_trigger(db: Executor, row_id: uuid.UUID, v: dict[str, Any]) -> uuid.UUID | None:
    """Replaces a cron trigger's fields; its id, None when it is gone."""
    return await db.fetchval(
        Q["update_cron_trigger"], row_id, v["args"], v["cron_expression"], v["daemon_group_key"],
        v["webhook_id"], v["error_handling"], v["ignore_previous_run"],
    )


async def insert_daemon(db: Executor, label: str, group_key: str) -> uuid.UUID:
    return await db.fetchval(Q["insert_daemon"], uuid.uuid4(), label, group_key)


async def update_daemon(db: Executor, row_id: uuid.UUID, label: str) -> uuid.UUID | None:
    return await db.fetchval(Q["update_daemon"], row_id, label)
