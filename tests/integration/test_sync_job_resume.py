"""A sync-job run rate limited by the API shows until when it waits, then runs on; a cancel
stops it at a batch boundary; the next attempt resumes from the checkpoint, losing nothing
and repeating event ids for what it sends again."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from syncplane.executor.connectors import sync_job
from syncplane.executor.context import Cancelled
from tests.integration.http_api_support import Fault
from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.sync_job_support import (  # noqa: F401 (fixtures)
    CONTACTS,
    NOTES,
    CrmApi,
    DetailReporter,
    Receiver,
    crm,
    job_ctx,
    receiver,
)


async def test_a_429_reports_rate_limited_until_then_runs_on(fresh_dsn: str, crm: CrmApi) -> None:
    crm.fail_next(1, Fault(status=429, headers={"Retry-After": "1"}), paths=("/v1/contacts",))
    reporter = DetailReporter()
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], reporter=reporter)
    before = datetime.now(UTC)
    started = time.monotonic()
    await sync_job.run(ctx)

    assert time.monotonic() - started >= 1.0
    untils = [d.get("rateLimitedUntil") for d in reporter.details if "rateLimitedUntil" in d]
    waiting = [u for u in untils if u is not None]
    assert waiting, "rateLimitedUntil was never reported"
    until = datetime.fromisoformat(waiting[0].replace("Z", "+00:00"))
    assert 0.9 <= (until - before).total_seconds() <= 3
    # Cleared once the wait ended, and the run went on to the end.
    assert untils[-1] is None
    assert "rate_limited" in reporter.phases
    assert ctx.detail["resource_stats"]["crm/contacts"]["list"]["persisted"] == 25


async def test_a_cancel_stops_the_run_at_a_batch_boundary(fresh_dsn: str, crm: CrmApi) -> None:
    reporter = DetailReporter(cancel_after_checkpoints=1)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], reporter=reporter)
    with pytest.raises(Cancelled):
        await sync_job.run(ctx)

    # The first page and its notes were committed, nothing after.
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_contacts"))[0][0] == 10
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_notes"))[0][0] == 20
    assert reporter.checkpoints[-1]["current"]["request"]["params"][-2:] == [["page", "2"], ["per_page", "10"]]


async def test_a_resumed_daemon_run_loses_nothing_and_counts_each_record_once(fresh_dsn: str, crm: CrmApi) -> None:
    first = DetailReporter(cancel_after_checkpoints=2)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], reporter=first)
    with pytest.raises(Cancelled):
        await sync_job.run(ctx)
    crm.seen.clear()

    resumed = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], run_id=ctx.spec["syncJobRunId"], checkpoint=first.checkpoints[-1])
    await sync_job.run(resumed)

    assert [s.query["page"] for s in crm.requests_to("/v1/contacts") if s.path == "/v1/contacts"] == ["3"]
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_contacts"))[0][0] == 25
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_notes"))[0][0] == 50
    stats = resumed.detail["resource_stats"]
    assert stats["crm/contacts"]["list"] == {"fetched": 25, "persisted": 25, "delivered": 0, "errors": 0}
    assert stats["crm/notes"]["list"] == {"fetched": 50, "persisted": 50, "delivered": 0, "errors": 0}


async def test_a_checkpoint_of_another_run_is_not_resumed(fresh_dsn: str, crm: CrmApi) -> None:
    first = DetailReporter(cancel_after_checkpoints=2)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], reporter=first)
    with pytest.raises(Cancelled):
        await sync_job.run(ctx)
    crm.seen.clear()

    other = job_ctx(crm, fresh_dsn, [CONTACTS], checkpoint=first.checkpoints[-1])
    await sync_job.run(other)

    assert [s.query["page"] for s in crm.requests_to("/v1/contacts")] == ["1", "2", "3"]


async def test_a_resumed_webhook_run_resends_with_the_same_event_ids(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    # What one uninterrupted run of the same run id sends, for comparison.
    complete = Receiver()
    async with complete:
        await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=complete, run_id="0b5a1c2d-0000-4000-8000-000000000001"))
    expected_ids = [e["id"] for e in complete.events("record")]

    first = DetailReporter(cancel_after_checkpoints=1)
    run_id = "0b5a1c2d-0000-4000-8000-000000000001"
    with pytest.raises(Cancelled):
        await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver, run_id=run_id, reporter=first))
    resumed = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver, run_id=run_id, checkpoint=first.checkpoints[-1])
    await sync_job.run(resumed)

    ids = [e["id"] for e in receiver.events("record")]
    # Deduped by id, the receiver has exactly what one uninterrupted run sends.
    assert list(dict.fromkeys(ids)) == expected_ids
    started = receiver.events("started")
    assert len(started) == 2 and started[0]["id"] == started[1]["id"]
    records = {}
    for event in receiver.events("record"):
        records[event["id"]] = event["payload"]["records"]
    assert sum(len(r) for r in records.values()) == 75


async def test_a_cancel_interrupts_a_delivery_in_flight(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    import asyncio

    receiver.delay = 30.0  # the receiver never answers in time
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], receiver=receiver)
    task = asyncio.create_task(sync_job.run(ctx))
    while receiver.in_flight == 0:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    ctx.cancel_reason = "stopped by the user"
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        await task

    assert time.monotonic() - started < 15  # the receiver would hold it 30 s
    assert crm.requests_to("/v1/") == []  # still waiting for `started`: nothing fetched
