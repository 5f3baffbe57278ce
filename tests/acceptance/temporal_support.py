"""Shared pieces of the Temporal backend's acceptance tests: ONE real
`temporal server start-dev` per test module (the `temporal` fixture; its UI
on, for run links), a syncplane stack configured for it (its own task queue
per test, so no workflow of another test is ever picked up), temporal-worker
processes, and reading a workflow back from Temporal.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionDescription

from syncplane.server.temporal_dev import TemporalDevServer
from syncplane.temporal_contract import workflow_id
from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import Proc, Stack

#: Short on purpose: a killed worker is noticed by Temporal within this (its
#: heartbeats are throttled to 0.8 of it).
HEARTBEAT_TIMEOUT = "3"


@pytest.fixture(scope="module")
async def temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TemporalDevServer]:
    """One dev server for the whole module, killed at its end."""
    server = TemporalDevServer(tmp_path_factory.mktemp("temporal"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def temporal_env(address: str, ui_url: str, task_queue: str) -> dict[str, str]:
    return {
        **FAST_ENGINE,
        "SYNCPLANE_TEMPORAL_ADDRESS": address,
        "SYNCPLANE_TEMPORAL_UI_URL": ui_url,
        "SYNCPLANE_TEMPORAL_TASK_QUEUE": task_queue,
        "SYNCPLANE_TEMPORAL_HEARTBEAT_TIMEOUT_SECONDS": HEARTBEAT_TIMEOUT,
    }


class TemporalStack:
    """A syncplane server configured for Temporal (no native executors) and
    its temporal-worker processes, all on one task queue of its own."""

    def __init__(self, stack: Stack, temporal: TemporalDevServer, task_queue: str, failpoints: Failpoints | None) -> None:
        self.stack = stack
        self.temporal = temporal
        self.task_queue = task_queue
        self.failpoints = failpoints
        self.workers: list[Proc] = []
        self._client: Client | None = None

    async def start_worker(self, name: str | None = None, *, armed: bool = True) -> Proc:
        """A `syncplane temporal-worker` process (armed with the test's failpoints unless told not)."""
        assert self.stack.executor_token is not None
        name = name or f"tworker-{len(self.workers)}"
        env = {**self.stack._env(), "SYNCPLANE_EXECUTOR_TOKEN": self.stack.executor_token}
        if self.failpoints is not None and armed:
            env.update(self.failpoints.env(name))
        proc = await self.stack._spawn(
            name, "temporal-worker", "--address", self.temporal.address, "--server", self.stack.grpc_target,
            "--task-queue", self.task_queue, "--slots", "2", "--drain-seconds", "2", env=env,
        )
        self.workers.append(proc)
        return proc

    def worker(self, name: str) -> Proc:
        return next(p for p in self.workers if p.name == name)

    async def client(self) -> Client:
        if self._client is None:
            self._client = await Client.connect(self.temporal.address, namespace=self.temporal.namespace)
        return self._client

    async def describe(self, wid: str) -> WorkflowExecutionDescription:
        return await (await self.client()).get_workflow_handle(wid).describe()

    async def workflow_result(self, wid: str) -> Any:
        """Waits until the workflow closes; its result."""
        return await asyncio.wait_for((await self.client()).get_workflow_handle(wid).result(), 120)

    async def activity_attempts(self, wid: str) -> list[int]:
        """The attempt number of each ActivityTaskStarted event of the workflow."""
        handle = (await self.client()).get_workflow_handle(wid)
        return [
            e.activity_task_started_event_attributes.attempt
            async for e in handle.fetch_history_events()
            if e.HasField("activity_task_started_event_attributes")
        ]

    def dump(self) -> None:
        for proc in [self.stack.server, *self.workers]:
            if proc is not None:
                print(f"----- {proc.name} log (tail) -----\n{proc.log()[-4000:]}")
        print(f"----- temporal log (tail) -----\n{self.temporal.log_tail(2000)}")


def workflow_of(run: dict[str, Any]) -> str:
    """The workflow id in a run's backendRunRef ("<workflow id>/<run id>"),
    checked against the id the contract derives from the run."""
    wid = str(run["backendRunRef"]).split("/")[0]
    assert wid.startswith(workflow_id(run["id"], 0).rsplit("-", 1)[0] + "-"), run["backendRunRef"]
    return wid


@asynccontextmanager
async def temporal_stack(
    dsn: str,
    tmp_path: Path,
    temporal: TemporalDevServer,
    *,
    workers: int = 1,
    failpoints: Failpoints | None = None,
    address: str | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[TemporalStack]:
    """A server whose `temporal` backend talks to `address` (default: the dev
    server; a proxy's to cut it) and `workers` temporal workers."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    stack = Stack(
        database_url=dsn, log_dir=tmp_path / "logs",
        env={**temporal_env(address or temporal.address, temporal.ui_url, queue), **(env or {})},
    )
    ts = TemporalStack(stack, temporal, queue, failpoints)
    try:
        await stack.start(executors=0)
        for _ in range(workers):
            await ts.start_worker()
        yield ts
    except BaseException:
        ts.dump()
        raise
    finally:
        if failpoints is not None:
            failpoints.release_all()
        for proc in ts.workers:
            proc.signal(signal.SIGKILL)
        await asyncio.gather(*(p.process.wait() for p in ts.workers), return_exceptions=True)
        await stack.stop()


async def create_temporal_sync(
    stack: Stack, source_dsn: str, *, table: str = "orders", dest_table: str = "orders_copy",
    page_size: int = 500, execution_config: dict[str, Any] | None = None, secrets: dict[str, str] | None = None,
) -> str:
    """A postgres -> postgres upsert sync run by the `temporal` backend; its id."""
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {dest_table}", "providerKey": "postgres", "config": {"dsn": source_dsn},
         **({"secrets": secrets} if secrets else {})},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"{table} to {dest_table}",
            "entities": [table],
            "executionBackend": "temporal",
            "executionConfig": {"pageSize": page_size, **(execution_config or {})},
            "tableBindings": [
                {"entityKey": table, "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": "upsert"}
            ],
        },
        expect=201,
    )
    return str(sync["id"])


__all__ = ["HEARTBEAT_TIMEOUT", "TemporalStack", "create_temporal_sync", "temporal", "temporal_env", "temporal_stack", "workflow_of"]
