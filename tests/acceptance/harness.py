"""Real processes for acceptance tests and benchmarks: a `syncplane server`
and `syncplane executor`s as separate OS processes on free local ports."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ADMIN_KEY = "sp_acceptance_admin_key_0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def signal(self, sig: int) -> None:
        if self.process.returncode is None:
            os.kill(self.process.pid, sig)

    async def kill(self) -> None:
        """SIGKILL, and wait until the process is gone."""
        self.signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 10.0) -> None:
        if self.process.returncode is not None:
            return
        self.signal(signal.SIGCONT)  # a frozen (SIGSTOPped) process cannot handle SIGTERM
        self.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.signal(signal.SIGKILL)
            await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Stack:
    """One server (gRPC + gateway) and its executors."""

    database_url: str
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    grpc_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    server: Proc | None = None
    executors: list[Proc] = field(default_factory=list)
    executor_token: str | None = None
    session: aiohttp.ClientSession | None = None
    #: The server process's name (and log file's): replicas need their own.
    server_name: str = "server"

    def replica(self, name: str) -> Stack:
        """Another server process on the same database, on its own ports (start
        it with `start_server`); it shares this stack's executor token, and
        executors stay with the stack that started them."""
        return Stack(
            database_url=self.database_url, log_dir=self.log_dir, env=dict(self.env),
            executor_token=self.executor_token, server_name=name,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SYNCPLANE_BOOTSTRAP_API_KEY": ADMIN_KEY,
            "SYNCPLANE_LOG_LEVEL": os.environ.get("SYNCPLANE_LOG_LEVEL", "INFO"),
            **self.env,
        }

    async def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        handle = open(log_path, "ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "syncplane.server.cli", *args, stdout=handle, stderr=handle, env=env or self._env()
        )
        handle.close()
        return Proc(name, process, log_path)

    async def start_server(self) -> None:
        self.server = await self._spawn(
            self.server_name, "server", "--database-url", self.database_url,
            "--grpc-port", str(self.grpc_port), "--http-port", str(self.http_port),
        )
        if self.session is None:
            self.session = aiohttp.ClientSession(headers={"X-API-Key": ADMIN_KEY})
        # 503 while "starting" (the database awaited): the API is not there yet.
        await self.wait_http(lambda status, body: status == 200 or (status == 503 and '"starting"' not in body), "/readyz")
        if self.executor_token is None:
            body = await self.post("/api/v1/admin/executor-tokens", {"name": "acceptance"}, expect=201)
            self.executor_token = body["token"]

    async def restart_server(self, *, kill: bool = True) -> None:
        """Stops the server (SIGKILL unless `kill` is False) and starts a new
        one on the same ports and database; executors keep running."""
        if self.server is not None:
            if kill:
                await self.server.kill()
            else:
                await self.server.stop()
        await self.start_server()

    async def start_executor(
        self, slots: int = 2, group: str = "default", name: str | None = None, *, server: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Proc:
        """Starts an executor; `server` is the gRPC address it dials (default:
        the server's own), e.g. a proxy's instead, or several comma-separated
        (replicas), tried in turn. `env` is added to this executor's
        environment only (e.g. its failpoints)."""
        assert self.executor_token is not None
        index = len(self.executors)
        name = name or f"executor-{index}"
        env = {**self._env(), "SYNCPLANE_EXECUTOR_TOKEN": self.executor_token, **(env or {})}
        proc = await self._spawn(
            name, "executor", "--server", server or self.grpc_target, "--slots", str(slots), "--group", group,
            "--id", name, env=env,
        )
        self.executors.append(proc)
        return proc

    async def start(self, executors: int = 2, slots: int = 2) -> Stack:
        await self.start_server()
        for _ in range(executors):
            await self.start_executor(slots)
        if executors:
            await self.wait_http(lambda status, body: status == 200, "/readyz")
        return self

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.executors))
        if self.server is not None:
            await self.server.stop()
        if self.session is not None:
            await self.session.close()
            self.session = None

    # -- HTTP helpers -----------------------------------------------------------------
    async def wait_http(self, ok: Any, path: str, timeout: float = 30.0) -> None:
        assert self.session is not None
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                async with self.session.get(self.base + path) as resp:
                    last = (resp.status, await resp.text())
                    if ok(*last):
                        return
            except aiohttp.ClientError as exc:
                last = exc
            if self.server is not None and self.server.process.returncode is not None:
                raise RuntimeError(f"server exited:\n{self.server.log()[-4000:]}")
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{path} not ready: {last}")

    async def request(self, method: str, path: str, body: Any = None, *, expect: int | None = 200, headers: dict[str, str] | None = None) -> Any:
        assert self.session is not None
        async with self.session.request(method, self.base + path, json=body, headers=headers) as resp:
            text = await resp.text()
            if expect is not None and resp.status != expect:
                raise AssertionError(f"{method} {path}: {resp.status} {text}")
            return await resp.json() if text else None

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return await self.request("POST", path, {} if body is None else body, **kw)

    async def wait_run(self, run_id: str, statuses: set[str], timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        run: dict[str, Any] = {}
        while time.monotonic() < deadline:
            run = await self.get(f"/api/v1/syncs/runs/{run_id}")
            if run["status"] in statuses:
                return run
            await asyncio.sleep(0.1)
        raise TimeoutError(f"run {run_id} still {run.get('status')}: {run}")

    async def wait_chain(self, run_id: str, timeout: float = 90.0) -> dict[str, Any]:
        """Follows auto-resumed attempts until one is terminal without a successor."""
        deadline = time.monotonic() + timeout
        while True:
            run = await self.wait_run(run_id, {"succeeded", "failed", "cancelled"}, max(1.0, deadline - time.monotonic()))
            if run["status"] == "failed" and run.get("nextAttemptRunId"):
                run_id = run["nextAttemptRunId"]
                continue
            return run
