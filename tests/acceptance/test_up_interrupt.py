"""Ctrl-C on `syncplane up` while a run is going: the executors drain (the run
finishes and its result is recorded), then the server stops. A terminal sends
SIGINT to the whole foreground process group; the test does the same with
os.killpg. The run is held at a failpoint until the drain has begun, so it is
mid-run when the signal lands, on any machine."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE, SOURCE_COLUMNS, make_source, table_rows
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.faults import create_sync, wait_for
from tests.acceptance.harness import ADMIN_KEY, Stack, free_port

pytestmark = pytest.mark.acceptance


async def test_ctrl_c_on_up_records_the_finished_run_and_starts_no_new_attempt(
    fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    await make_source(second_dsn, 1_000)
    # One failpoint directory for up and everything it starts (they inherit its environment).
    fp = Failpoints(tmp_path / "failpoints", {"executor.batch.committed": "1*pause"})
    env = {**os.environ, **FAST_ENGINE, **fp.env("up"), "SYNCPLANE_BOOTSTRAP_API_KEY": ADMIN_KEY}
    stack = Stack(database_url=fresh_dsn, log_dir=tmp_path, grpc_port=free_port(), http_port=free_port())
    log_path = tmp_path / "up.log"
    with open(log_path, "ab") as out:
        up = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", "up", "--data-dir", str(tmp_path / "data"),
            "--database-url", fresh_dsn, "--grpc-port", str(stack.grpc_port), "--http-port", str(stack.http_port),
            "--executors", "1", "--slots", "2",
            stdout=out, stderr=out, env=env,
            # Its own process group, as a shell gives a foreground job.
            start_new_session=True,
        )
    stack.session = aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY})
    try:
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=60)
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="orders_copy", page_size=100)
        await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit("executor.batch.committed")  # mid-run: one batch of ten committed

        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C in the terminal

        conn = await asyncpg.connect(fresh_dsn)
        try:
            # The executor drains (it told the server) while its run is held...
            await wait_for(
                lambda: conn.fetchval("SELECT bool_or(draining) FROM syncplane.executors"), 30, "executor draining"
            )
            fp.release("executor.batch.committed")  # ...then the run goes on to its end.
            code = await asyncio.wait_for(up.wait(), 60)
            assert code == 0, log_path.read_text()[-3000:]

            attempts = await conn.fetch(
                "SELECT status, result_reason_code, attempt_number, next_attempt_run_id FROM syncplane.runs"
                " WHERE subject_id = $1::uuid",
                sync_id,
            )
        finally:
            await conn.close()
    finally:
        if up.returncode is None:
            os.killpg(up.pid, signal.SIGKILL)
            await up.wait()
        await stack.session.close()

    # Recorded with its true result, not left to expire into heartbeat_timeout
    # (and resumed as a new attempt at the next start).
    assert [tuple(a) for a in attempts] == [("succeeded", "completed", 1, None)], (
        attempts, log_path.read_text()[-3000:],
    )
    source = await table_rows(second_dsn, f"SELECT {SOURCE_COLUMNS} FROM orders ORDER BY id")
    assert await table_rows(fresh_dsn, f"SELECT {SOURCE_COLUMNS} FROM public.orders_copy ORDER BY id") == source


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def test_executors_do_not_outlive_a_killed_up(fresh_dsn: str, tmp_path: Path) -> None:
    # In their own session, executors no longer die with up's process group: a
    # SIGKILLed up must still take them with it.
    env = {**os.environ, "SYNCPLANE_BOOTSTRAP_API_KEY": ADMIN_KEY}
    stack = Stack(database_url=fresh_dsn, log_dir=tmp_path, grpc_port=free_port(), http_port=free_port())
    with open(tmp_path / "up.log", "ab") as out:
        up = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", "up", "--data-dir", str(tmp_path / "data"),
            "--database-url", fresh_dsn, "--grpc-port", str(stack.grpc_port), "--http-port", str(stack.http_port),
            "--executors", "2", stdout=out, stderr=out, env=env, start_new_session=True,
        )
    stack.session = aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY})
    try:
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=60)
        async def started() -> list[int]:
            children = _children(up.pid)
            return children if len(children) == 2 else []

        async def gone() -> bool:
            return all(not _alive(pid) for pid in executors)

        executors = await wait_for(started, 30, "two executor processes")
        up.kill()
        await up.wait()
        await wait_for(gone, 30, "executors gone after up was killed")
    finally:
        if up.returncode is None:
            os.killpg(up.pid, signal.SIGKILL)
            await up.wait()
        await stack.session.close()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
