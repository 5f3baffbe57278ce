"""The jobs outbox on a real PostgreSQL with a real local receiver: several
deliverers deliver each row once, failures are retried and logged per
attempt, and a webhook whose deliveries keep failing turns inactive."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg

from syncplane.server.db import outbox as db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.db.pool import create_pool
from syncplane.server.dialects.jobs.delivery import Deliverer, DeliverySettings
from tests.acceptance.webhook_receiver import WebhookReceiver

FAST = DeliverySettings(backoff_base_seconds=0.05, backoff_max_seconds=0.2, lease_seconds=5, poll_seconds=0.05)


async def _webhook(pool: asyncpg.Pool, url: str, secret: str) -> uuid.UUID:
    credential = await credentials_db.insert_credential(pool, {"secret": secret})
    return await pool.fetchval(
        "INSERT INTO syncplane.jobs_webhooks (id, target_url, event_types, is_active, environment_id, credential_id)"
        " VALUES ($1, $2, '{*}', true, $3, $4) RETURNING id",
        uuid.uuid4(), url, uuid.UUID(int=0), credential,
    )


async def _queue(pool: asyncpg.Pool, webhook: uuid.UUID, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    for eid in ids:
        assert await db.enqueue(pool, eid, webhook, "sync_job_run:created", f'{{"id": "{eid}"}}')
        assert not await db.enqueue(pool, eid, webhook, "sync_job_run:created", "{}")  # same id: kept once
    return ids


async def _drain(deliverers: list[Deliverer], done: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Delivery rounds until `done()` holds; between rounds a retry's backoff (FAST: tens of ms) runs out."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
        while not await done():
            await asyncio.gather(*(d.deliver_once(http) for d in deliverers))
            await asyncio.sleep(0.02)


def _nothing_pending(pool: asyncpg.Pool) -> Callable[[], Awaitable[bool]]:
    """Every row delivered or given up: no deliverer will send anything more."""

    async def check() -> bool:
        return bool(await pool.fetchval("SELECT count(*) = 0 FROM syncplane.jobs_outbox WHERE status = 'pending'"))

    return check


async def test_two_deliverers_deliver_each_event_once_signed(pool: asyncpg.Pool, fresh_dsn: str) -> None:
    other = await create_pool(fresh_dsn)
    try:
        async with WebhookReceiver() as receiver:
            receiver.secrets["a"] = "s3cret"
            webhook = await _webhook(pool, receiver.url("a"), "s3cret")
            ids = await _queue(pool, webhook, 30)
            await _drain([Deliverer(pool, FAST), Deliverer(other, FAST)], _nothing_pending(pool))
            got = [a.event["id"] for a in receiver.arrivals]
            assert sorted(got) == sorted(str(i) for i in ids)  # each once
            assert all(a.signature_ok for a in receiver.arrivals)
    finally:
        await other.close()


async def test_a_failing_delivery_is_retried_three_times_then_counts_against_its_webhook(pool: asyncpg.Pool) -> None:
    async with WebhookReceiver() as receiver:
        receiver.fail["b"] = 503
        webhook = await _webhook(pool, receiver.url("b"), "k")
        [eid] = await _queue(pool, webhook, 1)
        await _drain([Deliverer(pool, FAST)], _nothing_pending(pool))
        assert len(receiver.arrivals) == 4  # the first attempt and 3 retries
        [row] = await db.deliveries_of(pool, eid)
        assert row["status"] == "failed" and row["attempts"] == 4 and row["logged"] == 4
        hook = await pool.fetchrow("SELECT is_active, consecutive_failures FROM syncplane.jobs_webhooks WHERE id = $1", webhook)
        assert hook["is_active"] is True and hook["consecutive_failures"] == 1


async def test_a_webhook_recovering_before_the_last_retry_gets_the_event(pool: asyncpg.Pool) -> None:
    async with WebhookReceiver() as receiver:
        receiver.fail["c"] = 500
        webhook = await _webhook(pool, receiver.url("c"), "k")
        [eid] = await _queue(pool, webhook, 1)
        deliverer = Deliverer(pool, FAST)
        async with aiohttp.ClientSession() as http:
            await deliverer.deliver_once(http)
        receiver.fail.pop("c")
        await _drain([deliverer], _nothing_pending(pool))
        [row] = await db.deliveries_of(pool, eid)
        assert row["status"] == "delivered" and row["attempts"] == 2


async def test_three_given_up_deliveries_in_a_row_make_a_webhook_inactive(pool: asyncpg.Pool) -> None:
    async with WebhookReceiver() as receiver:
        receiver.fail["d"] = 404
        webhook = await _webhook(pool, receiver.url("d"), "k")
        await _queue(pool, webhook, 5)

        async def inactive() -> bool:
            return not await pool.fetchval("SELECT is_active FROM syncplane.jobs_webhooks WHERE id = $1", webhook)

        await _drain([Deliverer(pool, FAST)], inactive)
        hook = await pool.fetchrow("SELECT is_active, consecutive_failures FROM syncplane.jobs_webhooks WHERE id = $1", webhook)
        assert hook["is_active"] is False and hook["consecutive_failures"] >= 3
        # an inactive webhook's remaining rows stay queued and are not attempted any more
        await db.enqueue(pool, uuid.uuid4(), webhook, "sync_job_run:created", "{}")
        before = len(receiver.arrivals)

        async def all_due() -> bool:
            return bool(await pool.fetchval(
                "SELECT bool_and(next_attempt_at <= now()) FROM syncplane.jobs_outbox"
                " WHERE webhook_id = $1 AND status = 'pending'", webhook,
            ))

        await _drain([], all_due)  # every queued row is due: a deliverer that would send one, claims it now
        async with aiohttp.ClientSession() as http:
            assert await Deliverer(pool, FAST).deliver_once(http) == 0
        assert len(receiver.arrivals) == before
        assert await pool.fetchval("SELECT count(*) FROM syncplane.jobs_outbox WHERE status = 'pending'") >= 1
