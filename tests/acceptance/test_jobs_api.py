"""The sync-jobs dialect's REST API on a real server (no executors): the
seed's example, validation in the dialect's error body, cursor pagination,
webhook secrets, stopping a waiting run."""

from __future__ import annotations

import re
from typing import Any

from tests.acceptance.harness import Stack
from tests.acceptance.jobs_support import call, seed_resources

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RUN_FIELDS = {
    "id", "args", "resources", "sync_job_id", "integrated_account_id", "status", "daemon_id", "daemon_group_key",
    "webhook_id", "error_handling", "ignore_previous_run", "resource_stats", "created_at", "updated_at",
    "started_at", "finished_at", "sync_job",
}
JOB_FIELDS = {"id", "integration_name", "args_schema", "resources", "environment_id", "created_at", "updated_at"}


async def _run(stack: Stack, seeded: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "sync_job_id": seeded["job"]["id"],
        "integrated_account_id": seeded["account"]["id"],
        "args": {"project_slug": "vcs_provider/org_name/repo_name"},
        **extra,
    }
    return await call(stack, "POST", "/sync-job-run", body, expect=201)


async def test_the_seed_example_creates_a_waiting_run_with_every_documented_field(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    run = await _run(api_stack, seeded, daemon_group_key="default", error_handling="ignore", ignore_previous_run=False)
    assert RUN_FIELDS <= set(run)
    assert run["status"] == "created"
    assert run["args"] == {"project_slug": "vcs_provider/org_name/repo_name"}
    assert run["daemon_group_key"] == "default" and run["webhook_id"] is None and run["daemon_id"] is None
    assert run["error_handling"] == "ignore" and run["ignore_previous_run"] is False
    assert run["resources"] == [{"resource": "crm/contacts", "method": "list", "id": None, "query": None,
                                 "loop_on": None, "depends_on": None, "persist": None}]
    assert TS.match(run["created_at"]) and TS.match(run["updated_at"])
    assert run["started_at"] is None and run["finished_at"] is None
    assert JOB_FIELDS <= set(run["sync_job"]) and run["sync_job"]["id"] == seeded["job"]["id"]
    assert run["sync_job"]["integration_name"] == "acme_crm"
    assert run["sync_job"]["args_schema"]["required"] == ["project_slug"]
    fetched = await call(api_stack, "GET", f"/sync-job-run/{run['id']}")
    assert fetched["id"] == run["id"] and fetched["status"] == "created"


async def test_error_handling_defaults_to_ignore_and_the_group_to_default(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    run = await _run(api_stack, seeded)
    assert run["error_handling"] == "ignore" and run["daemon_group_key"] == "default"


async def test_args_that_break_the_args_schema_are_a_400_naming_the_field(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    body = {"sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
            "args": {"project_slug": "Not A Slug"}}
    error = await call(api_stack, "POST", "/sync-job-run", body, expect=400)
    assert error["statusCode"] == 400 and error["error"] == "Bad Request"
    assert "args.project_slug" in error["details"]
    body["args"] = {}
    error = await call(api_stack, "POST", "/sync-job-run", body, expect=400)
    assert "args.project_slug" in error["details"]
    assert "required" in error["details"]["args.project_slug"]


async def test_daemon_group_key_and_webhook_id_together_are_refused(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    body = {"sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
            "args": {"project_slug": "a/b/c"}, "daemon_group_key": "default",
            "webhook_id": "4a4de828-f4db-4c9e-adfd-434e0864c3c7"}
    error = await call(api_stack, "POST", "/sync-job-run", body, expect=400)
    assert set(error["details"]) == {"daemon_group_key", "webhook_id"}


async def test_unknown_error_handling_and_missing_ids_are_named(api_stack: Stack) -> None:
    error = await call(api_stack, "POST", "/sync-job-run", {"error_handling": "retry"}, expect=400)
    assert {"sync_job_id", "integrated_account_id", "error_handling"} <= set(error["details"])
    assert "'fail_fast' or 'ignore'" in error["details"]["error_handling"]
    error = await call(api_stack, "POST", "/sync-job-run",
                       {"sync_job_id": "not-a-uuid", "integrated_account_id": "94801e49-a652-42f9-af14-dd203d7897da"},
                       expect=400)
    assert "sync_job_id" in error["details"] and "integrated_account_id" in error["details"]


async def test_runs_page_with_next_cursor_until_null(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    created = [(await _run(api_stack, seeded))["id"] for _ in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?limit=2&sync_job_id={seeded['job']['id']}" + (f"&next_cursor={cursor}" if cursor else "")
        page = await call(api_stack, "GET", "/sync-job-run" + query)
        assert page["limit"] == 2 and len(page["result"]) <= 2
        seen += [r["id"] for r in page["result"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))  # newest first, each once
    error = await call(api_stack, "GET", "/sync-job-run?next_cursor=garbage", expect=400)
    assert "next_cursor" in error["details"]


async def test_status_filter_and_unknown_status(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    run = await _run(api_stack, seeded)
    page = await call(api_stack, "GET", "/sync-job-run?status=created")
    assert [r["id"] for r in page["result"]] == [run["id"]]
    assert (await call(api_stack, "GET", "/sync-job-run?status=completed"))["result"] == []
    error = await call(api_stack, "GET", "/sync-job-run?status=done", expect=400)
    assert "status" in error["details"]


async def test_delete_stops_a_waiting_run(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    run = await _run(api_stack, seeded)
    assert await call(api_stack, "DELETE", f"/sync-job-run/{run['id']}") == {"id": run["id"]}
    stopped = await call(api_stack, "GET", f"/sync-job-run/{run['id']}")
    assert stopped["status"] == "stopped" and TS.match(stopped["finished_at"])
    error = await call(api_stack, "DELETE", f"/sync-job-run/{run['id']}", expect=409)
    assert error["statusCode"] == 409


async def test_webhook_secret_is_returned_once_on_create(api_stack: Stack) -> None:
    hook = await call(api_stack, "POST", "/webhook", {
        "target_url": "http://127.0.0.1:9/hook", "event_types": ["sync_job_run:completed"],
    }, expect=201)
    assert isinstance(hook["secret"], str) and len(hook["secret"]) >= 32 and hook["is_active"] is True
    assert (await call(api_stack, "GET", f"/webhook/{hook['id']}"))["secret"] is None
    listed = await call(api_stack, "GET", "/webhook")
    assert [h["secret"] for h in listed["result"]] == [None]
    error = await call(api_stack, "POST", "/webhook", {"target_url": "ftp://x", "event_types": ["nope"]}, expect=400)
    assert {"target_url", "event_types.0"} <= set(error["details"])


async def test_account_credentials_are_write_only(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    account = await call(api_stack, "GET", f"/integrated-account/{seeded['account']['id']}")
    assert account["has_credentials"] is True
    assert "credentials" not in account and "crm-token-secret" not in str(account)


async def test_bearer_is_required_and_viewers_cannot_write(api_stack: Stack) -> None:
    assert api_stack.session is not None
    async with api_stack.session.get(api_stack.base + "/sync-job", headers={"X-API-Key": ""}) as resp:
        assert resp.status == 401
        body = await resp.json()
        assert body["statusCode"] == 401


async def test_sync_job_validation_names_resources_and_integration(api_stack: Stack) -> None:
    await seed_resources(api_stack)
    error = await call(api_stack, "POST", "/sync-job", {
        "integration_name": "acme_crm",
        "resources": [{"resource": "crm/tickets", "method": "list"}, {"resource": "users", "method": "delete"}],
        "args_schema": {"type": "nonsense"},
    }, expect=400)
    assert {"resources.0.resource", "resources.1.method", "args_schema"} <= set(error["details"])
    error = await call(api_stack, "POST", "/sync-job", {"integration_name": "nope", "resources": []}, expect=400)
    assert {"integration_name", "resources"} <= set(error["details"])


async def test_cron_trigger_and_daemon_resources(api_stack: Stack) -> None:
    seeded = await seed_resources(api_stack)
    trigger = await call(api_stack, "POST", "/sync-job-cron-trigger", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
        "args": {"project_slug": "a/b/c"}, "cron_expression": "*/5 * * * *",
    }, expect=201)
    assert trigger["daemon_group_key"] == "default" and TS.match(trigger["next_run_at"])
    error = await call(api_stack, "POST", "/sync-job-cron-trigger", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"],
        "args": {}, "cron_expression": "every minute",
    }, expect=400)
    assert {"cron_expression", "args.project_slug"} <= set(error["details"])
    assert await call(api_stack, "DELETE", f"/sync-job-cron-trigger/{trigger['id']}") == {"id": trigger["id"]}
    daemon = await call(api_stack, "POST", "/daemon", {"label": "worker 1", "group_key": "crm"}, expect=201)
    assert daemon["status"] == "starting" and daemon["last_active_at"] is None and daemon["group_key"] == "crm"
    assert (await call(api_stack, "GET", "/daemon?group_key=crm"))["result"][0]["id"] == daemon["id"]
