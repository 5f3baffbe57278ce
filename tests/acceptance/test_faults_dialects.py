"""Fault: an executor is SIGKILLed mid-run, for the dialects beside syncs
(real server and executor processes). The kill comes while the executor is
paused at a failpoint after a random number of committed pages
(`executor.batch.committed`, from `fault_rng`), so the run is certainly going.

- A daemon sync-job run paging through a local fake API: the killed attempt
  ends `heartbeat_timeout`, the engine auto-resumes it on the replacement
  executor from the last checkpoint, the run ends `completed`, the data store
  holds exactly the served records, `resource_stats` count each once, and a
  subscribed webhook gets each lifecycle event once (no `failed`).
- An identity CSV FullImport: the killed attempt is auto-resumed (identity
  imports reread their source from the start), the activity ends Complete,
  and the connector space holds exactly the CSV's objects.
"""

from __future__ import annotations

import csv
import json
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.acceptance.faults import Failpoints, executor_named, fault_rng, fault_stack, wait_for
from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, FILE_DEF, ok
from tests.acceptance.jobs_support import TERMINAL, call, seed_resources, wait_status
from tests.acceptance.webhook_receiver import WebhookReceiver
from tests.integration.sync_job_support import CrmApi, contact

pytestmark = pytest.mark.acceptance

#: How long a killed attempt may take to be noticed and resumed, and a run to
#: end after it: generous, for a loaded two-core machine.
DETECT_TIMEOUT = 60.0
FINISH_TIMEOUT = 120.0
POINT = "executor.batch.committed"

CONTACTS = 400  # 40 pages of 10 (jobs_support's integration pages by 10)
LIFECYCLE = {"sync_job_run:created", "sync_job_run:started", "sync_job_run:completed"}


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _attempts(dsn: str, subject_id: str) -> list[asyncpg.Record]:
    """The engine runs of one subject (a sync-job run, an activity), first to last."""
    return await _fetch(
        dsn,
        "SELECT id, status, attempt_number, triggered_by, result_reason_code, executor_id, next_attempt_run_id"
        " FROM syncplane.runs WHERE subject_id = $1 ORDER BY attempt_number",
        uuid.UUID(subject_id),
    )


def _describe(attempts: list[asyncpg.Record]) -> str:
    return "; ".join(
        f"#{a['attempt_number']} {a['status']}/{a['result_reason_code']} on {a['executor_id']} by {a['triggered_by']}"
        for a in attempts
    )


def _assert_killed_then_resumed(attempts: list[asyncpg.Record], victim: str, survivor: str) -> None:
    """The killed attempt failed `heartbeat_timeout` (and was not ended by its hooks as
    the run's end); its auto-resumed successor finished on the replacement executor."""
    chain = _describe(attempts)
    assert len(attempts) == 2, chain
    first, last = attempts
    assert (first["status"], first["result_reason_code"], first["executor_id"]) == ("failed", "heartbeat_timeout", victim), chain
    assert first["next_attempt_run_id"] == last["id"], chain
    assert (last["status"], last["triggered_by"], last["executor_id"]) == ("succeeded", "auto_resume", survivor), chain


# -- sync jobs ---------------------------------------------------------------------------

async def _wait_fetched(stack: Stack, run_id: str, at_least: int) -> dict[str, Any]:
    """The run once its executor has reported `at_least` fetched contacts (or once it ended)."""

    async def reached() -> dict[str, Any] | None:
        run = await call(stack, "GET", f"/sync-job-run/{run_id}")
        stats = (run.get("resource_stats") or {}).get("crm/contacts", {}).get("list", {})
        if run["status"] in TERMINAL or (run["daemon_id"] and stats.get("fetched", 0) >= at_least):
            return run
        return None

    return await wait_for(reached, FINISH_TIMEOUT, f"{at_least} contacts fetched", interval=0.05)


async def test_a_sync_job_run_whose_executor_is_killed_completes_with_every_record_once(
    fresh_dsn: str, tmp_path: Path
) -> None:
    rng = fault_rng("sync_job_executor_sigkill")
    # Paused after the n-th page (from the third on) was persisted and its checkpoint queued.
    nth = rng.randrange(3, CONTACTS // 10 // 2)
    at_fetched = nth * 10
    print(f"kill at {POINT} #{nth} ({at_fetched} of {CONTACTS} contacts fetched)")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{nth}*pause"})
    async with CrmApi(contacts=CONTACTS) as crm, WebhookReceiver() as receiver, fault_stack(
        fresh_dsn, tmp_path, executors=1, failpoints=fp
    ) as stack:
        hook = await call(stack, "POST", "/webhook", {"target_url": receiver.url("all"), "event_types": ["*"]}, expect=201)
        receiver.secrets["all"] = hook["secret"]
        seeded = await seed_resources(stack, crm.port)
        run = await call(stack, "POST", "/sync-job-run", {
            "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
            "args": {"project_slug": "vcs/org/repo"}, "daemon_group_key": "default",
        }, expect=201)

        paused = await fp.wait_hit(POINT)
        # The checkpoints sent before the pause have reached the server (the
        # progress that says so is sent after them on the same stream).
        current = await _wait_fetched(stack, run["id"], at_fetched)
        assert current["status"] == "running", f"the run ended while paused: {current}"
        victim = executor_named(stack, current["daemon_id"])
        assert victim.name == paused
        await victim.kill()
        killed_at = time.monotonic()
        replacement = await stack.start_executor(name="executor-replacement")

        # The killed attempt is noticed (lease) and auto-resumed; the run never shows failed meanwhile.
        async def resumed() -> list[asyncpg.Record] | None:
            attempts = await _attempts(fresh_dsn, run["id"])
            return attempts if len(attempts) > 1 else None

        await wait_for(resumed, DETECT_TIMEOUT, "an auto-resumed attempt", interval=0.1)
        print(f"resumed {time.monotonic() - killed_at:.1f}s after the kill")
        assert (await call(stack, "GET", f"/sync-job-run/{run['id']}"))["status"] in {"running", "completed"}

        done = await wait_status(stack, run["id"], TERMINAL, timeout=FINISH_TIMEOUT)
        attempts = await _attempts(fresh_dsn, run["id"])
        print(f"ended {done['status']} {time.monotonic() - killed_at:.1f}s after the kill; {_describe(attempts)}")
        assert done["status"] == "completed", done
        assert done["daemon_id"] == replacement.name, done
        _assert_killed_then_resumed(attempts, victim.name, replacement.name)

        # Exactly the served records: none lost, none twice (upserts by id), each as served.
        rows = await _fetch(
            fresh_dsn,
            "SELECT id, record, sync_job_run_id FROM sync_job_data.crm_contacts WHERE integrated_account_id = $1",
            uuid.UUID(seeded["account"]["id"]),
        )
        served = {str(i): contact(i) for i in range(1, CONTACTS + 1)}
        ids = Counter(r["id"] for r in rows)
        assert set(ids) == set(served), f"missing {sorted(set(served) - set(ids))[:10]}, extra {sorted(set(ids) - set(served))[:10]}"
        assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1][:10]
        assert {r["id"]: json.loads(r["record"]) for r in rows} == served
        assert {str(r["sync_job_run_id"]) for r in rows} == {run["id"]}

        # The resumed attempt carried the killed one's counts on from its checkpoint.
        stats = done["resource_stats"]["crm/contacts"]["list"]
        assert (stats["fetched"], stats["persisted"], stats["errors"]) == (CONTACTS, CONTACTS, 0), stats
        # ... and refetched only from that checkpoint, not from the first page.
        pages = [int(s.query.get("page", "1")) for s in crm.requests_to("/v1/contacts")]
        assert pages.count(1) == 1, f"the resumed attempt started over: pages {pages}"

        # Each lifecycle event queued once and delivered once; the killed attempt sent no `failed`.
        await receiver.wait_for("all", "sync_job_run:completed", timeout=DETECT_TIMEOUT)
        queued = await _fetch(
            fresh_dsn,
            "SELECT event_id, event, status FROM syncplane.jobs_outbox WHERE webhook_id = $1",
            uuid.UUID(hook["id"]),
        )
        assert sorted(r["event"] for r in queued) == sorted(LIFECYCLE), queued
        await wait_for(
            lambda: _all_delivered(fresh_dsn, hook["id"]), DETECT_TIMEOUT, "every queued event delivered", interval=0.1
        )
        events = receiver.accepted("all")
        assert all(a.signature_ok for a in receiver.arrivals)
        assert {e["event"] for e in events} == LIFECYCLE, [e["event"] for e in events]
        assert len({e["id"] for e in events}) == len(events) == len(LIFECYCLE), [(e["event"], e["id"]) for e in events]
        assert {e["payload"]["id"] for e in events} == {run["id"]}
        assert next(e for e in events if e["event"] == "sync_job_run:completed")["payload"]["status"] == "completed"


async def _all_delivered(dsn: str, webhook_id: str) -> bool:
    rows = await _fetch(dsn, "SELECT status FROM syncplane.jobs_outbox WHERE webhook_id = $1", uuid.UUID(webhook_id))
    return bool(rows) and all(r["status"] == "delivered" for r in rows)


# -- identity ----------------------------------------------------------------------------

IDENTITY_TERMINAL = {"Complete", "CompleteWithWarning", "CompleteWithError", "FailedWithError", "Cancelled"}
PEOPLE = 2_000
IMPORT_PAGE = 20  # 100 store transactions


def _write_people(path: Path, count: int) -> dict[str, dict[str, str]]:
    """The HR file: one person per row, anchored by employeeId; returns the rows by anchor."""
    people = {f"E{i:05d}": {"employeeId": f"E{i:05d}", "firstName": f"First{i}", "lastName": f"Last{i}",
                            "department": f"Dept{i % 7}"} for i in range(1, count + 1)}
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["employeeId", "firstName", "lastName", "department"])
        writer.writeheader()
        writer.writerows(people.values())
    return people


async def _activity(stack: Stack, activity_id: str) -> dict[str, Any]:
    return await ok(stack, "GET", f"/api/v1/activities/{activity_id}")


async def _wait_ended(stack: Stack, activity_id: str) -> dict[str, Any]:
    async def ended() -> dict[str, Any] | None:
        activity = await _activity(stack, activity_id)
        return activity if activity["status"] in IDENTITY_TERMINAL else None

    return await wait_for(ended, FINISH_TIMEOUT, f"activity {activity_id} ended", interval=0.2)


async def _connector_space(dsn: str, cs_id: int) -> list[asyncpg.Record]:
    return await _fetch(dsn, "SELECT anchor, status, attributes FROM idm.cs_objects WHERE cs_id = $1", cs_id)


async def test_an_identity_import_whose_executor_is_killed_is_resumed_and_imports_every_object_once(
    fresh_dsn: str, tmp_path: Path
) -> None:
    rng = fault_rng("identity_import_executor_sigkill")
    nth = rng.randrange(PEOPLE // IMPORT_PAGE // 20, PEOPLE // IMPORT_PAGE // 2)
    print(f"kill at {POINT} #{nth} ({nth * IMPORT_PAGE} of {PEOPLE} objects imported)")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{nth}*pause"})
    files = tmp_path / "files"
    files.mkdir()
    people = _write_people(files / "people.csv", PEOPLE)
    async with fault_stack(
        fresh_dsn, tmp_path, executors=1, env={"SYNCPLANE_FILE_ROOTS": str(files)}, failpoints=fp
    ) as stack:
        hr = await ok(stack, "POST", CS, {"name": "HR", "connectorDefinitionId": FILE_DEF, "settings": {
            "anchorAttribute": "employeeId", "filePath": str(files / "people.csv")}}, 201)
        await ok(stack, "POST", f"{CS}/{hr['id']}/import-schema")
        profile = await ok(stack, "POST", f"{CS}/{hr['id']}/run-profiles",
                           {"name": "Full Import", "runType": "FullImport", "pageSize": IMPORT_PAGE}, 201)
        executed = await ok(stack, "POST", f"{CS}/{hr['id']}/run-profiles/{profile['id']}/execute", expect=202)
        activity_id = executed["activityId"]

        paused = await fp.wait_hit(POINT)
        current = await _activity(stack, activity_id)
        assert current["status"] == "InProgress", f"the import ended while paused: {current}"
        running = [a for a in await _attempts(fresh_dsn, activity_id) if a["status"] == "running"]
        assert len(running) == 1, _describe(running)
        victim = executor_named(stack, running[0]["executor_id"])
        assert victim.name == paused
        await victim.kill()
        killed_at = time.monotonic()
        replacement = await stack.start_executor(name="executor-replacement")

        ended = await _wait_ended(stack, activity_id)
        attempts = await _attempts(fresh_dsn, activity_id)
        print(f"ended {ended['status']} {time.monotonic() - killed_at:.1f}s after the kill; {_describe(attempts)};"
              f" processed {ended['objectsProcessed']} of {ended['objectsToProcess']}, counters {ended['counters']}")
        active = await _fetch(fresh_dsn, "SELECT id, status FROM syncplane.runs WHERE status IN ('pending', 'running', 'cancelling')")
        assert active == [], active
        assert ended["status"] == "Complete", ended
        _assert_killed_then_resumed(attempts, victim.name, replacement.name)
        assert (ended["objectsProcessed"], ended["objectsToProcess"]) == (PEOPLE, PEOPLE), ended
        # Not asserted: the counters (totalAdded) are the last attempt's only, so they
        # leave out what the killed attempt added (the connector space below is whole).

        # Exactly the file's objects: none missing, none twice, each with its row's values.
        space = await _connector_space(fresh_dsn, hr["id"])
        anchors = Counter(r["anchor"] for r in space)
        assert set(anchors) == set(people), f"missing {sorted(set(people) - set(anchors))[:10]}, extra {sorted(set(anchors) - set(people))[:10]}"
        assert max(anchors.values()) == 1
        assert {r["status"] for r in space} == {"normal"}
        assert {r["anchor"]: json.loads(r["attributes"]) for r in space} == people
        assert (await ok(stack, "GET", f"{CS}/{hr['id']}"))["objectCount"] == PEOPLE
