"""Sync job runs end to end: a real server and executors, a real local HTTP
server playing the third-party API (tests/integration/sync_job_support.py's
CrmApi) and a real local webhook receiver that checks signatures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.jobs_support import TERMINAL, call, seed_resources, wait_status
from tests.acceptance.wait_support import wait_for
from tests.acceptance.webhook_receiver import WebhookReceiver
from tests.integration.sync_job_support import CrmApi

ARGS = {"project_slug": "vcs/org/repo"}
LIFECYCLE = ["sync_job_run:created", "sync_job_run:started", "sync_job_run:completed"]


@pytest.fixture
async def crm() -> AsyncIterator[CrmApi]:
    async with CrmApi(contacts=25) as api:
        yield api


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as r:
        yield r


async def _subscribe(stack: Stack, receiver: WebhookReceiver, name: str, events: list[str] | None = None) -> dict[str, Any]:
    hook = await call(stack, "POST", "/webhook", {"target_url": receiver.url(name), "event_types": events or ["*"]}, expect=201)
    receiver.secrets[name] = hook["secret"]
    return hook


async def _start(stack: Stack, seeded: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return await call(stack, "POST", "/sync-job-run", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"], "args": ARGS, **extra,
    }, expect=201)


async def test_a_daemon_run_fetches_every_record_and_sends_signed_lifecycle_events(
    stack: Stack, crm: CrmApi, receiver: WebhookReceiver
) -> None:
    await _subscribe(stack, receiver, "all")
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded, daemon_group_key="default")
    done = await wait_status(stack, run["id"], TERMINAL)
    assert done["status"] == "completed", done
    assert done["daemon_id"] in {"executor-0", "executor-1"}
    assert done["resource_stats"]["crm/contacts"]["list"]["fetched"] == 25
    assert done["started_at"] and done["finished_at"]
    await receiver.wait_for("all", "sync_job_run:completed")
    events = receiver.accepted("all")
    assert [e["event"] for e in events] == LIFECYCLE
    assert all(a.signature_ok for a in receiver.arrivals)
    assert {e["payload"]["id"] for e in events} == {run["id"]}
    assert events[-1]["payload"]["status"] == "completed"
    assert set(events[0]) == {"id", "event", "payload", "environment_id", "created_at", "webhook_id"}
    rows = await stack_rows(stack, "SELECT count(*) FROM sync_job_data.crm_contacts")
    assert rows == 25


async def stack_rows(stack: Stack, sql: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def test_the_second_run_is_incremental_and_ignore_previous_run_fetches_all(stack: Stack, crm: CrmApi) -> None:
    seeded = await seed_resources(stack, crm.port)
    first = await wait_status(stack, (await _start(stack, seeded))["id"], TERMINAL)
    assert first["status"] == "completed" and first["previous_run_date"] is None
    second = await wait_status(stack, (await _start(stack, seeded))["id"], TERMINAL)
    assert second["previous_run_date"] == first["started_at"]
    since = [s.query.get("updated_since") for s in crm.requests_to("/v1/contacts")]
    assert since[0] is None and first["started_at"] in since
    full = await wait_status(stack, (await _start(stack, seeded, ignore_previous_run=True))["id"], TERMINAL)
    assert full["previous_run_date"] is None
    assert full["resource_stats"]["crm/contacts"]["list"]["fetched"] == 25


async def test_fail_fast_fails_at_the_first_error_and_ignore_goes_on(stack: Stack, crm: CrmApi, receiver: WebhookReceiver) -> None:
    await _subscribe(stack, receiver, "all")
    seeded = await seed_resources(stack, crm.port)
    job = await call(stack, "POST", "/sync-job", {
        "integration_name": "acme_crm",
        "resources": [{"resource": "users", "method": "get", "id": "nobody"},
                      {"resource": "crm/contacts", "method": "list"}],
    }, expect=201)
    seeded = {**seeded, "job": job}
    failed = await wait_status(stack, (await _start(stack, seeded, error_handling="fail_fast"))["id"], TERMINAL)
    assert failed["status"] == "failed" and failed["error"]
    ignored = await wait_status(stack, (await _start(stack, seeded, error_handling="ignore"))["id"], TERMINAL)
    assert ignored["status"] == "completed"
    assert ignored["resource_stats"]["users"]["get"]["errors"] == 1
    assert ignored["resource_stats"]["crm/contacts"]["list"]["fetched"] == 25
    await receiver.wait_for("all", "sync_job_run:failed")


async def test_runs_sharing_a_mutex_key_wait_in_created(stack: Stack, crm: CrmApi) -> None:
    crm.page_delay = 0.5
    seeded = await seed_resources(stack, crm.port, mutex_key="{{args.project_slug}}")
    first = await _start(stack, seeded)
    second = await _start(stack, seeded)
    assert second["mutex_key"] == first["mutex_key"] == "vcs/org/repo"
    await wait_status(stack, first["id"], {"running"})
    # Read in this order, the second can be anything but created only once the first has ended.
    second_now = await call(stack, "GET", f"/sync-job-run/{second['id']}")
    first_now = await call(stack, "GET", f"/sync-job-run/{first['id']}")
    assert second_now["status"] == "created" or first_now["status"] in TERMINAL, (second_now, first_now)
    other = await call(stack, "POST", "/sync-job-run", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
        "args": {"project_slug": "vcs/org/other"},
    }, expect=201)
    await wait_status(stack, other["id"], {"running", "completed"})  # another key does not wait
    done_first = await wait_status(stack, first["id"], TERMINAL)
    done_second = await wait_status(stack, second["id"], TERMINAL)
    assert done_first["status"] == done_second["status"] == "completed"
    assert done_second["started_at"] >= done_first["finished_at"]


async def test_delete_stops_a_running_run(stack: Stack, crm: CrmApi, receiver: WebhookReceiver) -> None:
    await _subscribe(stack, receiver, "all")
    crm.page_delay = 1.0
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded)
    await wait_status(stack, run["id"], {"running"})
    assert await call(stack, "DELETE", f"/sync-job-run/{run['id']}") == {"id": run["id"]}
    stopped = await wait_status(stack, run["id"], {"stopped"}, timeout=30)
    assert stopped["status"] == "stopped"
    await receiver.wait_for("all", "sync_job_run:stopped")
    assert receiver.accepted("all", "sync_job_run:completed") == []


async def test_a_webhook_that_keeps_failing_becomes_inactive(stack: Stack, crm: CrmApi, receiver: WebhookReceiver) -> None:
    hook = await _subscribe(stack, receiver, "broken", ["sync_job_run:created"])
    receiver.fail["broken"] = 500
    seeded = await seed_resources(stack, 9)
    for _ in range(3):
        await _start(stack, seeded, daemon_group_key="nobody-home")
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        current = await call(stack, "GET", f"/webhook/{hook['id']}")
        if not current["is_active"]:
            break
        await asyncio.sleep(0.5)
    assert current["is_active"] is False and current["consecutive_failures"] == 3
    # each event: the first attempt and 3 retries, each signed
    assert len(receiver.arrivals) == 12 and all(a.signature_ok for a in receiver.arrivals)


async def test_a_server_restart_mid_run_loses_and_duplicates_no_lifecycle_event(
    stack: Stack, crm: CrmApi, receiver: WebhookReceiver
) -> None:
    await _subscribe(stack, receiver, "all")
    crm.page_delay = 0.4
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded)
    await wait_status(stack, run["id"], {"running"})
    await stack.restart_server()
    done = await wait_status(stack, run["id"], TERMINAL, timeout=90)
    assert done["status"] == "completed", done
    await receiver.wait_for("all", "sync_job_run:completed")
    # An event the killed server had claimed comes back when its delivery
    # lease (15 s) ends: at least once, never lost.
    for name in LIFECYCLE:
        await receiver.wait_for("all", name, timeout=40)
    # Nothing is left to deliver once the outbox holds no pending row (a row is marked only
    # after the receiver accepted it): what the receiver holds then is all it will get.
    await wait_for(
        lambda: stack_rows(stack, "SELECT count(*) = 0 FROM syncplane.jobs_outbox WHERE status = 'pending'"),
        timeout=60, what="the jobs outbox drained",
    )
    events = receiver.accepted("all")
    by_name: dict[str, set[str]] = {}
    for e in events:
        by_name.setdefault(e["event"], set()).add(e["id"])
    assert set(by_name) == set(LIFECYCLE)
    assert all(len(ids) == 1 for ids in by_name.values()), by_name


async def test_a_webhook_run_delivers_records_and_lifecycle_to_its_webhook(
    stack: Stack, crm: CrmApi, receiver: WebhookReceiver
) -> None:
    hook = await _subscribe(stack, receiver, "target", ["sync_job_run:completed"])
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded, webhook_id=hook["id"])
    assert run["webhook_id"] == hook["id"] and run["daemon_group_key"] is None
    done = await wait_status(stack, run["id"], TERMINAL)
    assert done["status"] == "completed", done
    await receiver.wait_for("target", "sync_job_run:completed")
    names = [e["event"] for e in receiver.accepted("target")]
    # created from the server's outbox, started/record from the executor, completed from the outbox
    assert names[0] == "sync_job_run:created" and names[-1] == "sync_job_run:completed"
    assert "sync_job_run:started" in names
    records = [r for e in receiver.accepted("target", "sync_job_run:record") for r in e["payload"]["records"]]
    assert sorted(r["id"] for r in records) == list(range(1, 26))
    assert all(a.signature_ok for a in receiver.arrivals)


async def test_a_run_goes_to_a_daemon_of_its_group(stack: Stack, crm: CrmApi) -> None:
    daemon = await call(stack, "POST", "/daemon", {"label": "crm worker", "group_key": "crm"}, expect=201)
    assert daemon["status"] == "starting"
    await stack.start_executor(slots=1, group="crm", name=daemon["id"])
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded, daemon_group_key="crm")
    done = await wait_status(stack, run["id"], TERMINAL)
    assert done["status"] == "completed" and done["daemon_id"] == daemon["id"]
    live = await call(stack, "GET", f"/daemon/{daemon['id']}")
    assert live["status"] == "active" and live["last_active_at"] is not None


async def test_a_runs_webhook_deliveries_are_listed_with_their_attempts_a_page_at_a_time(
    stack: Stack, crm: CrmApi, receiver: WebhookReceiver
) -> None:
    every = await _subscribe(stack, receiver, "all")
    broken = await _subscribe(stack, receiver, "broken", ["sync_job_run:created"])
    receiver.fail["broken"] = 500
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded, daemon_group_key="default")
    assert (await wait_status(stack, run["id"], TERMINAL))["status"] == "completed"
    path = f"/sync-job-run/{run['id']}/webhook-delivery"

    async def settled() -> Any:
        # "all" took the three lifecycle events; "broken" answered 500 to `created` at least once.
        page = await call(stack, "GET", path)
        mine = [d for d in page["result"] if d["webhook_id"] == every["id"]]
        failing = [d for d in page["result"] if d["webhook_id"] == broken["id"]]
        done = len(mine) == 3 and all(d["status"] == "delivered" for d in mine) and failing and failing[0]["attempts"]
        return page if done else None

    page = await wait_for(settled, 60, "the run's deliveries to settle")
    result = page["result"]
    assert page["next_cursor"] is None and page["limit"] == 100
    assert [int(d["id"]) for d in result] == sorted(int(d["id"]) for d in result)  # queue order
    delivered = [d for d in result if d["webhook_id"] == every["id"]]
    assert [d["event"] for d in delivered] == LIFECYCLE
    for d in delivered:
        assert d["target_url"] == receiver.url("all") and d["attempt_count"] == 1 and d["delivered_at"], d
        assert [(a["attempt"], a["http_status"], a["error"]) for a in d["attempts"]] == [(1, 200, None)], d
        assert d["next_attempt_at"] is None and d["last_error"] is None
    # The ids are the events' as the webhook received them, and so are the bodies (the exact text sent).
    assert [d["event_id"] for d in delivered] == [e["id"] for e in receiver.accepted("all")]
    assert [json.loads(d["body"]) for d in delivered] == receiver.accepted("all")
    [failing] = [d for d in result if d["webhook_id"] == broken["id"]]
    # Retried with backoff (pending, its next attempt due) until its retries run out (failed).
    assert failing["event"] == "sync_job_run:created" and failing["status"] in ("pending", "failed"), failing
    assert all(a["http_status"] == 500 for a in failing["attempts"]) and failing["last_error"], failing
    assert failing["attempt_count"] >= len(failing["attempts"]) >= 1, failing
    assert (failing["next_attempt_at"] is not None) == (failing["status"] == "pending"), failing
    assert failing["event_id"] == delivered[0]["event_id"]  # one event, two webhooks

    # A page at a time: limit 1, following next_cursor, gives the same rows in the same order.
    walked, cursor = [], None
    while True:
        query = f"?limit=1&next_cursor={cursor}" if cursor else "?limit=1"
        one = await call(stack, "GET", path + query)
        walked += [d["id"] for d in one["result"]]
        cursor = one["next_cursor"]
        if cursor is None:
            break
    assert walked == [d["id"] for d in result]
    only = await call(stack, "GET", f"{path}?webhook_id={broken['id']}")
    assert [d["id"] for d in only["result"]] == [failing["id"]]
    assert {d["id"] for d in (await call(stack, "GET", f"{path}?status=delivered"))["result"]} == {d["id"] for d in delivered}

    # Readable by a Viewer, as the run itself is.
    viewer = await stack.post("/api/v1/admin/api-keys", {"name": "deliveries viewer", "role": "viewer"}, expect=201)
    assert stack.session is not None
    async with stack.session.get(stack.base + path, headers={"Authorization": f"Bearer {viewer['secret']}", "X-API-Key": ""}) as resp:
        assert resp.status == 200 and len((await resp.json())["result"]) == len(result)
    # Bad input is the dialect's 400 naming the field; an unknown run a 404; nothing is a 5xx.
    for query, field in (("limit=0", "limit"), ("limit=5000", "limit"), ("next_cursor=bm9wZQ", "next_cursor"),
                         ("webhook_id=nope", "webhook_id"), ("status=exploded", "status")):
        error = await call(stack, "GET", f"{path}?{query}", expect=400)
        assert error["statusCode"] == 400 and field in error["details"], (query, error)
    missing = await call(stack, "GET", "/sync-job-run/00000000-0000-4000-8000-000000000000/webhook-delivery", expect=404)
    assert missing["statusCode"] == 404
    malformed = await call(stack, "GET", "/sync-job-run/not-a-uuid/webhook-delivery", expect=None)
    assert 400 <= malformed["statusCode"] < 500, malformed
