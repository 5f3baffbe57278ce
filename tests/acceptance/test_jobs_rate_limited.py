"""A sync job run the third-party API rate-limits, end to end: real server and
executors, the local CRM API answering 429 with `Retry-After: 2` for a while,
a real webhook receiver subscribed to the run's events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.jobs_support import TERMINAL, call, seed_resources
from tests.acceptance.webhook_receiver import WebhookReceiver
from tests.integration.http_api_support import Fault
from tests.integration.sync_job_support import CrmApi

ARGS = {"project_slug": "vcs/org/repo"}
#: Consecutive 429s on the first page: the run waits about 3 x 2 s.
THROTTLED_REQUESTS = 3


@pytest.fixture
async def crm() -> AsyncIterator[CrmApi]:
    async with CrmApi(contacts=25) as api:
        yield api


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as r:
        yield r


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _statuses_until_terminal(stack: Stack, run_id: str, timeout: float = 90.0) -> list[str]:
    """Every status GET /sync-job-run/{id} shows, in order, duplicates collapsed."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = (await call(stack, "GET", f"/sync-job-run/{run_id}"))["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in TERMINAL:
            return seen
        await asyncio.sleep(0.05)
    raise TimeoutError(f"sync job run {run_id} never ended; statuses so far {seen}")


async def test_a_429_makes_the_run_rate_limited_with_an_event_then_it_runs_on_and_completes(
    stack: Stack, crm: CrmApi, receiver: WebhookReceiver
) -> None:
    hook = await call(stack, "POST", "/webhook", {
        "target_url": receiver.url("watcher"), "event_types": ["sync_job_run:rate_limited", "sync_job_run:completed"],
    }, expect=201)
    receiver.secrets["watcher"] = hook["secret"]
    # Slow pages after the wait keep the run visibly `running` again before it ends.
    crm.page_delay = 1.0
    crm.fail_next(THROTTLED_REQUESTS, Fault(status=429, headers={"Retry-After": "2"}), paths=("/v1/contacts",))
    seeded = await seed_resources(stack, crm.port)
    run = await call(stack, "POST", "/sync-job-run", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"], "args": ARGS,
        "daemon_group_key": "default",
    }, expect=201)

    statuses = await _statuses_until_terminal(stack, run["id"])

    assert "rate_limited" in statuses, statuses
    after = statuses[statuses.index("rate_limited"):]
    assert "running" in after and statuses[-1] == "completed", statuses
    done = await call(stack, "GET", f"/sync-job-run/{run['id']}")
    assert done["resource_stats"]["crm/contacts"]["list"]["fetched"] == 25
    assert done["rate_limited_until"] is None  # only shown while waiting
    # Each 429 was retried after its wait, and the three pages then served.
    assert len(crm.requests_to("/v1/contacts")) >= THROTTLED_REQUESTS + 3

    await receiver.wait_for("watcher", "sync_job_run:completed")
    limited = receiver.accepted("watcher", "sync_job_run:rate_limited")
    assert limited, [a.event["event"] for a in receiver.arrivals]
    assert all(a.signature_ok for a in receiver.arrivals)
    # One event per backoff (each 429's wait has its own end), none twice.
    assert len({e["id"] for e in limited}) == len(limited) <= THROTTLED_REQUESTS
    for event in limited:
        payload = event["payload"]
        assert payload["id"] == run["id"] and payload["status"] == "rate_limited"
        # The wait's end: about Retry-After after the event was queued.
        delta = (_time(payload["rate_limited_until"]) - _time(event["created_at"])).total_seconds()
        assert 0 < delta <= 2.5, (payload["rate_limited_until"], event["created_at"])
    names = [a.event["event"] for a in receiver.arrivals if a.hook == "watcher"]
    assert names[-1] == "sync_job_run:completed" and names.count("sync_job_run:completed") == 1
