"""A sync-job cron trigger firing on the engine's scheduler, end to end: two
server replicas (two schedulers competing for each slot), real executors, the
local CRM API.

The dialect's cron expressions have five fields (minutes at the finest), so
the test does not wait for the wall clock: like tests/integration/test_scheduler.py
it makes a slot due by moving the trigger's schedule row (`next_fire_at`)
into the past, and the servers' schedulers do the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.jobs_support import TERMINAL, call, seed_resources, wait_status
from tests.integration.sync_job_support import CrmApi

ARGS = {"project_slug": "vcs/org/repo"}
#: Never due by itself during a test (midnight, 1 January).
YEARLY = "0 0 1 1 *"


@pytest.fixture
async def crm() -> AsyncIterator[CrmApi]:
    async with CrmApi(contacts=25) as api:
        yield api


@pytest.fixture
async def replica(stack: Stack) -> AsyncIterator[Stack]:
    other = stack.replica("server-b")
    await other.start_server()
    try:
        yield other
    finally:
        await other.stop()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _make_due(stack: Stack, trigger_id: str, slot: datetime) -> None:
    """The clock control: the trigger's next slot is `slot`, already past."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        moved = await conn.execute(
            "UPDATE syncplane.schedules SET next_fire_at = $1"
            " WHERE subject_kind = 'sync_job_cron_trigger' AND subject_id = $2",
            slot, trigger_id,
        )
    finally:
        await conn.close()
    assert moved == "UPDATE 1"


async def _runs(stack: Stack, seeded: dict[str, Any]) -> list[dict[str, Any]]:
    page = await call(stack, "GET", f"/sync-job-run?sync_job_id={seeded['job']['id']}&limit=50")
    return list(page["result"])


async def _fired(stack: Stack, trigger_id: str, slot: datetime, timeout: float = 30.0) -> dict[str, Any]:
    """The trigger once its scheduler recorded `slot` as fired (and moved on)."""
    deadline = time.monotonic() + timeout
    trigger: dict[str, Any] = {}
    while time.monotonic() < deadline:
        trigger = await call(stack, "GET", f"/sync-job-cron-trigger/{trigger_id}")
        if trigger["last_run_at"] and _time(trigger["last_run_at"]) == slot:
            return trigger
        await asyncio.sleep(0.1)
    raise TimeoutError(f"slot {slot.isoformat()} never fired: {trigger}")


async def test_a_cron_trigger_starts_one_run_per_slot_across_two_schedulers(
    stack: Stack, replica: Stack, crm: CrmApi
) -> None:
    seeded = await seed_resources(stack, crm.port)
    trigger = await call(stack, "POST", "/sync-job-cron-trigger", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"], "args": ARGS,
        "cron_expression": YEARLY, "daemon_group_key": "default",
    }, expect=201)
    natural = _time(trigger["next_run_at"])
    assert natural > datetime.now(UTC) and (natural.month, natural.day, natural.hour) == (1, 1, 0)
    assert trigger["last_run_at"] is None and await _runs(stack, seeded) == []

    fired_slots: list[datetime] = []
    for n in (1, 2):
        # Whole milliseconds (the API shows times to the millisecond), and
        # after the last slot even when its run took under a second.
        slot = datetime.now(UTC) - timedelta(seconds=1)
        slot = slot.replace(microsecond=slot.microsecond // 1000 * 1000)
        if fired_slots:
            slot = max(slot, fired_slots[-1] + timedelta(milliseconds=1))
        await _make_due(stack, trigger["id"], slot)
        after = await _fired(replica if n == 2 else stack, trigger["id"], slot)
        fired_slots.append(slot)
        # The scheduler moved on to the expression's next slot, not the moment it fired.
        assert _time(after["next_run_at"]) == natural
        # Advanced in the transaction that queued the run: whatever fired it is visible now.
        runs = await _runs(stack, seeded)
        assert len(runs) == n, [r["id"] for r in runs]
        done = await wait_status(stack, runs[0]["id"], TERMINAL)
        assert done["status"] == "completed", done
        # The first reads every contact; the second only those changed since the first started (none).
        assert done["resource_stats"]["crm/contacts"]["list"]["fetched"] == (25 if n == 1 else 0)
        assert done["args"] == ARGS and done["daemon_group_key"] == "default"

    runs = await _runs(stack, seeded)
    assert len({r["id"] for r in runs}) == 2
    # The second slot's run is incremental on the first's.
    second = next(r for r in runs if r["previous_run_date"] is not None)
    first = next(r for r in runs if r["id"] != second["id"])
    assert second["previous_run_date"] == first["started_at"]
    assert crm.requests_to("/v1/contacts")[-1].query.get("updated_since") == first["started_at"]
    assert fired_slots[0] < fired_slots[1]
