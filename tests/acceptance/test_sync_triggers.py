"""Scheduled and on-create syncs through the API, with real processes."""

from __future__ import annotations

import pytest

from tests.acceptance.conftest import make_source
from tests.acceptance.harness import Stack
from tests.acceptance.wait_support import wait_for

pytestmark = pytest.mark.acceptance


async def _connection(stack: Stack, dsn: str) -> str:
    body = await stack.post(
        "/api/v1/connections", {"name": "src", "providerKey": "postgres", "config": {"dsn": dsn}}, expect=201
    )
    return body["id"]


async def _every_two_seconds(stack: Stack, connection: str, name: str, dest_table: str | None = None) -> dict:
    binding = {"entityKey": "orders", "primaryKeyColumns": ["id"], "loadMode": "upsert"}
    if dest_table is not None:
        binding["tableName"] = dest_table
    return await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection, "name": name, "entities": ["orders"], "status": "active",
         "triggerMode": "scheduled", "schedule": {"cron": "* * * * * */2", "timezone": "UTC"},
         "tableBindings": [binding]},
        expect=201,
    )


async def _runs_once_succeeded(stack: Stack, sync_id: str, count: int) -> list[dict]:
    """The sync's runs, once at least `count` of them have succeeded."""

    async def enough() -> list[dict] | None:
        runs = (await stack.get(f"/api/v1/syncs/{sync_id}/runs"))["runs"]
        return runs if sum(1 for r in runs if r["status"] == "succeeded") >= count else None

    return await wait_for(enough, timeout=30, what=f"{count} succeeded runs of sync {sync_id}", interval=0.2)


async def test_scheduled_sync_runs_on_time_and_pauses(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 50)
    connection = await _connection(stack, second_dsn)
    sync = await _every_two_seconds(stack, connection, "every two seconds")
    runs = await _runs_once_succeeded(stack, sync["id"], 2)
    assert all(r["triggeredBy"] == "schedule" and r["triggerRef"] for r in runs)
    assert len({r["triggerRef"] for r in runs}) == len(runs), "a slot fired twice"

    await stack.request("PATCH", f"/api/v1/syncs/{sync['id']}", {"status": "paused"})
    # The same schedule on a sync created after the pause: its slots are slots the paused
    # sync would have fired in. Its first success means any slot queued before the pause
    # exists by now; two more mean the scheduler went past two slots without the paused sync.
    witness = await _every_two_seconds(stack, connection, "witness", "orders_witness")
    await _runs_once_succeeded(stack, witness["id"], 1)
    settled = (await stack.get(f"/api/v1/syncs/{sync['id']}/runs"))["total"]
    await _runs_once_succeeded(stack, witness["id"], 3)
    assert (await stack.get(f"/api/v1/syncs/{sync['id']}/runs"))["total"] == settled, "a paused sync ran on schedule"


async def test_on_create_starts_the_first_run(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 20)
    connection = await _connection(stack, second_dsn)
    sync = await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection, "name": "now", "entities": ["orders"], "status": "active", "triggerMode": "on_create",
         "tableBindings": [{"entityKey": "orders", "primaryKeyColumns": ["id"]}]},
        expect=201,
    )
    runs = (await stack.get(f"/api/v1/syncs/{sync['id']}/runs"))["runs"]
    assert len(runs) == 1 and runs[0]["triggeredBy"] == "on_create"
    assert (await stack.wait_chain(runs[0]["id"]))["status"] == "succeeded"
    draft = await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection, "name": "draft", "entities": ["orders"], "triggerMode": "on_create"},
        expect=201,
    )
    assert (await stack.get(f"/api/v1/syncs/{draft['id']}/runs"))["total"] == 0


@pytest.mark.parametrize(
    ("schedule", "loc"),
    [
        (None, ["body", "schedule"]),
        ({"cron": "61 * * * *"}, ["body", "schedule", "cron"]),
        ({"cron": "* * * * *", "timezone": "Mars/Olympus"}, ["body", "schedule", "timezone"]),
        ({"cron": "* * * * *", "overlap": "queue-forever"}, ["body", "schedule", "overlap"]),
    ],
)
async def test_bad_schedules_are_422(api_stack: Stack, schedule: dict | None, loc: list) -> None:
    connection = await _connection(api_stack, "postgresql://u@h/db")
    body = {"connectionId": connection, "name": "s", "triggerMode": "scheduled"}
    if schedule is not None:
        body["schedule"] = schedule
    err = await api_stack.post("/api/v1/syncs", body, expect=422)
    assert any(d["loc"] == loc for d in err["detail"]), err
    assert (await api_stack.get("/api/v1/syncs"))["total"] == 0


async def test_freshness_is_reported_and_filterable(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 10)
    connection = await _connection(stack, second_dsn)
    binding = [{"entityKey": "orders", "primaryKeyColumns": ["id"]}]
    fresh = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "fresh", "entities": ["orders"],
                                               "freshnessSlaSeconds": 3600, "tableBindings": binding}, expect=201)
    stale = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "stale", "entities": ["orders"],
                                               "freshnessSlaSeconds": 3600, "tableBindings": binding}, expect=201)
    no_sla = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "no sla"}, expect=201)
    assert stale["fresh"] is False and no_sla["fresh"] is None and no_sla["freshUntil"] is None
    run = await stack.post(f"/api/v1/syncs/{fresh['id']}/trigger", {})
    assert (await stack.wait_chain(run["id"]))["status"] == "succeeded"
    got = await stack.get(f"/api/v1/syncs/{fresh['id']}")
    assert got["fresh"] is True and got["freshUntil"] > got["lastSuccessAt"]
    assert [s["name"] for s in (await stack.get("/api/v1/syncs?fresh=false"))["syncs"]] == ["stale"]
    assert [s["name"] for s in (await stack.get("/api/v1/syncs?fresh=true"))["syncs"]] == ["fresh"]
    assert (await stack.get("/api/v1/syncs"))["total"] == 3
