"""`syncplane up`: everything on one machine, from nothing.

Embedded PostgreSQL (unless a URL is given), migrations, the gRPC server with
its in-process gateway, and N executor processes, supervised: an executor that
dies is started again. SIGINT/SIGTERM stop all of it, PostgreSQL included.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from syncplane import egress
from syncplane.server.app import ServerApp
from syncplane.server.auth.local_token import local_executor_token
from syncplane.server.config import EngineSettings, ServerSettings
from syncplane.server.embedded_pg import DATA_DB, EmbeddedPostgres, Planes, ensure_data_database
from syncplane.server.prefect_local import PrefectUp
from syncplane.server.supervisor import wait_first
from syncplane.server.temporal_dev import LocalTemporal

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class UpOptions:
    data_dir: Path
    grpc_port: int
    http_port: int
    executors: int
    slots: int
    database_url: str | None
    file_roots: tuple[Path, ...]
    demo: bool
    host: str = "127.0.0.1"
    #: Also start this engine's dev server and workers ("native": none).
    backend: str = "native"
    #: With backend "temporal": the dev server's frontend port (its UI on this + 1000).
    temporal_port: int = 7233


#: What an executor must not inherit: the control plane's database URLs, libpq's
#: password variables (executors get the data store's DSN in each assignment),
#: the key that seals stored secrets (executors get a run's secrets opened) and
#: API keys (an executor authenticates with its token only).
_PRIVATE_ENV = (
    "SYNCPLANE_DATABASE_URL", "SYNCPLANE_DATA_STORE_URL", "SYNCPLANE_ADMIN_DATABASE_URL",
    "PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE",
    "SYNCPLANE_SECRET_KEY", "SYNCPLANE_BOOTSTRAP_API_KEY", "SYNCPLANE_API_KEY",
)


def executor_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when `up` dies without stopping it
    (SIGKILL, a crash). Out of `up`'s process group, nothing else would end it,
    and it would retry a server that is gone forever. Linux only; elsewhere
    such an executor is left behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class ExecutorFleet:
    """N executor processes, restarted with backoff when one dies."""

    def __init__(self, count: int, server: str, token: str, slots: int) -> None:
        self._count = count
        self._server = server
        self._token = token
        self._slots = slots
        self._procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._keep(i), name=f"executor-{i}") for i in range(self._count)]

    async def _keep(self, index: int) -> None:
        delay = 0.5
        while not self._stopping:
            env = {**executor_environ(), "SYNCPLANE_EXECUTOR_TOKEN": self._token}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "syncplane.server.cli", "executor",
                "--server", self._server, "--slots", str(self._slots), "--id", f"local-{index}",
                env=env,
                # Its own session: a terminal's Ctrl-C goes to the foreground
                # process group, and an executor that got it and then our
                # SIGTERM took the second signal as "stop at once", losing
                # runs that were about to finish. Only `up` signals executors.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            self._procs[index] = proc
            code = await proc.wait()
            if self._stopping:
                return
            log.warning("up.executor_exited", index=index, code=code, restart_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)

    def hurry(self) -> None:
        """A second signal to draining executors: they stop at once (their
        attempts end `heartbeat_timeout` and resume at the next start)."""
        for proc in self._procs:
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)

    async def stop(self, timeout: float = 60.0) -> None:
        """Drains every executor (running attempts finish and are recorded) before
        the caller stops the server; kills those still running after `timeout`."""
        self._stopping = True
        procs = [p for p in self._procs if p is not None and p.returncode is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)  # drain: running attempts finish
        log.info("up.executors_draining", executors=len(procs), timeout_s=timeout)
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


async def up(opts: UpOptions) -> int:
    opts.data_dir.mkdir(parents=True, exist_ok=True)
    pg: EmbeddedPostgres | None = None
    planes: Planes | None = None
    root_dsn = opts.database_url or os.environ.get("SYNCPLANE_DATABASE_URL")
    app: ServerApp | None = None
    fleet: ExecutorFleet | None = None
    # `--backend temporal`: a Temporal dev server and its workers beside the rest.
    local_temporal = (
        LocalTemporal(opts.data_dir, port=opts.temporal_port, ui_port=opts.temporal_port + 1000)
        if opts.backend == "temporal" else None
    )
    # `--backend prefect`: a Prefect server, the deployment and a worker beside the rest.
    local_prefect = PrefectUp(opts.data_dir) if opts.backend == "prefect" else None
    # The identity demo's HR CSV lives here; file connectors may only use file roots.
    demo_files = (opts.data_dir / "demo-files").resolve()
    file_roots = (*opts.file_roots, demo_files) if opts.demo else opts.file_roots
    try:
        if root_dsn:
            dsn = root_dsn
            data_dsn = os.environ.get("SYNCPLANE_DATA_STORE_URL", dsn)
        else:
            # Two planes: the server gets the control role, executors only the data role.
            pg = EmbeddedPostgres(opts.data_dir)
            pg.start()
            planes = await pg.provision()
            dsn, data_dsn = planes.control_dsn, planes.data_dsn
        settings = ServerSettings(
            database_url=dsn,
            data_store_url=data_dsn,
            grpc_host=opts.host, grpc_port=opts.grpc_port,
            http_host=opts.host, http_port=opts.http_port,
            file_roots=file_roots, engine=EngineSettings.from_env(), data_dir=opts.data_dir,
        )
        if local_temporal is not None:
            settings = replace(settings, temporal=await local_temporal.start())
        if local_prefect is not None:
            settings = replace(settings, prefect=await local_prefect.start())
        app = ServerApp(settings, bootstrap_api_key=os.environ.get("SYNCPLANE_BOOTSTRAP_API_KEY"))
        await app.start()
        assert app.keys is not None and app.pool is not None
        # Reused from the data dir while still valid, minted only when missing or revoked.
        token = await local_executor_token(app.keys, opts.data_dir)
        demo_sync = None
        if opts.demo:
            from syncplane.server.demo import DEMO_SOURCE_DB, install
            from syncplane.server.demo_identity import DEMO_DIRECTORY_DB, install_identity

            demo_root, demo_password = root_dsn, None
            if planes is not None:
                # The demo databases belong to the data role, whose DSN the demo connections keep
                # (its password in their write-only secrets).
                for name in (DEMO_SOURCE_DB, DEMO_DIRECTORY_DB):
                    await ensure_data_database(planes, name)
                demo_root = planes.dsn(planes.data, DATA_DB, password=False)
                demo_password = planes.data.password
            assert demo_root is not None
            demo_sync = await install(app.pool, demo_root, demo_password)
            await install_identity(app.pool, demo_root, demo_files, password=demo_password)
            _allow_demo_egress(demo_root)
        fleet = ExecutorFleet(opts.executors, f"127.0.0.1:{app.grpc_port}", token, opts.slots)
        await fleet.start()
        if local_temporal is not None:
            await local_temporal.start_workers(f"127.0.0.1:{app.grpc_port}", token, executor_environ())
        if local_prefect is not None:
            await local_prefect.start_workers(token)
        _banner(app, opts, demo_sync)
        if local_temporal is not None:
            print("\n".join(local_temporal.banner()), flush=True)
        if local_prefect is not None:
            print("\n".join(local_prefect.banner()), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if stop.is_set() and fleet is not None:
                fleet.hurry()  # a second Ctrl-C: do not wait for running attempts
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        await wait_first(stop, app.failed)
        return 1 if app.failed.is_set() else 0
    finally:
        if fleet is not None:
            await fleet.stop()
        if local_temporal is not None:
            await local_temporal.stop()
        if local_prefect is not None:
            await local_prefect.stop()
        if app is not None:
            await app.stop()
        if pg is not None:
            pg.stop()


def _allow_demo_egress(demo_root: str) -> None:
    """The demo's sources live in this machine's PostgreSQL, which the egress
    policy refuses by default (loopback): allow exactly its socket directory or
    host, for this process and the executors it starts (they inherit it)."""
    entries = [host or "localhost" for host, _ in egress.postgres_targets(demo_root)]
    current = os.environ.get(egress.ENV_ALLOW, "")
    os.environ[egress.ENV_ALLOW] = ",".join(filter(None, [current, *entries]))
    log.info("up.demo_egress_allowed", entries=entries)


def _client_host(host: str) -> str:
    """Where a client on this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _command() -> str:
    """`syncplane` when the shell finds this very program under that name, else its path."""
    here = Path(sys.prefix) / "bin" / "syncplane"
    found = shutil.which("syncplane")
    if found and Path(found).resolve() == here.resolve():
        return "syncplane"
    try:
        return str(here.relative_to(Path.cwd()))
    except ValueError:
        return str(here)


def _banner(app: ServerApp, opts: UpOptions, demo_sync: str | None) -> None:
    host = _client_host(opts.host)
    http = f"http://{host}:{app.http_port}"
    grpc_target = f"{host}:{app.grpc_port}"
    cli = _command()
    lines = [
        "",
        "syncplane is up",
        f"  REST gateway   {http}",
        f"  API docs       {http}/docs   (OpenAPI document: /openapi.json)",
        f"  gRPC           {grpc_target}   (reflection and health enabled)",
        f"  readiness      {http}/readyz",
        f"  executors      {opts.executors} process(es), {opts.slots} slot(s) each",
        f"  data dir       {opts.data_dir}",
    ]
    if app.bootstrap_secret:
        lines += ["", "  Administrator API key (shown once; store it now):", f"    {app.bootstrap_secret}"]
        key = app.bootstrap_secret
    else:
        lines += ["", "  Authenticate with the Administrator key printed at first start", "  (or set SYNCPLANE_BOOTSTRAP_API_KEY)."]
        key = "<the administrator key>"
    # The commands below work as printed, in another shell of this machine: the server address and
    # the key are in the variables the CLI reads (--server and --api-key default to them).
    lines += [
        "",
        "  Try:",
        "    # in another shell of this machine",
        f"    export SYNCPLANE_SERVER={grpc_target}",
        f"    export SYNCPLANE_API_KEY={key}",
        f"    {cli} syncs list",
        f"    curl -H \"X-API-Key: $SYNCPLANE_API_KEY\" {http}/api/v1/syncs",
    ]
    if demo_sync:
        lines += [
            f"    {cli} syncs trigger {demo_sync} --wait",
            f"    {cli} runs list --status failed",
            "    # identity demo: HR CSV -> metaverse -> the accounts table",
            *(
                f"    {cli} run-profile execute --wait --connected-system '{system}' \\\n"
                f"        --run-profile '{profile}'"
                for system, profile in (("HR CSV", "Full Import"), ("HR CSV", "Full Sync"), ("Directory (SQL)", "Export"))
            ),
            f"    curl -H \"X-Api-Key: $SYNCPLANE_API_KEY\" {http}/api/v1/activities",
        ]
    lines.append("")
    print("\n".join(lines), flush=True)
