"""Shared pieces of the Prefect backend's acceptance tests: ONE real `prefect
server start` per test module (the `prefect` fixture; its UI on, for run
links), a syncplane stack configured for it with a work pool and deployment of
its own per test (so no flow run of another test is ever picked up), Prefect
process workers, and reading flow runs back from Prefect.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun

from syncplane.prefect_contract import FLOW_NAME
from syncplane.server.prefect_local import LocalPrefect, LocalProcess
from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import Stack

#: The bound on a silent flow run in these tests (production default: 30 s).
SILENCE_SECONDS = 6.0


@pytest.fixture(scope="module")
async def prefect(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalPrefect]:
    """One Prefect server for the whole module, stopped at its end."""
    local = LocalPrefect(tmp_path_factory.mktemp("prefect"))
    await local.start_server()
    try:
        yield local
    finally:
        await local.stop()


class PrefectStack:
    """A syncplane server configured for Prefect (no native executors), its
    work pool and deployment, and Prefect workers of that pool."""

    def __init__(self, stack: Stack, prefect: LocalPrefect, failpoints: Failpoints | None) -> None:
        self.stack = stack
        self.prefect = prefect
        self.failpoints = failpoints
        self.workers: list[LocalProcess] = []

    async def start_worker(self, name: str | None = None, *, armed: bool = True) -> LocalProcess:
        """A Prefect process worker of this test's pool (its flows armed with
        the test's failpoints unless told not)."""
        assert self.stack.executor_token is not None
        name = name or f"pworker-{len(self.workers)}"
        env = {"SYNCPLANE_LOG_LEVEL": "INFO"}
        if self.failpoints is not None and armed:
            env.update(self.failpoints.env(name))
        worker = await self.prefect.start_worker(self.stack.executor_token, name=name, env=env)
        self.workers.append(worker)
        return worker

    async def flow_run(self, flow_run_id: str) -> FlowRun:
        async with PrefectClient(self.prefect.api_url) as client:
            return await client.read_flow_run(uuid.UUID(flow_run_id))

    async def wait_flow_state(self, flow_run_id: str, wanted: set[str], timeout: float = 60.0) -> FlowRun:
        """Waits until Prefect says the flow run is in one of `wanted` (state types)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            flow_run = await self.flow_run(flow_run_id)
            if flow_run.state is not None and flow_run.state.type.value in wanted:
                return flow_run
            if loop.time() > deadline:
                raise TimeoutError(f"flow run {flow_run_id} is {flow_run.state}, not {wanted}")
            await asyncio.sleep(0.1)

    def dump(self) -> None:
        procs: list[Any] = [self.stack.server, *self.workers]
        for proc in procs:
            if proc is not None:
                print(f"----- {proc.name} log (tail) -----\n{proc.log()[-4000:]}")
        if self.prefect.server is not None:
            print(f"----- prefect server log (tail) -----\n{self.prefect.server.log()[-2000:]}")


@asynccontextmanager
async def prefect_stack(
    dsn: str, tmp_path: Path, prefect: LocalPrefect, *, workers: int = 1, failpoints: Failpoints | None = None
) -> AsyncIterator[PrefectStack]:
    """A server whose `prefect` backend uses a work pool and deployment of this
    test's own (deployed now), and `workers` Prefect workers of it."""
    tag = f"t{uuid.uuid4().hex[:10]}"
    local = LocalPrefect(prefect.home, prefect.host, prefect.port, work_pool=tag, deployment=f"{FLOW_NAME}/{tag}")
    local.server = prefect.server
    await local.deploy(concurrency=4)
    env = {
        **FAST_ENGINE,
        # The lease only matters until a flow reports; polls renew it, and a
        # busy Prefect may take seconds to answer one.
        "SYNCPLANE_LEASE_SECONDS": "10",
        # A cancel reaches a flow through its reports or Prefect's SIGTERM; neither may be outrun.
        "SYNCPLANE_CANCEL_TIMEOUT_SECONDS": "60",
        "SYNCPLANE_PREFECT_API_URL": local.api_url,
        "SYNCPLANE_PREFECT_WORK_POOL": local.work_pool,
        "SYNCPLANE_PREFECT_DEPLOYMENT": local.deployment,
        "SYNCPLANE_PREFECT_SILENCE_SECONDS": str(SILENCE_SECONDS),
    }
    stack = Stack(database_url=dsn, log_dir=tmp_path / "logs", env=env)
    ps = PrefectStack(stack, local, failpoints)
    try:
        await stack.start(executors=0)
        for _ in range(workers):
            await ps.start_worker()
        yield ps
    except BaseException:
        ps.dump()
        raise
    finally:
        if failpoints is not None:
            failpoints.release_all()
        # Workers and their flow processes (their sessions), not the module's Prefect server.
        await asyncio.gather(*(w.stop(timeout=5) for w in ps.workers), return_exceptions=True)
        await stack.stop()


async def create_prefect_sync(
    stack: Stack, source_dsn: str, *, table: str = "orders", dest_table: str = "orders_copy", page_size: int = 500
) -> str:
    """A postgres -> postgres upsert sync run by the `prefect` backend; its id."""
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {dest_table}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"{table} to {dest_table}",
            "entities": [table],
            "executionBackend": "prefect",
            "executionConfig": {"pageSize": page_size},
            "tableBindings": [
                {"entityKey": table, "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": "upsert"}
            ],
        },
        expect=201,
    )
    return str(sync["id"])


__all__ = ["SILENCE_SECONDS", "PrefectStack", "create_prefect_sync", "prefect", "prefect_stack"]
