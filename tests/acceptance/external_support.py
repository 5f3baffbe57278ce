"""The example external worker (examples/external_worker.py) as a real process
beside an acceptance Stack, and the module-wide databases its tests share."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.acceptance.harness import Proc, Stack

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "examples" / "external_worker.py"
RUN_URL = "http://orchestrator.test/runs/{ref}"


async def start_worker(stack: Stack, name: str, queue: str, *, env: dict[str, str] | None = None) -> Proc:
    """Starts the example worker claiming `queue` as `name`, over the stack's REST gateway."""
    assert stack.executor_token is not None
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = stack.log_dir / f"{name}.log"
    handle = open(log_path, "ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--server", stack.base, "--token", stack.executor_token,
        "--queue", queue, "--worker-id", name, "--run-url", RUN_URL,
        stdout=handle, stderr=handle, cwd=str(ROOT), env={**stack._env(), **(env or {})},
    )
    handle.close()
    return Proc(name, process, log_path)


async def external_sync(stack: Stack, source_dsn: str, dest_table: str, queue: str, *, page_size: int = 500) -> str:
    """A postgres → postgres sync of `orders` run by the external backend on `queue`."""
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {dest_table}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"orders to {dest_table}",
            "entities": ["orders"],
            "executionBackend": "external",
            "executionConfig": {"pageSize": page_size, "queue": queue},
            "tableBindings": [
                {"entityKey": "orders", "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": "upsert"}
            ],
        },
        expect=201,
    )
    assert sync["executionBackend"] == "external", sync
    return str(sync["id"])
