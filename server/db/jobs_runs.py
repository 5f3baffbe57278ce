"""Sync job runs: the dialect rows and their view joined with the latest attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from syncplane.server.db.connection import Conn
from syncplane.server.db.jobs import Cursor
from syncplane.server.db.jobs_models import JobRun
from syncplane.server.db.queries import load

Q = load("jobs_runs")
Executor = Conn | asyncpg.Pool


async def insert_run(db: Executor, run_id: uuid.UUID, v: dict[str, Any]) -> None:
    await db.execute(
        Q["insert_run"], run_id, v["sync_job_id"], v["integrated_account_id"], v["args"], v["resources"],
        v["daemon_group_key"], v["webhook_id"], v["error_handling"], v["ignore_previous_run"],
        v["mutex_key"], v["previous_run_date"], v["environment_id"], v["triggered_by"],
    )


async def get_run(db: Executor, run_id: uuid.UUID) -> JobRun | None:
    return JobRun.maybe(await db.fetchrow(Q["get_run"], run_id))


async def list_runs(
    db: Executor, cursor: Cursor, limit: int, sync_job_id: uuid.UUID | None,
    account_id: uuid.UUID | None, status: str | None,
) -> list[JobRun]:
    return JobRun.many(await db.fetch(Q["list_runs"], cursor[0], cursor[1], limit, sync_job_id, account_id, status))


async def previous_run_date(db: Executor, sync_job_id: uuid.UUID, account_id: uuid.UUID) -> datetime | None:
    return await db.fetchval(Q["previous_run_date"], sync_job_id, account_id)


async def active_run_of(db: Executor, owner_id: uuid.UUID) -> uuid.UUID | None:
    """A run of a sync job or integrated account that has not ended, if any."""
    return await db.fetchval(Q["active_runs_of"], owner_id)


async def lock_run(conn: Conn, run_id: uuid.UUID) -> bool:
    return await conn.fetchval(Q["lock_run"], run_id) is not None
