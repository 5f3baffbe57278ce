"""`syncplane up` and its keys: it keeps one executor token in its data dir
(0600) and reuses it at the next start instead of minting another; once that
token is revoked it mints a new one; and revoking the bootstrap key (the one
SYNCPLANE_BOOTSTRAP_API_KEY names) never stops the next start."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.harness import ADMIN_KEY, Stack, free_port

pytestmark = pytest.mark.acceptance


@asynccontextmanager
async def running_up(dsn: str, data_dir: Path, log_path: Path, key: str) -> AsyncIterator[Stack]:
    """`syncplane up` with one executor, ready (its executor connected); stopped with Ctrl-C on exit."""
    stack = Stack(database_url=dsn, log_dir=log_path.parent, grpc_port=free_port(), http_port=free_port())
    env = {**os.environ, **FAST_ENGINE, "SYNCPLANE_BOOTSTRAP_API_KEY": ADMIN_KEY}
    with open(log_path, "ab") as out:
        up = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", "up", "--data-dir", str(data_dir), "--database-url", dsn,
            "--grpc-port", str(stack.grpc_port), "--http-port", str(stack.http_port), "--executors", "1",
            stdout=out, stderr=out, env=env, start_new_session=True,
        )
    stack.session = aiohttp.ClientSession(headers={"X-API-Key": key})
    try:
        # 200 only once the executor connected, i.e. with the token up chose.
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=60)
        yield stack
    finally:
        if up.returncode is None:
            os.killpg(up.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(up.wait(), 60)
            except TimeoutError:
                os.killpg(up.pid, signal.SIGKILL)
                await up.wait()
        await stack.session.close()


async def _tokens(stack: Stack) -> list[dict[str, Any]]:
    return (await stack.get("/api/v1/admin/executor-tokens"))["executorTokens"]


async def test_up_reuses_its_executor_token_and_survives_a_revoked_bootstrap_key(fresh_dsn: str, tmp_path: Path) -> None:
    data_dir, log_path = tmp_path / "data", tmp_path / "up.log"
    token_file = data_dir / "executor-token"

    async with running_up(fresh_dsn, data_dir, log_path, ADMIN_KEY) as stack:
        first = await _tokens(stack)
        assert [(t["name"], t.get("revokedAt")) for t in first] == [("syncplane-up", None)]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    secret = token_file.read_text().strip()

    async with running_up(fresh_dsn, data_dir, log_path, ADMIN_KEY) as stack:
        assert await _tokens(stack) == first, "the second start reused the token"
        assert token_file.read_text().strip() == secret
        # Another administrator, then revoke up's token and the bootstrap key.
        other = (await stack.post("/api/v1/admin/api-keys", {"name": "ops", "role": "administrator"}, expect=201))["secret"]
        await stack.request("DELETE", f"/api/v1/admin/executor-tokens/{first[0]['id']}", expect=204)
        keys = (await stack.get("/api/v1/admin/api-keys"))["apiKeys"]
        bootstrap = next(k for k in keys if k["name"] == "bootstrap")
        await stack.request("DELETE", f"/api/v1/admin/api-keys/{bootstrap['id']}", expect=204)

    async with running_up(fresh_dsn, data_dir, log_path, other) as stack:
        tokens = await _tokens(stack)
        assert len(tokens) == 2 and {t["id"] for t in tokens if t.get("revokedAt")} == {first[0]["id"]}
        assert token_file.read_text().strip() != secret
        await stack.request("GET", "/api/v1/syncs", headers={"X-API-Key": ADMIN_KEY}, expect=401)
        keys = (await stack.get("/api/v1/admin/api-keys"))["apiKeys"]
        assert [k["name"] for k in keys if not k.get("revokedAt")] == ["ops"], "no new key minted beside ops"
    log = log_path.read_text()
    assert "auth.bootstrap_key_revoked" in log
    assert log.count("up.executor_token_reused") == 1
