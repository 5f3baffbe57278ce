"""The `syncplane` client commands, run as a user runs them."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.acceptance.conftest import make_source, table_rows
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.acceptance.syncs_support import create_sync

pytestmark = pytest.mark.acceptance


async def _cli(stack: Stack, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", *args, "--server", stack.grpc_target,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SYNCPLANE_API_KEY": ADMIN_KEY},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode()


async def test_trigger_wait_shows_progress_and_exits_zero(stack: Stack, fresh_dsn: str, second_dsn: str) -> None:
    await make_source(second_dsn, 3_000)
    sync_id = await create_sync(stack, second_dsn, page_size=500)
    code, out = await _cli(stack, "syncs", "trigger", sync_id, "--wait", "--run-mode", "full")
    assert code == 0, out
    assert "rows/s" in out and "elapsed" in out and "phase" in out
    assert "succeeded" in out and "3,000 rows written" in out
    assert len(await table_rows(fresh_dsn, "SELECT id FROM public.orders_copy")) == 3_000


async def test_trigger_wait_exits_nonzero_when_the_run_fails(stack: Stack, second_dsn: str) -> None:
    await make_source(second_dsn, 10)
    sync_id = await create_sync(stack, second_dsn, table="no_such_table")
    code, out = await _cli(stack, "syncs", "trigger", sync_id, "--wait")
    assert code == 1, out
    assert "failed" in out and "no_such_table" in out


async def test_client_errors_are_readable(stack: Stack) -> None:
    code, out = await _cli(stack, "syncs", "get", "00000000-0000-0000-0000-000000000000")
    assert code == 1 and "NOT_FOUND" in out and "Traceback" not in out
