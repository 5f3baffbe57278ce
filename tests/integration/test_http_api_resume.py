"""Cancel stops at a batch boundary keeping what was committed; a resumed attempt
continues after the last committed batch (nothing lost, nothing twice); a
superseded attempt is fenced out."""

from __future__ import annotations

import asyncio
import json

import pytest

from syncplane.executor.connectors import http_api
from syncplane.executor.context import Cancelled, Fenced, RunFailed
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    SYNC_ID,
    FakeApi,
    Fault,
    api,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401

# append_event: any record loaded twice shows as a duplicate id.
EVENTS = [http_entity("customers", mode="append_event", cursor="updated_at")]
CONFIGS = {"customers": PAGE_CUSTOMERS}


async def _set_when_fence_is(dsn: str, token: int, event: asyncio.Event) -> None:
    while not (await fetch(dsn, "SELECT 1 FROM _syncplane_fences WHERE token >= $1", token)):
        await asyncio.sleep(0.01)
    event.set()


async def _ids(dsn: str) -> list[int]:
    return [r[0] for r in await fetch(dsn, "SELECT id FROM customers ORDER BY id")]


async def _in_run_state(dsn: str, root_run_id: str) -> dict:
    rows = await fetch(
        dsn, "SELECT state::text FROM _syncplane_cursors WHERE state_key = $1 AND scope = $2", SYNC_ID, root_run_id
    )
    return json.loads(rows[0][0])


async def test_cancel_mid_entity_stops_at_a_batch_boundary_and_a_resume_finishes(fresh_dsn: str, api: FakeApi) -> None:
    reporter = RecordingReporter(cancel_after_checkpoints=2)
    first = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=10, reporter=reporter)
    with pytest.raises(Cancelled):
        await http_api.run(first)

    assert await _ids(fresh_dsn) == list(range(1, 21))
    saved = await _in_run_state(fresh_dsn, first.root_run_id)
    assert saved["rows"] == 20 and saved["done"] is False
    assert saved["position"]["request"]["params"] == [["page", "2"], ["per_page", "10"]]

    api.seen.clear()
    second = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=10, root_run_id=first.root_run_id, token=2, attempt=2)
    await http_api.run(second)

    assert await _ids(fresh_dsn) == list(range(1, 51))
    assert api.seen[0].query["page"] == "2"  # repeats the last committed page, skipping its records
    assert second.rows_written == 30


async def test_cancel_while_rate_limited_commits_what_was_read(fresh_dsn: str, api: FakeApi) -> None:
    api.faults = [Fault(status=200), Fault(status=200), Fault(status=429, headers={"Retry-After": "60"})]
    ctx = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=1000)  # one batch would hold everything
    task = asyncio.create_task(http_api.run(ctx))
    while ctx.phase != "rate_limited":
        await asyncio.sleep(0.01)
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        await task

    assert await _ids(fresh_dsn) == list(range(1, 21))  # pages 1 and 2, committed at the cancel
    resumed = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, root_run_id=ctx.root_run_id, token=2, attempt=2)
    await http_api.run(resumed)
    assert await _ids(fresh_dsn) == list(range(1, 51))


async def test_an_attempt_that_died_on_the_source_resumes_without_loss_or_duplicates(
    fresh_dsn: str, api: FakeApi
) -> None:
    api.faults = [Fault(status=200)] * 3 + [Fault(status=503)] * 50
    first = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=8, maxRetries=1)
    with pytest.raises(RunFailed) as failure:
        await http_api.run(first)
    assert failure.value.reason_code == "source_unavailable"
    committed = await _ids(fresh_dsn)
    assert committed == list(range(1, len(committed) + 1)) and 0 < len(committed) < 50

    api.faults.clear()
    second = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=8, root_run_id=first.root_run_id, token=2, attempt=2)
    await http_api.run(second)

    assert await _ids(fresh_dsn) == list(range(1, 51))
    assert second.rows_written == 50 - len(committed)


async def test_an_attempt_superseded_while_waiting_is_fenced_before_writing(fresh_dsn: str, api: FakeApi) -> None:
    # Every request after the 429 is held until the newer attempt has claimed
    # the fence: whichever attempt sends it, and however often the old one
    # retries a held request that timed out, the old one can write only after
    # the takeover, however slow the machine.
    taken_over = asyncio.Event()
    held = [Fault(status=200, hold=taken_over) for _ in range(4)]
    api.faults = [Fault(status=200), Fault(status=429, headers={"Retry-After": "1"}), *held]
    old = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=10)
    task = asyncio.create_task(http_api.run(old))
    # The 429 has been answered (its fault taken): the old attempt is waiting.
    # (Its phase says so only briefly: a batch commit running beside the
    # prefetched request may overwrite it.)
    while len(api.faults) > len(held):
        await asyncio.sleep(0.01)
    newer = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, page_size=10, root_run_id=old.root_run_id, token=2, attempt=2)
    watcher = asyncio.create_task(_set_when_fence_is(fresh_dsn, 2, taken_over))
    await http_api.run(newer)
    await watcher

    with pytest.raises(Fenced):
        await task
    assert await _ids(fresh_dsn) == list(range(1, 51))


async def test_a_finished_run_chain_skips_done_entities_and_forgets_its_state(fresh_dsn: str, api: FakeApi) -> None:
    ctx = make_ctx(api, fresh_dsn, EVENTS, CONFIGS)
    await http_api.run(ctx)

    # The chain keeps its progress until the next chain starts (a late resume of
    # it must load nothing twice); then only the high-water mark stays.
    rows = await fetch(fresh_dsn, "SELECT scope FROM _syncplane_cursors WHERE state_key = $1 ORDER BY scope = 'sync'", SYNC_ID)
    assert [r[0] for r in rows] == [ctx.root_run_id, "sync"]
    following = make_ctx(api, fresh_dsn, EVENTS, CONFIGS, token=5)
    await http_api.run(following)
    rows = await fetch(fresh_dsn, "SELECT scope FROM _syncplane_cursors WHERE state_key = $1 ORDER BY scope = 'sync'", SYNC_ID)
    assert [r[0] for r in rows] == [following.root_run_id, "sync"]
