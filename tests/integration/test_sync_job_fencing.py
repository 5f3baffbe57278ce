"""Fencing of a superseded attempt of a sync-job run (daemon runs, real PostgreSQL).

Two attempts of one run: the older (token 1) stalls in the middle of its
walk, the newer (token 2) takes over from its checkpoint and finishes; when
the older one wakes up, its next batch is refused (`Fenced`) and the store
keeps what the newer one wrote.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from syncplane.executor.connectors import sync_job
from syncplane.executor.context import Fenced
from syncplane.executor.jobs.store import fence_key
from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.sync_job_support import CONTACTS, CrmApi, DetailReporter, crm, job_ctx  # noqa: F401 (fixture)

STALE = "written by the superseded attempt"


async def _until(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def test_an_older_attempt_that_wakes_up_after_its_successor_took_over_writes_nothing(
    fresh_dsn: str, crm: CrmApi
) -> None:
    # The older attempt's request for page 2 hangs (it is "frozen") until released.
    release = crm.hold_first_request(2)
    older_reporter = DetailReporter()
    older = job_ctx(crm, fresh_dsn, [CONTACTS], reporter=older_reporter, token=1)
    older_task = asyncio.create_task(sync_job.run(older))
    try:
        await _until(lambda: older_reporter.checkpoints and crm.held == ["2"], "the older attempt never stalled")
        assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_contacts"))[0][0] == 10

        newer = job_ctx(
            crm, fresh_dsn, [CONTACTS], run_id=older.spec["syncJobRunId"], checkpoint=older_reporter.checkpoints[-1],
            token=2,
        )
        await sync_job.run(newer)
        assert newer.detail["resource_stats"]["crm/contacts"]["list"]["persisted"] == 25

        # What the older attempt would now write differs from what the newer one did.
        for contact in crm.contacts:
            contact["name"] = STALE
        release.set()
        with pytest.raises(Fenced):
            await older_task
    finally:
        release.set()
        if not older_task.done():
            older_task.cancel()
        await asyncio.gather(older_task, return_exceptions=True)

    rows = await fetch(fresh_dsn, "SELECT id, record->>'name' FROM sync_job_data.crm_contacts ORDER BY id::int")
    assert [r[0] for r in rows] == [str(i) for i in range(1, 26)]
    assert all(r[1] != STALE for r in rows), [r for r in rows if r[1] == STALE]
    fence = await fetch(fresh_dsn, "SELECT token FROM sync_job_data._syncplane_fences WHERE state_key = $1",
                        fence_key(older.spec["syncJobRunId"]))
    assert [tuple(r) for r in fence] == [(2,)]


async def test_an_older_attempt_cannot_start_after_a_newer_one_claimed_the_run(fresh_dsn: str, crm: CrmApi) -> None:
    newer = job_ctx(crm, fresh_dsn, [CONTACTS], token=2)
    await sync_job.run(newer)
    late = job_ctx(crm, fresh_dsn, [CONTACTS], run_id=newer.spec["syncJobRunId"], token=1)
    with pytest.raises(Fenced):
        await sync_job.run(late)
    # Another run has its own fence: token 1 is fine there.
    other = job_ctx(crm, fresh_dsn, [CONTACTS], token=1)
    await sync_job.run(other)
