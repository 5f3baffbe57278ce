"""The outbox's series with a real receiver: each delivery attempt counted by result, failures by
whether they were the last (given up), and the sampler's pending count and lag while a row waits."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import asyncpg
from prometheus_client import REGISTRY

from syncplane.server.db import outbox as db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.dialects.jobs.delivery import Deliverer, DeliverySettings
from syncplane.server.observability.sampler import Sampler
from tests.acceptance.webhook_receiver import WebhookReceiver

FAST = DeliverySettings(backoff_base_seconds=0.05, backoff_max_seconds=0.2, lease_seconds=5, poll_seconds=0.05)


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def _webhook(pool: asyncpg.Pool, url: str) -> uuid.UUID:
    credential = await credentials_db.insert_credential(pool, {"secret": "k"})
    return await pool.fetchval(
        "INSERT INTO syncplane.jobs_webhooks (id, target_url, event_types, is_active, environment_id, credential_id)"
        " VALUES ($1, $2, '{*}', true, $3, $4) RETURNING id",
        uuid.uuid4(), url, uuid.UUID(int=0), credential,
    )


async def test_deliveries_failures_and_lag(pool: asyncpg.Pool) -> None:
    before = {
        "delivered": _value("syncplane_outbox_deliveries_total", {"result": "delivered"}),
        "failed": _value("syncplane_outbox_deliveries_total", {"result": "failed"}),
        "retried": _value("syncplane_outbox_delivery_failures_total", {"final": "false"}),
        "given_up": _value("syncplane_outbox_delivery_failures_total", {"final": "true"}),
    }
    sampler = Sampler(pool, [], 3600)
    async with WebhookReceiver() as receiver, aiohttp.ClientSession() as http:
        receiver.fail["down"] = 503
        good, bad = await _webhook(pool, receiver.url("up")), await _webhook(pool, receiver.url("down"))
        assert await db.enqueue(pool, uuid.uuid4(), good, "sync_job_run:created", "{}")
        assert await db.enqueue(pool, uuid.uuid4(), bad, "sync_job_run:created", "{}")
        deliverer = Deliverer(pool, FAST)
        await deliverer.deliver_once(http)
        assert _value("syncplane_outbox_deliveries_total", {"result": "delivered"}) == before["delivered"] + 1
        assert _value("syncplane_outbox_delivery_failures_total", {"final": "false"}) == before["retried"] + 1

        await sampler.sample_once()  # the failed row waits for its retry
        assert _value("syncplane_outbox_pending") == 1 and _value("syncplane_outbox_lag_seconds") > 0

        async with asyncio.timeout(30):
            while await pool.fetchval("SELECT count(*) FROM syncplane.jobs_outbox WHERE status = 'pending'"):
                await deliverer.deliver_once(http)
                await asyncio.sleep(0.02)  # the retry's backoff (tens of ms) runs out between rounds
    assert _value("syncplane_outbox_deliveries_total", {"result": "failed"}) == before["failed"] + 4
    assert _value("syncplane_outbox_delivery_failures_total", {"final": "false"}) == before["retried"] + 3
    assert _value("syncplane_outbox_delivery_failures_total", {"final": "true"}) == before["given_up"] + 1
    await sampler.sample_once()
    assert _value("syncplane_outbox_pending") == 0 and _value("syncplane_outbox_lag_seconds") == 0
