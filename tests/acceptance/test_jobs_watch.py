"""Watching a sync job run (`GET /sync-job-run/{id}/watch` as NDJSON, and
`WatchSyncJobRun` over gRPC): updates of status and resource_stats as the run
goes, ending by itself at the terminal state. Real server and executors, the
local CRM API serving slow pages so updates come between them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.jobs_support import BEARER, TERMINAL, call, seed_resources
from tests.integration.sync_job_support import CrmApi

ARGS = {"project_slug": "vcs/org/repo"}
CONTACTS = 25  # three pages of 10


@pytest.fixture
async def crm() -> AsyncIterator[CrmApi]:
    async with CrmApi(contacts=CONTACTS) as api:
        # Each page takes a while: the stream has something to report between pages.
        api.page_delay = 0.8
        yield api


async def _start(stack: Stack, seeded: dict[str, Any]) -> dict[str, Any]:
    return await call(stack, "POST", "/sync-job-run", {
        "sync_job_id": seeded["job"]["id"], "integrated_account_id": seeded["account"]["id"], "args": ARGS,
    }, expect=201)


def _fetched(update: dict[str, Any]) -> int:
    return int(((update.get("resource_stats") or {}).get("crm/contacts") or {}).get("list", {}).get("fetched", 0))


def _assert_a_run_told_as_it_went(updates: list[dict[str, Any]], run_id: str) -> None:
    assert updates and all(u["id"] == run_id for u in updates)
    statuses = [u["status"] for u in updates]
    assert statuses[-1] == "completed" and not TERMINAL & set(statuses[:-1]), statuses
    assert "running" in statuses, statuses
    counts = [_fetched(u) for u in updates]
    assert counts == sorted(counts), counts  # counters only grow
    assert counts[-1] == CONTACTS
    # Told while running, not only at the end: a page's count before the last.
    assert any(0 < n < CONTACTS for n in counts), counts


async def test_the_ndjson_watch_streams_status_and_resource_stats_until_the_run_ends(stack: Stack, crm: CrmApi) -> None:
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded)
    assert stack.session is not None
    updates: list[dict[str, Any]] = []
    async with stack.session.get(
        f"{stack.base}/sync-job-run/{run['id']}/watch", headers={**BEARER, "Accept": "application/x-ndjson"}
    ) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/x-ndjson")
        # Read line by line as the server writes them; the server ends the stream.
        async for raw in resp.content:
            if raw.strip():
                line = json.loads(raw)
                assert "error" not in line, line
                updates.append(line["result"])
    _assert_a_run_told_as_it_went(updates, run["id"])
    final = await call(stack, "GET", f"/sync-job-run/{run['id']}")
    assert final["status"] == "completed" and final["resource_stats"] == updates[-1]["resource_stats"]


async def test_watching_an_unknown_run_is_a_404(api_stack: Stack) -> None:
    error = await call(api_stack, "GET", "/sync-job-run/0b4f0d1c-46a5-4c53-9a9e-1f7f1d0c8d11/watch", expect=404)
    assert error["statusCode"] == 404


async def test_the_grpc_watch_streams_the_same_updates(stack: Stack, crm: CrmApi) -> None:
    seeded = await seed_resources(stack, crm.port)
    run = await _start(stack, seeded)
    async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
        stub = service_pb2_grpc.SyncJobRunsServiceStub(channel)
        stream = stub.WatchSyncJobRun(
            pb.WatchSyncJobRunRequest(id=run["id"]), metadata=[("x-api-key", ADMIN_KEY)], timeout=90
        )
        updates = [
            json_format.MessageToDict(m, preserving_proto_field_name=True) async for m in stream
        ]
    _assert_a_run_told_as_it_went(updates, run["id"])
