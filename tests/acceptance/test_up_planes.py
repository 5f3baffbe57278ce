"""`syncplane up` on the embedded PostgreSQL, as security.md's attacker tried it:
an Administrator key is no longer enough to reach the control plane's database.

The reproducer: a postgres connection to `postgresql://postgres@/syncplane?host=<data dir>/pg`
and a source query over `syncplane.credentials` copied every stored secret. Now the
embedded PostgreSQL wants a password (SCRAM) from everyone, the executors hold only the
data role's DSN (which may not connect to `syncplane`), and they inherit no database URL
or password variable. A second start on the same data dir keeps the key and the data.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import pytest

from syncplane.server.embedded_pg import SECRETS_DIR

pytestmark = pytest.mark.acceptance

START_TIMEOUT = 120.0
LEAKY = {"PGPASSWORD": "leak-me-not", "SYNCPLANE_API_KEY": "sp_leak_me_not"}


@dataclass
class Up:
    process: asyncio.subprocess.Process
    base: str
    admin_key: str | None
    output: list[str]

    async def call(self, method: str, path: str, key: str, body: Any = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as s:
            async with s.request(method, self.base + path, json=body, headers={"X-API-Key": key}) as resp:
                return resp.status, await resp.json(content_type=None)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.process.wait(), 60)


async def start_up(data_dir: Path) -> Up:
    """`syncplane up` in its own process; returns once its banner is printed."""
    # Variables a careless shell may hold: none of them may reach an executor.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **LEAKY}
    env.pop("SYNCPLANE_DATABASE_URL", None)
    env.pop("SYNCPLANE_BOOTSTRAP_API_KEY", None)
    env.pop("SYNCPLANE_SECRET_KEY", None)  # the key file in the data dir, as a user's first start
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "syncplane.server.cli", "up", "--data-dir", str(data_dir),
        "--grpc-port", "0", "--http-port", "0", "--executors", "1", "--slots", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    base = key = None
    while True:
        raw = await asyncio.wait_for(proc.stdout.readline(), max(0.1, deadline - time.monotonic()))
        if not raw:
            raise AssertionError("syncplane up exited before it was up:\n" + "".join(lines[-60:]))
        line = raw.decode(errors="replace")
        lines.append(line)
        if (m := re.search(r"REST gateway\s+(http://\S+)", line)) is not None:
            base = m.group(1)
        if "Administrator API key (shown once" in line:
            key = (await proc.stdout.readline()).decode().strip()
        if line.startswith("  Try:"):
            break
    assert base is not None
    # Keep reading so the pipe never fills.
    asyncio.get_running_loop().create_task(_drain(proc, lines))
    return Up(proc, base, key, lines)


async def _drain(proc: asyncio.subprocess.Process, lines: list[str]) -> None:
    assert proc.stdout is not None
    async for raw in proc.stdout:
        lines.append(raw.decode(errors="replace"))


@pytest.fixture
async def data_dir() -> AsyncIterator[Path]:
    # Not pytest's tmp dir: pgserver runs postgres as its own system user when we are root.
    path = Path(tempfile.mkdtemp(prefix="syncplane-test-up-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _socket_dir(data_dir: Path) -> str:
    # postmaster.pid, line 5: the socket directory pgserver chose.
    return (data_dir / "pg" / "postmaster.pid").read_text().splitlines()[4]


async def _executor_processes(up: Up) -> list[psutil.Process]:
    """The fleet's processes, once `up` has spawned them (it does so after its banner)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [c for c in psutil.Process(up.process.pid).children(recursive=True) if "executor" in c.cmdline()]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise TimeoutError("no executor process")


async def _wait_run(up: Up, key: str, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status, run = await up.call("GET", f"/api/v1/syncs/runs/{run_id}", key)
        assert status == 200, run
        if run["status"] in ("succeeded", "failed", "cancelled") and not run.get("nextAttemptRunId"):
            return run
        if run.get("nextAttemptRunId"):
            run_id = run["nextAttemptRunId"]
        await asyncio.sleep(0.2)
    raise TimeoutError(run_id)


async def test_up_keeps_the_control_plane_out_of_reach(data_dir: Path) -> None:
    up = await start_up(data_dir)
    try:
        assert up.admin_key, "the first start prints the Administrator key"
        key = up.admin_key
        # Passwords in files only the owner reads.
        folder = data_dir / SECRETS_DIR
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        passwords = {}
        for f in folder.iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
            passwords[f.name] = f.read_text().strip()
        assert len(passwords) == 3
        # The executors inherit no database URL and no password: only their token.
        executors = await _executor_processes(up)
        for proc in executors:
            environ = proc.environ()
            assert not {*LEAKY, "SYNCPLANE_DATABASE_URL", "SYNCPLANE_DATA_STORE_URL", "SYNCPLANE_SECRET_KEY"} & environ.keys()
            assert environ["SYNCPLANE_EXECUTOR_TOKEN"]
            assert not any(p in v for p in passwords.values() for v in environ.values())

        # security.md's reproducer: the control plane's database as the superuser, over the socket.
        socket_dir = _socket_dir(data_dir)
        status, connection = await up.call("POST", "/api/v1/connections", key, {
            "name": "control plane", "providerKey": "postgres",
            "config": {"dsn": f"postgresql://postgres@/syncplane?host={socket_dir}"},
        })
        assert status == 201, connection
        status, sync = await up.call("POST", "/api/v1/syncs", key, {
            "connectionId": connection["id"], "name": "loot", "entities": ["loot"],
            "sourceConfig": {"queries": {"loot": "SELECT id, secrets::text AS s FROM syncplane.credentials"}},
            "executionConfig": {"maxAutoResumeAttempts": 0},
            "tableBindings": [{"entityKey": "loot", "tableName": "loot", "primaryKeyColumns": ["id"], "loadMode": "replace"}],
        })
        assert status == 201, sync
        status, run = await up.call("POST", f"/api/v1/syncs/{sync['id']}/trigger", key, {"runMode": "full"})
        assert status in (200, 201), run
        final = await _wait_run(up, key, run["id"])
        assert final["status"] == "failed", final
        assert "password authentication failed" in final["error"], final
        store = await asyncpg.connect(
            f"postgresql://syncplane_data@/syncplane_data?host={socket_dir}", password=passwords["syncplane_data.password"]
        )
        try:
            assert await store.fetchval("SELECT to_regclass('public.loot')") is None
        finally:
            await store.close()
    finally:
        assert await up.stop() == 0, "".join(up.output[-40:])

    # A second start on the same data dir: no new key, the old one works, the sync is still there.
    again = await start_up(data_dir)
    try:
        assert again.admin_key is None
        status, syncs = await again.call("GET", "/api/v1/syncs", key)
        assert status == 200, syncs
        assert [s["name"] for s in syncs["syncs"]] == ["loot"]
    finally:
        assert await again.stop() == 0, "".join(again.output[-40:])
