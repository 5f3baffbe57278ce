"""A local Prefect for trying the `prefect` backend out (`syncplane up --backend
prefect`) and for its tests and benches: `prefect server start` on a free port
with its home (SQLite database, settings) under a directory of ours, the
deployment (`syncplane prefect deploy`), and process workers.

Every process runs in a session of its own: a worker's flow processes are its
children, and `stop` ends the whole session, so no orphaned flow process
outlives it (Prefect leaves them running when a worker dies; see the reference
on execution backends).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import structlog

from syncplane.prefect_contract import DEFAULT_DEPLOYMENT, DEFAULT_WORK_POOL
from syncplane.server.config import PrefectSettings
from syncplane.server.prefect_cli import deploy, worker_command

log = structlog.get_logger(__name__)

#: Prefect's server takes a while to migrate its database and start on a busy machine.
START_TIMEOUT = 180.0


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class LocalProcess:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL of this process alone (its children live on, as after a crash)."""
        if self.alive:
            os.kill(self.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL, to its whole session (children included)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            if sig == signal.SIGTERM and self.alive:
                try:
                    await asyncio.wait_for(self.process.wait(), timeout)
                except TimeoutError:
                    continue
        await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class LocalPrefect:
    """A Prefect server under `home` and its workers (see the module docstring)."""

    home: Path
    host: str = "127.0.0.1"
    port: int = 0
    work_pool: str = DEFAULT_WORK_POOL
    deployment: str = DEFAULT_DEPLOYMENT
    server: LocalProcess | None = None
    workers: list[LocalProcess] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _env(self) -> dict[str, str]:
        """Prefect's own settings for its processes (added to their environment)."""
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
            "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        }

    async def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> LocalProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        log_path = self.home / f"{name}.log"
        with open(log_path, "ab") as handle:
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=handle, stderr=handle, env=env, start_new_session=True
            )
        return LocalProcess(name, process, log_path)

    async def start_server(self) -> None:
        """Starts (or restarts, on the same port and database) Prefect's server."""
        if not self.port:
            self.port = _free_port(self.host)
        argv = [sys.executable, "-m", "prefect", "server", "start", "--host", self.host, "--port", str(self.port)]
        self.server = await self._spawn("prefect-server", argv, {**os.environ, **self._env()})
        await self._wait_healthy()
        log.info("prefect.local_server_started", api_url=self.api_url, home=str(self.home))

    async def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.server is not None
                if not self.server.alive:
                    raise RuntimeError(f"prefect server exited:\n{self.server.log()[-3000:]}")
                try:
                    async with session.get(f"{self.api_url}/health", timeout=aiohttp.ClientTimeout(total=2)) as resp:
                        if resp.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.25)
        raise TimeoutError(f"prefect server not healthy at {self.api_url} after {START_TIMEOUT:.0f}s")

    async def deploy(self, concurrency: int = 4) -> str:
        return await deploy(self.api_url, self.work_pool, self.deployment, concurrency)

    async def start_worker(
        self, token: str, server: str = "", *, name: str | None = None, env: dict[str, str] | None = None
    ) -> LocalProcess:
        """A process worker of the pool; `env` is added to its (and its flows') environment."""
        from syncplane.server.up import executor_environ

        name = name or f"prefect-worker-{len(self.workers)}"
        # What an executor may inherit (no database URLs, no sealing key), Prefect's settings, the test's.
        base = {**executor_environ(), **self._env(), **(env or {})}
        argv, full_env = worker_command(self.api_url, self.work_pool, token, server, name, base_env=base)
        worker = await self._spawn(name, argv, full_env)
        self.workers.append(worker)
        return worker

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers), return_exceptions=True)
        if self.server is not None:
            await self.server.stop()


class PrefectUp:
    """`syncplane up --backend prefect`: Prefect's server with its home under
    `<data dir>/prefect` (on a free port), the deployment, and process workers
    that run the attempts beside the rest, stopped with it."""

    def __init__(self, data_dir: Path, workers: int = 1, concurrency: int = 4) -> None:
        self.local = LocalPrefect(data_dir / "prefect")
        self._workers = workers
        self._concurrency = concurrency

    async def start(self) -> PrefectSettings:
        """Starts Prefect and deploys; the settings the server's backend uses."""
        await self.local.start_server()
        await self.local.deploy(self._concurrency)
        return PrefectSettings(
            api_url=self.local.api_url, work_pool=self.local.work_pool, deployment=self.local.deployment,
            ui_url=self.local.ui_url,
        )

    async def start_workers(self, token: str) -> None:
        for index in range(self._workers):
            await self.local.start_worker(token, name=f"local-prefect-{index}")

    def banner(self) -> list[str]:
        return [
            f"  prefect        {self.local.ui_url}   (UI; API {self.local.api_url})",
            f"                 work pool {self.local.work_pool!r}, deployment {self.local.deployment!r},"
            f" {self._workers} worker(s), {self._concurrency} flow run(s) at once",
            "                 a sync runs there with \"executionBackend\": \"prefect\"",
        ]

    async def stop(self) -> None:
        await self.local.stop()
__all__ = ["LocalPrefect", "LocalProcess", "PrefectUp"]
