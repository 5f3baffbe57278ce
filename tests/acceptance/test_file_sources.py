"""The `sftp` and `s3` sources end to end: connections with write-only secrets
and syncs through the REST API, run by real server and executor processes
against real file servers in their own processes — asyncssh's SSH/SFTP server
(rooted in a temporary directory, password and key auth) and moto's
standalone S3 server (a real HTTP server speaking S3, signatures enforced)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import table_rows
from tests.acceptance.faults import (
    Failpoints,
    describe,
    executor_named,
    fault_rng,
    fault_stack,
    log_events,
    run_chain,
    wait_for,
)
from tests.acceptance.harness import Stack
from tests.integration.file_servers import SFTP_PASSWORD, S3Server, SftpServer, s3_server, sftp_server, write_file  # noqa: F401
from tests.integration.file_support import csv_text, jsonl_text, orders

pytestmark = pytest.mark.acceptance

COLUMNS = ["id", "customer", "total"]
T0 = 1_700_000_000
ORDERS_ENTITY = {"path": "orders/*.csv", "format": "csv", "csv": {"columnTypes": {"id": "integer"}}}


async def _sftp_connection(stack: Stack, server: SftpServer, root: Path, password: str = SFTP_PASSWORD) -> dict[str, Any]:
    return await stack.post(
        "/api/v1/connections",
        {"name": "partner drop", "providerKey": "sftp",
         "config": server.connection_config(root=f"/{root.name}"), "secrets": {"password": password}},
        expect=201,
    )


async def _sync(stack: Stack, connection: dict[str, Any], entity: str, config: dict[str, Any], binding: dict[str, Any], page_size: int = 1000) -> dict[str, Any]:
    return await stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": f"{entity} files", "entities": [entity],
         "sourceConfig": {"entities": {entity: config}}, "executionConfig": {"pageSize": page_size},
         "tableBindings": [{"entityKey": entity, **binding}]},
        expect=201,
    )


async def _trigger(stack: Stack, sync: dict[str, Any], run_mode: str) -> dict[str, Any]:
    run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": run_mode})
    return await stack.wait_chain(run["id"])


def _no_secret_in_logs(stack: Stack, secret: str) -> None:
    for proc in [stack.server, *stack.executors]:
        assert proc is not None
        assert secret not in proc.log(), f"{proc.name} logged the secret"


async def test_sftp_csv_sync_full_then_incremental(stack: Stack, fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    a = write_file(root / "orders/a.csv", csv_text(orders(1, 40), COLUMNS), T0)
    b = write_file(root / "orders/b.csv", csv_text(orders(41, 60), COLUMNS), T0 + 60)
    connection = await _sftp_connection(stack, sftp_server, root)
    assert connection["secretKeys"] == ["password"] and SFTP_PASSWORD not in str(connection)
    sync = await _sync(stack, connection, "orders", ORDERS_ENTITY,
                       {"tableName": "sftp_orders", "primaryKeyColumns": ["id"], "loadMode": "upsert"}, page_size=7)

    full = await _trigger(stack, sync, "full")
    assert full["status"] == "succeeded", full
    assert full["summary"]["rowsWritten"] == 60
    # The run shows the bytes the files held and the bytes read (the CLI's byte progress).
    size = a.stat().st_size + b.stat().st_size
    entity = full["summary"]["entities"]["orders"]
    assert (entity["bytesTotal"], entity["bytesRead"]) == (size, size), entity
    assert await table_rows(fresh_dsn, "SELECT id FROM public.sftp_orders ORDER BY id") == [(i,) for i in range(1, 61)]

    write_file(root / "orders/c.csv", csv_text(orders(61, 65), COLUMNS), T0 + 120)  # added
    a.write_text(csv_text([{"id": 1, "customer": "renamed", "total": "0"}, *orders(2, 40)], COLUMNS))  # touched
    incremental = await _trigger(stack, sync, "incremental")

    assert incremental["status"] == "succeeded", incremental
    # b.csv (the mark's own time, re-read under upsert) + c.csv + a.csv; nothing else.
    assert incremental["summary"]["rowsRead"] == 20 + 5 + 40
    assert await table_rows(fresh_dsn, "SELECT count(*), min(customer) FROM public.sftp_orders WHERE id <= 65") == [(65, "customer 10")]
    assert await table_rows(fresh_dsn, "SELECT customer FROM public.sftp_orders WHERE id = 1") == [("renamed",)]
    _no_secret_in_logs(stack, SFTP_PASSWORD)


async def test_s3_jsonl_append_sync_loads_each_event_once(stack: Stack, fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    await s3_server.put(bucket, "landing/events/day1.jsonl", jsonl_text([{"id": i, "kind": "view"} for i in range(1, 6)]).encode())
    connection = await stack.post(
        "/api/v1/connections",
        {"name": "lake", "providerKey": "s3", "config": s3_server.connection_config(bucket, prefix="landing"),
         "secrets": s3_server.secrets},
        expect=201,
    )
    assert sorted(connection["secretKeys"]) == ["accessKeyId", "secretAccessKey"]
    sync = await _sync(stack, connection, "events", {"path": "events/*.jsonl", "format": "jsonl"},
                       {"tableName": "lake_events", "loadMode": "append_event"})

    assert (await _trigger(stack, sync, "incremental"))["status"] == "succeeded"
    await asyncio.sleep(1.1)  # S3 times are whole seconds
    await s3_server.put(bucket, "landing/events/day2.jsonl", jsonl_text([{"id": 6, "kind": "click", "extra": True}]).encode())
    second = await _trigger(stack, sync, "incremental")

    assert second["status"] == "succeeded", second
    assert second["summary"]["rowsRead"] == 1
    rows = await table_rows(fresh_dsn, "SELECT id, kind, extra FROM public.lake_events ORDER BY id")
    assert rows == [(i, "view", None) for i in range(1, 6)] + [(6, "click", True)]
    _no_secret_in_logs(stack, s3_server.secret_access_key)


async def test_file_catalogs_and_configs_are_validated(api_stack: Stack) -> None:
    for provider in ("sftp", "s3"):
        catalog = await api_stack.get(f"/api/v1/syncs/providers/{provider}/catalog")
        assert catalog["runnable"] is True and catalog["dynamicResources"] is True
        entity_schema = catalog["configSchema"]["properties"]["entities"]["additionalProperties"]
        assert entity_schema["required"] == ["path", "format"]
        assert catalog["defaults"]["cursorField"] == "_file_modified_at"

    bad_conn = await api_stack.post(
        "/api/v1/connections", {"name": "x", "providerKey": "sftp", "config": {"host": "h", "port": 70000}}, expect=422
    )
    assert {tuple(d["loc"]) for d in bad_conn["detail"]} == {("body", "config"), ("body", "config", "port")}
    connection = await api_stack.post(
        "/api/v1/connections", {"name": "x", "providerKey": "s3", "config": {"bucket": "data"}}, expect=201
    )
    err = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": connection["id"], "name": "x", "sourceConfig": {"entities": {
            "orders": {"path": "../etc/*.csv", "format": "xml", "csv": {"delimiter": ";;"}},
            "events": {"format": "jsonl"}}}},
        expect=422,
    )
    details = {tuple(d["loc"]): d for d in err["detail"]}
    assert set(details) == {
        ("body", "sourceConfig", "entities", "orders", "path"),
        ("body", "sourceConfig", "entities", "orders", "format"),
        ("body", "sourceConfig", "entities", "orders", "csv", "delimiter"),
        ("body", "sourceConfig", "entities", "events"),  # path is required
    }
    assert all(d["type"] and d["msg"] for d in err["detail"])


async def test_a_wrong_sftp_password_fails_clearly_and_is_never_logged(stack: Stack, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    write_file(root / "orders/a.csv", csv_text(orders(1, 3), COLUMNS), T0)
    wrong = "Wr0ng-pa55-" + "x" * 12
    connection = await _sftp_connection(stack, sftp_server, root, password=wrong)
    sync = await _sync(stack, connection, "orders", ORDERS_ENTITY, {"primaryKeyColumns": ["id"]})

    run = await _trigger(stack, sync, "full")

    assert run["status"] == "failed" and run["resultReasonCode"] == "source_auth_error", run
    assert "authentication failed" in run["error"] and wrong not in run["error"]
    assert run["attemptNumber"] == 1 and not run.get("nextAttemptRunId")  # not resumed: retrying cannot help
    _no_secret_in_logs(stack, wrong)


ROWS = 30_000
PAGE = 1_000
POINT = "executor.batch.committed"


async def test_executor_sigkill_mid_file_resumes_at_the_offset(
    fresh_dsn: str, tmp_path: Path, sftp_server: SftpServer
) -> None:
    """A SIGKILLed executor's run resumes on another executor from the committed
    byte offset: the table ends with exactly the files' rows, and the resumed
    attempt reads exactly the rows that were not committed. The kill comes
    while the executor is paused at a failpoint after its n-th batch (inside
    a.csv), so the run is certainly mid-file."""
    rng = fault_rng("files_executor_sigkill")
    root = sftp_server.new_dir()
    rows = [{"id": i, "customer": f"customer, {i}", "total": f"{i % 997}.{i % 100:02d}"} for i in range(1, ROWS + 1)]
    write_file(root / "orders/a.csv", csv_text(rows[: ROWS * 2 // 3], COLUMNS), T0)
    write_file(root / "orders/b.csv", csv_text(rows[ROWS * 2 // 3 :], COLUMNS), T0 + 1)
    nth = rng.randrange(3, ROWS * 2 // 3 // PAGE - 2)  # inside a.csv
    print(f"kill at {POINT} #{nth}")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{nth}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        connection = await _sftp_connection(stack, sftp_server, root)
        sync = await _sync(stack, connection, "orders", ORDERS_ENTITY,
                           {"tableName": "killed_orders", "primaryKeyColumns": ["id"], "loadMode": "upsert"}, page_size=PAGE)

        run = await stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        victim = executor_named(stack, await fp.wait_hit(POINT))

        # The batches committed before the paused one have reached the server.
        async def reported() -> dict[str, Any] | None:
            current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
            return current if current["summary"].get("rowsWritten", 0) >= (nth - 1) * PAGE else None
        current = await wait_for(reported, 60, f"{nth - 1} batches reported")
        assert current["status"] == "running" and current["executorId"] == victim.name, current
        at_rows = int(current["summary"]["rowsWritten"])
        await victim.kill()
        killed_at = time.monotonic()
        fp.release(POINT)
        await stack.start_executor(name="executor-r")

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(f"detected and resumed in {time.monotonic() - killed_at:.1f}s; chain: {describe(chain)}")
        assert final["status"] == "succeeded", describe(chain)
        assert chain[0]["resultReasonCode"] == "heartbeat_timeout" and chain[1]["triggeredBy"] == "auto_resume"

        resumed = [e for p in stack.executors for e in log_events(p, "files.entity_started", run_id=final["id"])]
        assert len(resumed) == 1 and resumed[0]["resumed"] is True, resumed
        committed = int(resumed[0]["rows_committed"])
        assert committed >= at_rows
        # Nothing read twice, nothing skipped: the resume starts at the committed offset.
        assert final["summary"]["rowsRead"] == ROWS - committed
        loaded = await table_rows(fresh_dsn, "SELECT id, customer, total FROM public.killed_orders ORDER BY id")
        assert loaded == [(r["id"], r["customer"], r["total"]) for r in rows]
