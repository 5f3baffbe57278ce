"""The jobs dialect's durable outbox of webhook events and its delivery log."""

from __future__ import annotations

import uuid

import asyncpg

from syncplane.server.db import credentials
from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("jobs_outbox")
Executor = Conn | asyncpg.Pool


async def subscribers(
    db: Executor, event: str, environment_id: uuid.UUID, run_webhook_id: uuid.UUID | None
) -> list[uuid.UUID]:
    return [r["id"] for r in await db.fetch(Q["subscribers"], event, environment_id, run_webhook_id)]


async def enqueue(
    db: Executor, event_id: uuid.UUID, webhook_id: uuid.UUID, event: str, body: str, run_id: uuid.UUID | None = None
) -> bool:
    """True when the row is new (False: this event was already queued for the webhook). `run_id`: the
    sync-job run whose event it is (what GET /sync-job-run/{id}/webhook-delivery reads by)."""
    return await db.fetchval(Q["enqueue"], event_id, webhook_id, event, body, run_id) is not None


async def notify(db: Executor) -> None:
    await db.execute(Q["notify_outbox"])


async def claim_due(db: Executor, limit: int, lease_s: float) -> list[asyncpg.Record]:
    return await db.fetch(Q["claim_due"], limit, lease_s)


def webhook_secret(row: asyncpg.Record) -> str:
    """The signing secret of a claimed delivery, opened here (raises SealError
    when it cannot be: the deliverer sets that row aside)."""
    secrets = credentials.open_row(row["credential_id"], row["key_id"], row["sealed"], row["secrets"])
    return str(secrets.get("secret") or "")


async def log_attempt(
    db: Executor, outbox_id: int, attempt: int, http_status: int | None, error: str | None, duration_ms: int
) -> None:
    await db.execute(Q["log_attempt"], outbox_id, attempt, http_status, error, duration_ms)


async def delivered(db: Executor, outbox_id: int) -> None:
    await db.execute(Q["delivered"], outbox_id)


async def retry_later(db: Executor, outbox_id: int, delay_s: float, error: str) -> None:
    await db.execute(Q["retry_later"], outbox_id, delay_s, error)


async def given_up(db: Executor, outbox_id: int, error: str, deactivate_after: int) -> asyncpg.Record | None:
    return await db.fetchrow(Q["given_up"], outbox_id, error, deactivate_after)


async def deliveries_of(db: Executor, event_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(Q["deliveries_of"], event_id)


async def set_aside(db: Executor, outbox_id: int, reason: str) -> None:
    await db.execute(Q["set_aside"], outbox_id, reason)


async def run_deliveries(
    db: Executor, run_id: uuid.UUID, after_id: int, webhook_id: uuid.UUID | None, status: str | None, limit: int
) -> list[asyncpg.Record]:
    """Up to `limit` deliveries of a sync-job run after outbox id `after_id`, each with its attempts (`log`)."""
    return await db.fetch(Q["run_deliveries"], run_id, after_id, webhook_id, status, limit)
