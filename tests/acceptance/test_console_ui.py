"""The web console (/ui) end to end, in a real headless Chromium against a real server and executors.

Every wait is Playwright's auto-waiting `expect` on what the page shows (or a failpoint's hit file),
never a sleep. Screenshots of the main screens are saved under tests/artifacts/ui/.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import expect

from syncplane.server.demo_identity import DIRECTORY_NAME, HR_NAME
from tests.acceptance.console_support import (
    SLOW_POINT,
    STARTED,
    WAIT_MS,
    Console,
    console,  # noqa: F401 - the module's shared server and browser
    create_sync,
    make_slow_source,
    shot,
)
from tests.acceptance.external_support import RUN_URL, start_worker
from tests.acceptance.jobs_support import TERMINAL, call, seed_resources, wait_status
from tests.acceptance.schedules_support import create_schedule, profile_id, step
from tests.acceptance.wait_support import wait_for
from tests.acceptance.webhook_receiver import WebhookReceiver
from tests.integration.sync_job_support import CrmApi

pytestmark = pytest.mark.acceptance


async def test_a_wrong_key_is_refused(console: Console) -> None:
    context, page = await console.page()
    try:
        await page.goto(console.url)
        # Keyboard only: the key field has the focus, Enter submits.
        await expect(page.get_by_label("API key")).to_be_focused()
        await page.keyboard.type("sp_not_a_key_of_this_server")
        await page.keyboard.press("Enter")
        await expect(page.locator("#signin-error")).to_have_text(re.compile(r"That API key was refused: invalid credentials"))
        await expect(page.locator("#nav")).to_be_hidden()
        assert await page.evaluate("sessionStorage.length") == 0  # a refused key is not kept
        await shot(page, "signin-refused")
    finally:
        await context.close()


async def test_sign_in_trigger_the_demo_sync_and_watch_it_succeed(console: Console) -> None:
    context, overview = await console.page()
    try:
        await console.sign_in(overview)
        await expect(overview.get_by_role("heading", name=re.compile("^Runs"))).to_be_visible()
        # A second tab of the same session (sessionStorage is per tab: it signs in too) drives the sync.
        page = await context.new_page()
        await console.sign_in(page, at=f"#/syncs/{console.demo_sync_id}")
        await expect(page.get_by_role("heading", name=re.compile("demo: customers and orders"))).to_be_visible()
        await expect(page.locator("#bindings-h")).to_be_visible()
        await page.get_by_label("Run mode").select_option("full")
        await page.get_by_role("button", name="Sync now").click()
        await expect(page).to_have_url(re.compile(r"#/runs/[0-9a-f-]{36}$"))
        run_id = page.url.rsplit("/", 1)[1]
        await expect(page.locator("#run-status")).to_have_text("succeeded", timeout=WAIT_MS)
        run = await console.stack.get(f"/api/v1/syncs/runs/{run_id}")
        assert run["status"] == "succeeded" and run["runMode"] == "full"
        written = f"{run['summary']['rowsWritten']:,}"
        assert run["summary"]["rowsWritten"] > 0
        await expect(page.locator("#rows-written")).to_have_text(written)
        await expect(page.locator("#progress tr[data-entity='orders']")).to_contain_text("done")
        await expect(page.locator("#attempts li[data-attempt='1']")).to_contain_text("completed")
        await shot(page, "run-succeeded")
        # The overview, never reloaded, learnt of the run from the live stream.
        row = overview.locator(f"tr[data-run-id='{run_id}']")
        await expect(row).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        await expect(row).to_contain_text("demo: customers and orders")
        await shot(overview, "overview-live")
        # The sync page: its run in the list, the chart drawn from it.
        await page.get_by_role("link", name="Sync page").click()
        await expect(page.locator("figure.chart svg rect.rows")).to_have_count(1)
        await expect(page.locator("#freshness")).to_contain_text("Fresh")
        await shot(page, "sync")
        # Filters are in the URL: the shared address shows the same list.
        await overview.goto(f"{console.url}#/?dialect=syncs&status=succeeded")
        await expect(overview.locator(f"tr[data-run-id='{run_id}']")).to_be_visible()
        await overview.goto(f"{console.url}#/?dialect=jobs")
        await expect(overview.locator("#runs-count")).to_have_text("No runs match.")
        await overview.goto(f"{console.url}#/executors")
        await expect(overview.locator("tr[data-executor='slow-0']")).to_contain_text("slow")
        await expect(overview.locator("tr[data-executor='fast-0']")).to_contain_text("postgres")
        await shot(overview, "executors")
    finally:
        await context.close()


async def test_cancel_a_long_run(console: Console) -> None:
    await make_slow_source(console.source_dsn, 2_000)
    sync_id = await create_sync(console.stack, console.source_dsn, "slow events", "events", group="slow")
    context, page = await console.page()
    try:
        await console.sign_in(page, at=f"#/syncs/{sync_id}")
        await page.get_by_role("button", name="Sync now").click()
        await expect(page).to_have_url(re.compile(r"#/runs/[0-9a-f-]{36}$"))
        run_id = page.url.rsplit("/", 1)[1]
        # The slow executor paused after its first batch: the run is going, at a known place.
        await console.failpoints.wait_hit(SLOW_POINT)
        await expect(page.locator("#run-status")).to_have_text("running", timeout=WAIT_MS)
        await shot(page, "run-running")
        # What each executor runs: the paused run is held by the slow executor, its only slot in use.
        board = await context.new_page()
        await console.sign_in(board, at="#/executors")
        slow = board.locator("tr[data-executor='slow-0']")
        await expect(slow).to_contain_text("slow events")
        await expect(slow).to_contain_text("1 of 1")
        await shot(board, "executors-busy")
        await page.get_by_role("button", name="Cancel run").click()
        await expect(page.locator("#run-status")).to_have_text("cancelling", timeout=WAIT_MS)
        console.failpoints.release(SLOW_POINT)
        await expect(page.locator("#run-status")).to_have_text("cancelled", timeout=WAIT_MS)
        await expect(page.locator("#attempts li[data-attempt='1']")).to_contain_text("cancelled from the console")
        run = await console.stack.get(f"/api/v1/syncs/runs/{run_id}")
        assert run["status"] == "cancelled" and run["cancelReason"] == "cancelled from the console"
        # The executors page, never reloaded, saw the slot freed (the run feed told it to look again).
        await expect(slow).to_contain_text("idle", timeout=WAIT_MS)
        await expect(slow).to_contain_text("0 of 1")
        await shot(page, "run-cancelled")
    finally:
        await context.close()


async def test_a_failed_runs_error_and_attempts(console: Console) -> None:
    sync_id = await create_sync(console.stack, console.source_dsn, "broken", "no_such_table")
    run = await console.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
    ended = await console.stack.wait_chain(run["id"])
    assert ended["status"] == "failed"
    context, page = await console.page()
    try:
        await console.sign_in(page, at=f"#/runs/{ended['id']}")
        await expect(page.locator("#run-status")).to_have_text("failed")
        await expect(page.locator("#run-error")).to_contain_text("no_such_table")
        attempts = page.locator("#attempts li[data-attempt]")
        await expect(attempts).to_have_count(ended["attemptNumber"])
        last = page.locator(f"#attempts li[data-attempt='{ended['attemptNumber']}']")
        await expect(last).to_contain_text("failed")
        await expect(last).to_contain_text(f"Why it ended: {ended['resultReasonCode']}")
        await expect(last.locator("pre.error")).to_contain_text("no_such_table")
        # Retry from the page: a second attempt of the chain, which fails the same way; both on the timeline.
        await page.get_by_role("button", name="Retry").click()
        await expect(page).not_to_have_url(re.compile(ended["id"]))
        await expect(page.locator("#run-status")).to_have_text("failed", timeout=WAIT_MS)
        await expect(attempts).to_have_count(ended["attemptNumber"] + 1)
        for attempt in (ended["attemptNumber"], ended["attemptNumber"] + 1):
            await expect(page.locator(f"#attempts li[data-attempt='{attempt}'] pre.error")).to_contain_text("no_such_table")
        await shot(page, "run-failed")
        # The overview lists a chain once, by its latest attempt; its status filter finds it.
        latest = page.url.rsplit("/", 1)[1]
        await page.goto(f"{console.url}#/?status=failed")
        await expect(page.locator(f"tr[data-run-id='{latest}']")).to_contain_text("no_such_table")
        await expect(page.locator(f"tr[data-run-id='{ended['id']}']")).to_have_count(0)
    finally:
        await context.close()


async def test_a_viewer_sees_everything_and_cannot_trigger(console: Console) -> None:
    created = await console.stack.post("/api/v1/admin/api-keys", {"name": "console viewer", "role": "viewer"}, expect=201)
    runs_before = await console.stack.get(f"/api/v1/syncs/{console.demo_sync_id}/runs")
    context, page = await console.page()
    try:
        await console.sign_in(page, key=created["secret"], at=f"#/syncs/{console.demo_sync_id}")
        await expect(page.locator("#who-role")).to_have_text("viewer")
        await expect(page.locator("#viewer-note")).to_be_visible()
        sync_now = page.get_by_role("button", name="Sync now")
        await expect(sync_now).to_be_disabled()
        await expect(page.locator("#bindings-h")).to_be_visible()  # reads work
        await shot(page, "sync-viewer")
        # Identity's API is for administrators: the console says so instead of failing.
        await page.goto(f"{console.url}#/identity")
        await expect(page.locator("#forbidden")).to_contain_text("Administrator")
        # The button's state is not the only guard: the API refuses the viewer's write (403).
        status = await page.evaluate(
            """async ([path, key]) => (await fetch(path, {method: "POST", headers: {"X-API-Key": key,
                 "Content-Type": "application/json"}, body: "{}"})).status""",
            [f"/api/v1/syncs/{console.demo_sync_id}/trigger", created["secret"]],
        )
        assert status == 403
        runs_after = await console.stack.get(f"/api/v1/syncs/{console.demo_sync_id}/runs")
        assert len(runs_after["runs"]) == len(runs_before["runs"])
        # A key revoked while signed in: the next call is refused and the console asks for a key again.
        await console.stack.request("DELETE", f"/api/v1/admin/api-keys/{created['apiKey']['id']}", expect=204)

        async def refused() -> bool:
            body = await console.stack.get("/api/v1/console/caller", headers={"X-API-Key": created["secret"]}, expect=None)
            return body.get("code") == 16  # UNAUTHENTICATED on every replica's cache from now on

        await wait_for(refused, 30, "the revoked key to be refused")
        await page.get_by_role("link", name="Executors").click()
        await expect(page.locator("#banner")).to_contain_text("Your API key was refused")
        await expect(page.get_by_label("API key")).to_be_visible()
        assert await page.evaluate("sessionStorage.length") == 0
    finally:
        await context.close()


async def test_execute_an_identity_run_profile_and_follow_its_activity(console: Console) -> None:
    context, page = await console.page()
    try:
        await console.sign_in(page, at="#/identity")
        await expect(page.get_by_role("heading", name=re.compile("HR CSV"))).to_be_visible()
        await shot(page, "identity-systems")
        await page.get_by_role("button", name="Execute Full Import on HR CSV").click()
        await expect(page).to_have_url(re.compile(r"#/identity/activities/[0-9a-f-]{36}$"))
        activity_id = page.url.rsplit("/", 1)[1]
        await expect(page.locator("#activity-status")).to_have_text("Complete", timeout=WAIT_MS)
        await expect(page.locator("#activity-progress")).to_contain_text("200 of 200 (100%)")
        await expect(page.locator("#activity-progress")).to_contain_text("Step 1 of")
        await shot(page, "identity-activity")
        # The overview lists it with the other dialects' runs, linked to the activity.
        await page.goto(f"{console.url}#/?dialect=identity")
        await expect(page.locator(f"#runs-body a[href='#/identity/activities/{activity_id}']")).to_be_visible()
        await page.goto(f"{console.url}#/identity?tab=schedules")
        await expect(page.locator(".pager")).to_contain_text("in all")  # the schedules API answered a page
    finally:
        await context.close()


async def test_run_a_schedule_from_the_console_and_watch_its_groups_complete(console: Console) -> None:
    stack = console.stack
    systems = {c["name"]: c["id"] for c in (await stack.get("/api/v1/synchronisation/connected-systems"))["items"]}
    hr, directory = systems[HR_NAME], systems[DIRECTORY_NAME]
    # Group 0: both imports in parallel; group 1: the HR delta sync, released when group 0 ended.
    schedule = await create_schedule(stack, "Console nightly", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 0, directory, "Full Import"),
        await step(stack, 1, hr, "Delta Sync"),
    ])
    context, page = await console.page()
    console.failpoints.clear(STARTED, only="fast-0")  # the first step's run waits on its executor
    try:
        # The runs overview, open before the execution starts and never reloaded (its own tab signs in too).
        overview = await context.new_page()
        await console.sign_in(overview)
        await expect(overview.locator("#live")).to_have_text("live")
        await console.sign_in(page, at="#/identity?tab=schedules")
        row = page.locator(f"tr[data-schedule-id='{schedule['id']}']")
        await expect(row).to_contain_text("Manual")
        await expect(row.locator("td").nth(3)).to_have_text("3")
        await row.get_by_role("button", name="Run Console nightly now").click()
        await expect(page).to_have_url(re.compile(r"#/identity/schedule-executions/[0-9a-f-]{36}$"))
        execution_id = page.url.rsplit("/", 1)[1]
        await console.failpoints.wait_hit(STARTED)
        # Live, never reloaded: a step of group 0 is running, group 1 waits.
        await expect(page.locator("#execution-status")).to_have_text("InProgress", timeout=WAIT_MS)
        await expect(page.locator("li[data-group='0'] li[data-status='Running']").first).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("li[data-group='1'] li[data-step]")).to_have_attribute("data-status", "Waiting")
        await expect(page.locator("li[data-group='0']")).to_contain_text("2 steps in parallel")
        await shot(page, "schedule-execution-running")
        console.failpoints.release(STARTED, only="fast-0")
        await expect(page.locator("#execution-status")).to_have_text("Complete", timeout=WAIT_MS)
        steps = page.locator("li[data-step]")
        await expect(steps).to_have_count(3)
        for i in range(3):
            await expect(steps.nth(i)).to_have_attribute("data-status", "Completed", timeout=WAIT_MS)
        for group in ("0", "1"):
            await expect(page.locator(f"li[data-group='{group}']")).to_have_attribute("data-status", "Completed")
        hr_import = page.locator(f"li[data-step='0:{hr}:{await profile_id(stack, hr, 'Full Import')}']")
        await expect(hr_import).to_contain_text("200 of 200 objects (100%)")
        await expect(page.locator("#execution-live")).to_have_text("The execution ended: Complete.")
        await shot(page, "schedule-execution-complete")
        done = await stack.get(f"/api/v1/schedule-executions/{execution_id}")
        assert done["status"] == "Complete" and [s["status"] for s in done["steps"]] == ["Completed"] * 3, done
        # Each step links its activity.
        activity = next(s["activityId"] for s in done["steps"] if s["connectedSystemId"] == hr and s["stepIndex"] == 1)
        await page.locator(f"a[href='#/identity/activities/{activity}']").click()
        await expect(page.locator("#activity-status")).to_have_text("Complete")
        await expect(page.locator("#activity-execution")).to_have_attribute(
            "href", f"#/identity/schedule-executions/{execution_id}")  # and back to its execution
        # The overview's latest schedule executions learnt of it live (the run feed told it to read them again).
        latest = overview.locator(f"#schedule-executions tr[data-execution-id='{execution_id}']")
        await expect(latest).to_have_attribute("data-status", "Complete", timeout=WAIT_MS)
        await expect(latest).to_contain_text("Console nightly")
        await shot(overview, "overview-schedule-executions")
        # The executions tab, the schedule's last execution.
        await page.goto(f"{console.url}#/identity?tab=executions&scheduleId={schedule['id']}")
        await expect(page.locator(f"tr[data-execution-id='{execution_id}']")).to_contain_text("Complete")
        await page.goto(f"{console.url}#/identity?tab=schedules")
        await expect(row.get_by_role("link", name="Complete")).to_have_attribute(
            "href", f"#/identity/schedule-executions/{execution_id}")
        await shot(page, "identity-schedules")
    finally:
        console.failpoints.release(STARTED, only="fast-0")
        await context.close()


async def test_cancel_a_schedule_execution_from_the_console(console: Console) -> None:
    stack = console.stack
    systems = {c["name"]: c["id"] for c in (await stack.get("/api/v1/synchronisation/connected-systems"))["items"]}
    hr = systems[HR_NAME]
    schedule = await create_schedule(stack, "Console cancelled", [
        await step(stack, 0, hr, "Full Import"), await step(stack, 1, hr, "Delta Sync")])
    context, page = await console.page()
    console.failpoints.clear(STARTED, only="fast-0")
    try:
        await console.sign_in(page, at="#/identity?tab=schedules")
        await page.get_by_role("button", name="Run Console cancelled now").click()
        await expect(page).to_have_url(re.compile(r"#/identity/schedule-executions/[0-9a-f-]{36}$"))
        await console.failpoints.wait_hit(STARTED)  # step 0 holds its executor, paused
        await expect(page.locator("li[data-group='0'] li[data-step]")).to_have_attribute("data-status", "Running", timeout=WAIT_MS)
        await page.get_by_role("button", name="Cancel execution").click()
        await expect(page.locator("#execution-status")).to_have_text("Cancelled")
        await expect(page.locator("#execution-error")).to_have_text("Cancelled by user")
        await expect(page.locator("li[data-group='1'] li[data-step]")).to_have_attribute("data-status", "Cancelled")
        await expect(page.get_by_role("button", name="Cancel execution")).to_have_count(0)
        console.failpoints.release(STARTED, only="fast-0")
        # The running step stops at its executor; the stream says so and ends.
        await expect(page.locator("li[data-group='0'] li[data-step]")).to_have_attribute("data-status", "Cancelled", timeout=WAIT_MS)
        await expect(page.locator("#execution-live")).to_have_text("The execution ended: Cancelled.", timeout=WAIT_MS)
        ended = await stack.get(f"/api/v1/schedule-executions/{page.url.rsplit('/', 1)[1]}")
        assert (ended["scheduleId"], ended["status"]) == (schedule["id"], "Cancelled"), ended
        assert ended["steps"][0]["activityStatus"] == "Cancelled" and not ended["steps"][1].get("taskId"), ended
        await shot(page, "schedule-execution-cancelled")
    finally:
        console.failpoints.release(STARTED, only="fast-0")
        await context.close()


async def test_a_run_on_the_external_backend_links_to_the_worker_s_run(console: Console) -> None:
    stack = console.stack
    await make_slow_source(console.source_dsn, 300)
    connection = await stack.post(
        "/api/v1/connections",
        {"name": "source for external", "providerKey": "postgres", "config": {"dsn": console.source_dsn}}, expect=201)
    sync = await stack.post("/api/v1/syncs", {
        "connectionId": connection["id"], "name": "external events", "entities": ["events"],
        "executionBackend": "external", "executionConfig": {"pageSize": 100, "queue": "console-queue"},
        "tableBindings": [{"entityKey": "events", "tableName": "external_events_copy", "primaryKeyColumns": ["id"],
                           "cursorField": "updated_at", "loadMode": "upsert"}],
    }, expect=201)
    worker = await start_worker(stack, "console-worker", "console-queue")
    context, page = await console.page()
    try:
        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        done = await stack.wait_run(run["id"], {"succeeded", "failed", "cancelled"}, timeout=60)
        assert done["status"] == "succeeded" and done["executionBackend"] == "external", done
        ref, url = done["backendRunRef"], RUN_URL.format(ref=done["backendRunRef"])
        assert ref.startswith("console-worker-") and done["backendRunUrl"] == url, done
        await console.sign_in(page, at=f"#/runs/{run['id']}")
        await expect(page.locator("#run-status")).to_have_text("succeeded")
        backend = page.locator("#backend")
        await expect(backend).to_contain_text("external")
        await expect(backend.locator("code")).to_have_text(ref)
        link = page.locator("#backend-link")
        await expect(link).to_have_attribute("href", url)
        await expect(link).to_have_text(url)
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        await expect(backend.locator("pre")).to_contain_text(f'"pid": {worker.pid}')  # the worker's own status report
        await expect(backend).to_contain_text("Backend heartbeat")
        await shot(page, "run-external-backend")
    finally:
        await context.close()
        await worker.stop()



async def test_a_sync_job_run_with_its_resource_stats_and_webhook_deliveries(console: Console) -> None:
    async with CrmApi(contacts=25) as crm, WebhookReceiver() as receiver:
        hook = await call(console.stack, "POST", "/webhook", {
            "target_url": receiver.url("console"), "event_types": ["sync_job_run:created", "sync_job_run:completed"],
        }, expect=201)
        receiver.secrets["console"] = hook["secret"]
        seeded = await seed_resources(console.stack, crm.port)
        run = await call(console.stack, "POST", "/sync-job-run", {
            "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
            "args": {"project_slug": "vcs/org/repo"}, "daemon_group_key": "default",
        }, expect=201)
        done = await wait_status(console.stack, run["id"], TERMINAL)
        assert done["status"] == "completed", done
        [completed] = await receiver.wait_for("console", "sync_job_run:completed")

        async def both_delivered() -> bool:
            page = await call(console.stack, "GET", f"/sync-job-run/{run['id']}/webhook-delivery")
            return [d["status"] for d in page["result"]] == ["delivered", "delivered"]

        await wait_for(both_delivered, 30, "both deliveries to be recorded")
    context, page = await console.page()
    try:
        await console.sign_in(page, at="#/jobs")
        await page.get_by_role("link", name="contacts").first.click()
        await expect(page).to_have_url(re.compile(rf"#/jobs/runs/{run['id']}$"))
        await expect(page.locator("#job-status")).to_have_text("completed")
        stats = page.locator("tr[data-resource='crm/contacts'][data-method='list'] td")
        await expect(stats.nth(1)).to_have_text("25")  # fetched
        await expect(stats.nth(2)).to_have_text("25")  # persisted
        # The events delivered to the webhook, each with its answer.
        rows = page.locator("#deliveries tr[data-event]")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_have_attribute("data-event", "sync_job_run:created")
        delivered = page.locator("#deliveries tr[data-event='sync_job_run:completed']")
        await expect(delivered).to_have_attribute("data-status", "delivered")
        await expect(delivered).to_contain_text(completed["id"])
        # The body it was sent, on demand: the event as the webhook received it.
        body = delivered.locator("details.delivery-body")
        await body.locator("summary").click()
        await expect(body.locator("pre")).to_contain_text('"sync_job_run:completed"')
        await expect(delivered).to_contain_text("HTTP 200")
        await expect(delivered).to_contain_text(receiver.url("console"))
        await shot(page, "job-run")
    finally:
        await context.close()
        # Later runs of this module must not be delivered to a receiver that is gone.
        await call(console.stack, "DELETE", f"/webhook/{hook['id']}")


async def test_the_console_api_pages_streams_and_refuses_bad_input(console: Console) -> None:
    stack = console.stack
    before = await stack.get("/api/v1/console/runs?limit=1")
    sync_id = await create_sync(stack, console.source_dsn, "watched", "no_such_table_either")
    for _ in range(3):  # three run chains at least, whatever ran before in this module
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
        await stack.wait_chain(run["id"])
    # Pages: newest first, each run once, the cursor continues where the last page ended.
    first = await stack.get("/api/v1/console/runs?limit=2")
    assert first["runs"][0]["runId"] == run["id"] and first["runs"][0]["title"] == "watched"
    assert first["nextCursor"]
    second = await stack.get(f"/api/v1/console/runs?limit=2&cursor={first['nextCursor']}")
    assert {r["runId"] for r in first["runs"]}.isdisjoint(r["runId"] for r in second["runs"])
    assert second["runs"][0]["createdAt"] <= first["runs"][-1]["createdAt"]
    only = await stack.get("/api/v1/console/runs?dialect=syncs&status=failed&limit=200")
    assert only["runs"] and all(r["dialect"] == "syncs" and r["status"] == "failed" for r in only["runs"])
    # The stream from the first list's `asOf` catches up with what changed since (the new run, failed).
    assert stack.session is not None
    seen: dict[str, str] = {}
    async with stack.session.get(f"{stack.base}/api/v1/console/runs/watch", params={"since": before["asOf"]}) as resp:
        assert resp.status == 200
        async for line in resp.content:
            change = json.loads(line)["result"]
            seen[change["runId"]] = change["status"]
            if seen.get(run["id"]) == "failed":
                break
    # Hostile input is the admin-style 400 (google.rpc.Status), never a 5xx.
    for query in ("cursor=not-a-cursor", "dialect=nope", "status=exploded", "limit=100000", "createdFrom=yesterday"):
        body = await stack.get(f"/api/v1/console/runs?{query}", expect=400)
        assert body["code"] == 3, (query, body)
    async with stack.session.get(f"{stack.base}/api/v1/console/runs/watch", params={"since": "2001-01-01T00:00:00Z"}) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == 3  # a catch-up, not a scan of history
    # Reads are open to viewers; the identity dialect's runs are not (its API is for administrators).
    viewer = await stack.post("/api/v1/admin/api-keys", {"name": "console api viewer", "role": "viewer"}, expect=201)
    headers = {"X-API-Key": viewer["secret"]}
    caller = await stack.get("/api/v1/console/caller", headers=headers)
    assert caller == {"name": "console api viewer", "role": "viewer"}
    executors = await stack.get("/api/v1/console/executors", headers=headers)
    assert {x["executorId"] for x in executors["executors"]} >= {"fast-0", "slow-0"}
    systems = await stack.get("/api/v1/synchronisation/connected-systems")
    hr = next(c for c in systems["items"] if c["name"] == "HR CSV")
    profiles = await stack.get(f"/api/v1/synchronisation/connected-systems/{hr['id']}/run-profiles")
    full = next(p for p in profiles if p["name"] == "Full Import")
    await stack.post(f"/api/v1/synchronisation/connected-systems/{hr['id']}/run-profiles/{full['id']}/execute", expect=202)
    assert (await stack.get("/api/v1/console/runs?dialect=identity"))["runs"]
    assert (await stack.get("/api/v1/console/runs?dialect=identity", headers=headers))["runs"] == []
    await stack.get("/api/v1/console/caller", headers={"X-API-Key": "sp_wrong"}, expect=401)


async def test_the_overview_grows_a_page_at_a_time(console: Console) -> None:
    for _ in range(3):  # enough chains for three pages of two, whatever ran before
        sync_id = await create_sync(console.stack, console.source_dsn, "paged", "no_such_table_paged")
        run = await console.stack.post(f"/api/v1/syncs/{sync_id}/trigger", {})
        await console.stack.wait_chain(run["id"])
    everything = await console.stack.get("/api/v1/console/runs?limit=200")
    total = len(everything["runs"])
    context, page = await console.page()
    try:
        await console.sign_in(page, at="#/?limit=2")
        rows = page.locator("#runs-body tr")
        await expect(rows).to_have_count(2)
        more = page.get_by_role("button", name="Load more")
        for shown in range(4, total + 2, 2):
            await more.click()
            await expect(rows).to_have_count(min(shown, total))
        await expect(more).to_be_hidden()
        ids = await rows.evaluate_all("rows => rows.map(r => r.dataset.runId)")
        assert ids == [r["runId"] for r in everything["runs"]]  # newest first, each chain once
        await shot(page, "overview")
    finally:
        await context.close()

