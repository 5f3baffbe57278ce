"""Helpers of the identity-schedule acceptance tests: a module's stack with the
demo (HR CSV → metaverse → accounts table) and failpoint-armed executors, and
calls on schedules and their executions."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from syncplane.server.db.dsn import with_database
from syncplane.server.db.pool import create_pool
from syncplane.server.demo_identity import install_identity
from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, ok

STARTED = "executor.run.started"
SCHEDULES = "/api/v1/schedules"
EXECUTIONS = "/api/v1/schedule-executions"


@dataclass
class Demo:
    stack: Stack
    failpoints: Failpoints
    ids: dict[str, int]
    files: Path
    directory_dsn: str


async def demo_stack(dsn: str, pg_root_dsn: str, root: Path, executors: int = 2) -> AsyncIterator[Demo]:
    """A server, `executors` executors armed at `executor.run.started` (released:
    runs pass until a test `clear`s it), and the identity demo installed."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    fp = Failpoints(root / "failpoints", {STARTED: "pause"})
    stack = Stack(database_url=dsn, log_dir=root / "logs",
                  env={**FAST_ENGINE, "SYNCPLANE_FILE_ROOTS": str(files)})
    directory_db = "sched_dir_" + uuid.uuid4().hex[:10]
    try:
        await stack.start_server()
        for i in range(executors):
            await stack.start_executor(2, env=fp.env(f"executor-{i}"))
        fp.release(STARTED)
        await stack.wait_http(lambda status, body: status == 200, "/readyz")
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            ids = await install_identity(pool, pg_root_dsn, files, directory_db=directory_db)
        finally:
            await pool.close()
        yield Demo(stack, fp, ids, files, with_database(pg_root_dsn, directory_db))
    finally:
        fp.release_all()
        await stack.stop()
        conn = await asyncpg.connect(pg_root_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{directory_db}" WITH (FORCE)')
        finally:
            await conn.close()


async def profile_id(stack: Stack, cs_id: int, name: str) -> int:
    return next(p["id"] for p in await ok(stack, "GET", f"{CS}/{cs_id}/run-profiles") if p["name"] == name)


async def step(stack: Stack, index: int, cs_id: int, profile: str, **extra: Any) -> dict[str, Any]:
    return {"stepIndex": index, "stepType": "RunProfile", "connectedSystemId": cs_id,
            "runProfileId": await profile_id(stack, cs_id, profile), **extra}


async def create_schedule(stack: Stack, name: str, steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return await ok(stack, "POST", SCHEDULES, {"name": name, "steps": steps, **fields}, 201)


async def run(stack: Stack, schedule_id: str) -> str:
    started = await ok(stack, "POST", f"{SCHEDULES}/{schedule_id}/run", expect=202)
    return str(started["executionId"])


async def wait_execution(stack: Stack, execution_id: str, timeout: float = 120) -> dict[str, Any]:
    """Polls until the execution ended (a condition; the timeout only bounds a bug)."""
    deadline = time.monotonic() + timeout
    while True:
        execution = await ok(stack, "GET", f"{EXECUTIONS}/{execution_id}")
        if execution["status"] not in ("Queued", "InProgress") and execution["completedAt"]:
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {execution_id} still {execution['status']}: {execution}")
        await asyncio.sleep(0.1)


async def wait_step(stack: Stack, execution_id: str, index: int, statuses: set[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution = await ok(stack, "GET", f"{EXECUTIONS}/{execution_id}")
        found = [s for s in execution["steps"] if s["stepIndex"] == index and s["status"] in statuses]
        if found:
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError(f"step {index} of {execution_id} never reached {statuses}: {execution}")
        await asyncio.sleep(0.05)
