"""Webhook runs of a sync job: signed `started` then `record` batches, each waiting for a 2xx;
a 4xx to `started` stops the run; failed deliveries are retried."""

from __future__ import annotations

import pytest

from syncplane.executor.connectors import sync_job
from syncplane.executor.context import RunFailed
from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.sync_job_support import (  # noqa: F401 (fixtures)
    ACCOUNT_ID,
    CONTACTS,
    ENVIRONMENT_ID,
    NOTES,
    WEBHOOK_ID,
    CrmApi,
    Receiver,
    crm,
    job_ctx,
    receiver,
)


async def test_a_webhook_run_sends_started_then_every_record_in_batches(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver)
    await sync_job.run(ctx)

    names = [e["event"] for e in receiver.events()]
    assert names == ["sync_job_run:started"] + ["sync_job_run:record"] * 3
    records = [r for e in receiver.events("record") for r in e["payload"]["records"]]
    assert records == crm.contacts
    first = receiver.events("record")[0]
    assert first["payload"]["resource"] == "crm/contacts" and first["payload"]["method"] == "list"
    assert first["payload"]["sync_job_run_id"] == ctx.spec["syncJobRunId"]
    assert first["payload"]["integrated_account_id"] == ACCOUNT_ID
    assert first["webhook_id"] == WEBHOOK_ID and first["environment_id"] == ENVIRONMENT_ID
    assert first["created_at"].endswith("Z")


async def test_every_delivery_carries_a_valid_signature(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver))

    # started, then per page of contacts: its contacts and its contacts' notes.
    assert len(receiver.deliveries) == 1 + 3 + 3
    assert all(d.signature_ok for d in receiver.deliveries)


async def test_a_webhook_run_writes_nothing_to_the_data_store_and_counts_delivered(
    fresh_dsn: str, crm: CrmApi, receiver: Receiver
) -> None:
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver)
    await sync_job.run(ctx)

    assert ctx.detail["resource_stats"] == {"crm/contacts": {"list": {"fetched": 25, "persisted": 0, "delivered": 25, "errors": 0}}}
    schemas = await fetch(fresh_dsn, "SELECT 1 FROM pg_namespace WHERE nspname = 'sync_job_data'")
    assert schemas == []
    assert ctx.detail["delivery"]["events"] == 4


async def test_each_batch_waits_for_a_2xx_before_the_next_is_sent(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    receiver.delay = 0.05
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver, batch_size=4))

    assert len(receiver.events("record")) > 10
    assert receiver.max_in_flight == 1


async def test_batch_size_bounds_the_records_of_one_event(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver, batch_size=4))

    sizes = [len(e["payload"]["records"]) for e in receiver.events("record")]
    # Pages of 10 cut into events of at most 4, the rest of each page sent at its end.
    assert sizes == [4, 4, 2, 4, 4, 2, 4, 1]


async def test_a_400_to_started_stops_the_run_before_any_request(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    receiver.script["started"] = [400]
    with pytest.raises(RunFailed) as failed:
        await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver))

    assert failed.value.reason_code == "webhook_rejected"
    assert len(receiver.deliveries) == 1  # not retried
    assert crm.requests_to("/v1/") == []


async def test_a_5xx_is_retried_and_the_same_event_is_delivered(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    receiver.script["record"] = [503, 500]
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver))

    records = [d.event for d in receiver.deliveries if d.event["event"] == "sync_job_run:record"]
    assert [e["_status"] for e in records] == [503, 500, 200, 200, 200]
    assert records[0]["id"] == records[1]["id"] == records[2]["id"]
    assert len({e["id"] for e in records}) == 3
    assert sum(len(e["payload"]["records"]) for e in receiver.events("record")) == 25


async def test_a_delivery_failing_after_3_retries_fails_the_run(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    receiver.script["record"] = [503] * 4
    with pytest.raises(RunFailed) as failed:
        await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver))

    assert failed.value.reason_code == "webhook_unavailable"
    assert len([d for d in receiver.deliveries if d.event["event"] == "sync_job_run:record"]) == 4


async def test_a_wrong_secret_is_visible_to_the_receiver(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    receiver.secret = "another-secret"
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver))

    assert receiver.deliveries and not any(d.signature_ok for d in receiver.deliveries)
