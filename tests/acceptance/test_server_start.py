"""A server's start as an operator meets it: settings checked first, the database awaited.

- A bad SYNCPLANE_* value is one line on stderr naming the variable, exit 2, before anything starts.
- A database that is not there yet: the server logs one `database.waiting` event per attempt naming the
  address (no credentials), /healthz answers 200 and /readyz 503 meanwhile; once the database appears
  (here: its socket directory or TCP port becomes reachable) the server starts.
- A database that never comes: after SYNCPLANE_DATABASE_WAIT_SECONDS one line and exit 1, no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import aiohttp
import pytest

from syncplane.server.startup import address_of
from tests.acceptance.harness import Stack, free_port
from tests.acceptance.tcp_proxy import TcpProxy
from tests.acceptance.wait_support import wait_for

pytestmark = pytest.mark.acceptance


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncplane.server.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("command", "variable", "value"), [
    (("server", "--database-url", "postgresql://u@127.0.0.1:1/db"), "SYNCPLANE_LEASE_SECONDS", "soon"),
    (("server", "--database-url", "postgresql://u@127.0.0.1:1/db"), "SYNCPLANE_LOG_LEVEL", "LOUD"),
    (("executor", "--token", "t", "--server", "127.0.0.1:1"), "SYNCPLANE_HEARTBEAT_SECONDS", "-1"),
    (("server",), "SYNCPLANE_DATABASE_URL", "mysql://u:hunter2@db/x"),
])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(command: tuple[str, ...], variable: str, value: str) -> None:
    done = _cli(*command, env={variable: value})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert "hunter2" not in done.stderr


def test_a_database_that_never_answers_is_one_line_and_exit_1() -> None:
    port = free_port()
    done = _cli("server", "--database-url", f"postgresql://u:hunter2@127.0.0.1:{port}/db", "--http-port", "0",
                "--grpc-port", "0", env={"SYNCPLANE_DATABASE_WAIT_SECONDS": "1"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("syncplane server:")]
    assert len(said) == 1 and said[0].startswith(f"syncplane server: the database at 127.0.0.1:{port}/db did not answer")
    assert "within 1 s" in said[0]


async def test_the_server_waits_for_its_database_not_ready_meanwhile(fresh_dsn: str, tmp_path: Path) -> None:
    parts = urlsplit(fresh_dsn)
    query = parse_qs(parts.query)
    socket_dir = (query.get("host") or [""])[0]
    proxy: TcpProxy | None = None
    later_root: Path | None = None
    if socket_dir.startswith("/"):
        # A unix socket: the server is pointed at a directory that appears later (a link to the real one).
        later_root = Path(tempfile.mkdtemp(prefix="sp-later-"))
        later = later_root / "pg"
        query["host"] = [str(later)]
        dsn = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

        async def appear() -> None:
            later.symlink_to(socket_dir)
    else:
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432, listen_port=free_port())
        dsn = urlunsplit(parts._replace(netloc=parts.netloc.replace(f"{parts.hostname}:{parts.port}",
                                                                    f"127.0.0.1:{proxy.port}")))

        async def appear() -> None:
            assert proxy is not None
            await proxy.start()

    stack = Stack(database_url=dsn, log_dir=tmp_path / "logs", env={"SYNCPLANE_DATABASE_WAIT_SECONDS": "120"})
    server = await stack._spawn("server", "server", "--database-url", dsn, "--grpc-port", str(stack.grpc_port),
                                "--http-port", str(stack.http_port))
    try:
        async with aiohttp.ClientSession() as http:
            async def waiting_twice() -> list[dict[str, object]]:
                events = [json.loads(line) for line in server.log().splitlines() if '"database.waiting"' in line]
                return events if len(events) >= 2 else []

            waiting = await wait_for(waiting_twice, 60, "two database.waiting events")
            assert all(e["address"] == address_of(dsn) and e["attempt"] for e in waiting)
            async with http.get(f"{stack.base}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"{stack.base}/readyz") as resp:
                body = await resp.json()
                assert resp.status == 503 and body["checks"]["database"] is False
            assert "Traceback" not in server.log()

            await appear()

            async def database_ready() -> bool:
                try:
                    async with http.get(f"{stack.base}/readyz") as resp:
                        body = await resp.json()
                except aiohttp.ClientError:
                    return False  # the gateway taking the port over from the starting responder
                return body.get("checks", {}).get("database") is True

            await wait_for(database_ready, 60, "the database check passing")
            assert server.alive and '"server.started"' in server.log()
    finally:
        await server.stop()
        if proxy is not None:
            await proxy.close()
        if later_root is not None:
            shutil.rmtree(later_root, ignore_errors=True)
    assert server.process.returncode == 0, server.log()[-2000:]
