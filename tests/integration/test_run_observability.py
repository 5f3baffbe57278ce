"""A run's operations view on a real server: one in-process ServerApp (real PostgreSQL, gRPC and HTTP
sockets) and one in-process executor over the real stream, tracing on with an in-memory exporter.

- The attempt's trace: run.trigger -> run.dispatch -> executor.run -> executor.batch (one per committed
  batch), and run.finish, one trace id, each span carrying run_id, sync_id (the subject) and attempt.
- Every log line naming the run (server and executor) carries the subject's id and the attempt, and
  so do the dialects' own lines about a sync job run and an identity activity.
- /metrics on the HTTP port shows the run started and finished, the rows, the request by route
  template, and the executor's own figures sent over the stream, labelled by executor.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from syncplane import telemetry
from syncplane.executor.context import RunContext
from syncplane.executor.runner import Executor, ExecutorConfig
from syncplane.server.app import ServerApp
from syncplane.server.config import ServerSettings
from syncplane.server.db.runs import NewRun
from syncplane.server.engine.hooks import BaseKindHooks
from syncplane.server.observability import tracing
from tests.acceptance.jobs_support import integration_body
from tests.acceptance.wait_support import wait_for

BATCHES = 3
ROWS_PER_BATCH = 7


async def _batches(ctx: RunContext) -> None:
    """A connector that commits BATCHES batches, each checkpointed (as every real one does)."""
    for i in range(BATCHES):
        await asyncio.sleep(0.01)
        ctx.progress("things", rows_read=ROWS_PER_BATCH, rows_written=ROWS_PER_BATCH, phase="running")
        ctx.commit_checkpoint({"batch": i + 1})


def _value(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def traced() -> AsyncIterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstrument()
        telemetry.uninstall()


@pytest.fixture
async def app(migrated_dsn: str, tmp_path: Path, traced: InMemorySpanExporter) -> AsyncIterator[ServerApp]:
    settings = ServerSettings(database_url=migrated_dsn, data_store_url=migrated_dsn, grpc_port=0, http_port=0,
                              data_dir=tmp_path)
    server = ServerApp(settings)
    await server.start()
    assert server.engine is not None
    server.engine.register_kind("test", BaseKindHooks())
    try:
        yield server
    finally:
        await server.stop()


async def test_a_run_is_traced_logged_and_counted(app: ServerApp, traced: InMemorySpanExporter) -> None:
    assert app.engine is not None and app.keys is not None
    _, token = await app.keys.create_executor_token("observability")
    executor = Executor(
        ExecutorConfig(server=f"127.0.0.1:{app.grpc_port}", token=token, slots=1, executor_id="exec-obs"),
        connectors={"batches": _batches},
    )
    runner = asyncio.create_task(executor.run())
    labels = {"kind": "test", "backend": "native"}
    started_before = _value("syncplane_runs_started_total", labels)
    finished_before = _value("syncplane_runs_finished_total", {**labels, "result": "succeeded"})
    rows_before = _value("syncplane_rows_total", {"kind": "test", "direction": "written"})
    subject = uuid.uuid4()
    try:
        await wait_for(lambda: _ready(app), 30, "the executor's session")
        with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            run = await app.engine.queue(NewRun(
                subject_kind="test", subject_id=subject, connector="batches", spec={}, triggered_by="manual",
                concurrency_key=f"test:{subject}",
            ))
            ended = await wait_for(lambda: _ended(app, run.id), 30, "the run's end")
            # The executor's figures arrive with a heartbeat after its batches.
            await wait_for(lambda: _at_least("syncplane_executor_batches_total", {"executor": "exec-obs"}, BATCHES),
                           30, "the executor's batches in its heartbeat")
        assert _value("syncplane_executor_memory_rss_bytes", {"executor": "exec-obs"}) > 0
    finally:
        executor.stop()
        await runner
    assert ended.status == "succeeded"
    run_id = str(run.id)

    # -- the trace --------------------------------------------------------------------------------
    spans = [s for s in traced.get_finished_spans() if s.attributes and s.attributes.get("run_id") == run_id]
    by_name: dict[str, list[Any]] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    assert set(by_name) == {"run.trigger", "run.dispatch", "executor.run", "executor.batch", "run.finish"}
    assert len(by_name["executor.batch"]) == BATCHES
    assert len({s.context.trace_id for s in spans}) == 1, "one trace per attempt"
    trigger, dispatch = by_name["run.trigger"][0], by_name["run.dispatch"][0]
    executed, finish = by_name["executor.run"][0], by_name["run.finish"][0]
    assert dispatch.parent.span_id == trigger.context.span_id
    assert executed.parent.span_id == dispatch.context.span_id
    assert all(b.parent.span_id == executed.context.span_id for b in by_name["executor.batch"])
    assert finish.parent.span_id == trigger.context.span_id
    for span in spans:
        assert span.attributes["sync_id"] == str(subject) and span.attributes["attempt"] == 1, span.name

    # -- the logs ---------------------------------------------------------------------------------
    about_run = [e for e in logs if e.get("run_id") == run_id]
    names = {e["event"] for e in about_run}
    assert {"run.queued", "run.assigned", "run.started", "run.finished"} <= names, names
    for event in about_run:
        assert event.get("subject_id") == str(subject) and event.get("attempt") == 1, event

    # -- the metrics ------------------------------------------------------------------------------
    assert _value("syncplane_runs_started_total", labels) == started_before + 1
    assert _value("syncplane_runs_finished_total", {**labels, "result": "succeeded"}) == finished_before + 1
    assert _value("syncplane_rows_total", {"kind": "test", "direction": "written"}) == rows_before + BATCHES * ROWS_PER_BATCH
    assert _value("syncplane_run_duration_seconds_count", {**labels, "result": "succeeded"}) >= 1
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{app.http_port}"
        async with http.get(f"{base}/api/v1/syncs/{uuid.uuid4()}") as resp:
            assert resp.status == 401
        async with http.get(f"{base}/metrics") as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
            text = await resp.text()
    assert 'syncplane_http_requests_total{method="GET",route="/api/v1/syncs/{sync_id}",status="401"}' in text
    assert 'syncplane_runs_finished_total{backend="native",kind="test",result="succeeded"}' in text
    # The executor left: its series went with its session (executors come and go; labels must not pile up).
    assert 'syncplane_executor_memory_rss_bytes{executor="exec-obs"}' not in text
    assert "syncplane_queue_depth" in text and "syncplane_db_pool_connections" in text

    # -- the instrumentation: the REST call, its gRPC call (client and server) and asyncpg's statements --
    every = traced.get_finished_spans()
    attrs = [dict(span.attributes or {}) for span in every]
    assert any(a.get("rpc.system") == "grpc" and a.get("rpc.method") == "GetSync" for a in attrs)
    assert any(span.kind is SpanKind.SERVER and span.name == "GET /api/v1/syncs/{sync_id}"
               and a.get("http.route") == "/api/v1/syncs/{sync_id}" for span, a in zip(every, attrs))
    assert any(a.get("db.system") == "postgresql" for a in attrs)


async def test_dialect_log_lines_about_a_run_carry_its_ids(app: ServerApp) -> None:
    """A sync job run (created, then stopped) and an identity activity (executed, then its task cancelled):
    every line the dialects log about them names the engine run, the subject and the attempt, as the
    engine's own lines do; none names the subject as the run (no executor: both stay pending)."""
    assert app.engine is not None and app.keys is not None
    _, key = await app.keys.create_api_key("observability", "administrator")
    base = f"http://127.0.0.1:{app.http_port}"
    async with aiohttp.ClientSession(headers={"X-API-Key": key, "Authorization": f"Bearer {key}"}) as http:
        async def call(method: str, path: str, body: Any = None) -> Any:
            async with http.request(method, base + path, json=body) as resp:
                assert resp.status < 300, (method, path, resp.status, await resp.text())
                return await resp.json()

        await call("POST", "/integration", integration_body(9))
        account = await call("POST", "/integrated-account", {
            "integration_name": "acme_crm", "context": {"version": "v1"}, "credentials": {"token": "t0ken"}})
        job = await call("POST", "/sync-job", {"integration_name": "acme_crm", "label": "contacts",
                                                "resources": [{"resource": "crm/contacts", "method": "list"}]})
        cs = await call("POST", "/api/v1/synchronisation/connected-systems", {
            "name": "HR", "connectorDefinitionId": 1, "settings": {"anchorAttribute": "employeeId", "filePath": "/data/hr.csv"}})
        cs_path = f"/api/v1/synchronisation/connected-systems/{cs['id']}"
        rp = await call("POST", f"{cs_path}/run-profiles", {"name": "Full Import", "runType": "FullImport"})
        with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            job_run = await call("POST", "/sync-job-run", {
                "sync_job_id": job["id"], "integrated_account_id": account["id"], "args": {"project_slug": "a/b/c"}})
            await call("PATCH", f"/sync-job-run/{job_run['id']}", {"status": "stopped"})
            executed = await call("POST", f"{cs_path}/run-profiles/{rp['id']}/execute")
            await call("POST", f"/api/v1/worker-tasks/{executed['taskId']}/cancel")
    (engine_run,), _ = await app.engine.list_for("sync_job", uuid.UUID(job_run["id"]), 10, 0)
    expected = {
        job_run["id"]: str(engine_run.id),  # subject (the sync job run) -> its engine run
        executed["activityId"]: executed["taskId"],  # the activity -> its task (the engine run)
    }
    dialects = [e for e in logs if e["event"].startswith(("jobs.", "identity."))]
    names = {e["event"] for e in dialects}
    assert {"jobs.run_created", "jobs.run_ended", "identity.run_profile_executed", "identity.task_cancel",
            "identity.activity_ended"} <= names, names
    for event in dialects:
        assert event.get("subject_id") in expected, event
        assert event.get("run_id") == expected[event["subject_id"]] and event.get("attempt") == 1, event
    # The engine's lines about those runs say the same.
    about = [e for e in logs if e.get("run_id") in expected.values()]
    assert {"run.queued", "run.cancelled"} <= {e["event"] for e in about}
    assert all(expected.get(e.get("subject_id")) == e["run_id"] and e.get("attempt") == 1 for e in about), about


async def _ready(app: ServerApp) -> bool:
    return app.sessions.connected() > 0


async def _ended(app: ServerApp, run_id: uuid.UUID) -> Any:
    assert app.engine is not None
    run = await app.engine.get(run_id)
    return run if run.status in ("succeeded", "failed", "cancelled") else None


async def _at_least(name: str, labels: dict[str, str], value: float) -> bool:
    return _value(name, labels) >= value
