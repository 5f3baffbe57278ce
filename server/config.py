"""Settings of a server process, from flags and SYNCPLANE_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from syncplane.temporal_contract import DEFAULT_TASK_QUEUE


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("on", "1", "true", "yes")


class SettingsError(ValueError):
    """A bad SYNCPLANE_* value; the message names the variable, the value and why, in one line."""


def _env_float(name: str, default: float, *, positive: bool = True) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a number of seconds") from None
    if number != number or number in (float("inf"), float("-inf")) or (number <= 0 if positive else number < 0):
        raise SettingsError(f"{name}={value!r} must be {'greater than 0' if positive else 'at least 0'}")
    return number


@dataclass(frozen=True)
class EngineSettings:
    """Timing of the run engine. Defaults favour noticing a dead executor within
    seconds (Airbyte takes minutes to hours, and its users complain)."""

    #: How often executors send a heartbeat on their stream.
    heartbeat_interval_seconds: float = 1.0
    #: A lease not renewed for this long ends the attempt (heartbeat_timeout).
    lease_seconds: float = 5.0
    #: How often the sweeper looks for expired leases and overdue cancels.
    sweep_interval_seconds: float = 1.0
    #: A cancelling run is forced to cancelled after this long.
    cancel_timeout_seconds: float = 30.0
    #: Dispatch polls this often even without a NOTIFY (correctness fallback).
    dispatch_poll_seconds: float = 1.0
    #: Progress is written at most this often per run (coalesced).
    progress_flush_seconds: float = 0.25

    @classmethod
    def from_env(cls) -> EngineSettings:
        d = cls()
        return cls(
            heartbeat_interval_seconds=_env_float("SYNCPLANE_HEARTBEAT_SECONDS", d.heartbeat_interval_seconds),
            lease_seconds=_env_float("SYNCPLANE_LEASE_SECONDS", d.lease_seconds),
            sweep_interval_seconds=_env_float("SYNCPLANE_SWEEP_SECONDS", d.sweep_interval_seconds),
            cancel_timeout_seconds=_env_float("SYNCPLANE_CANCEL_TIMEOUT_SECONDS", d.cancel_timeout_seconds),
            dispatch_poll_seconds=_env_float("SYNCPLANE_DISPATCH_POLL_SECONDS", d.dispatch_poll_seconds),
            progress_flush_seconds=_env_float("SYNCPLANE_PROGRESS_FLUSH_SECONDS", d.progress_flush_seconds),
        )


@dataclass(frozen=True)
class OpsSettings:
    """Operations: how long a starting server waits for its database, how often gauges are sampled."""

    #: A server whose database does not answer at start retries (with backoff) this long, then exits 1;
    #: /healthz answers meanwhile and /readyz is 503.
    database_wait_seconds: float = 120.0
    #: How often the metrics sampler reads queue depth, outbox lag, sessions and the pool.
    metrics_interval_seconds: float = 2.0

    @classmethod
    def from_env(cls) -> OpsSettings:
        d = cls()
        return cls(
            database_wait_seconds=_env_float("SYNCPLANE_DATABASE_WAIT_SECONDS", d.database_wait_seconds, positive=False),
            metrics_interval_seconds=_env_float("SYNCPLANE_METRICS_INTERVAL_SECONDS", d.metrics_interval_seconds),
        )


@dataclass(frozen=True)
class TemporalSettings:
    """The `temporal` execution backend (server/engine/backends/temporal.py):
    configured when SYNCPLANE_TEMPORAL_ADDRESS is set."""

    #: Temporal's frontend, host:port (SYNCPLANE_TEMPORAL_ADDRESS).
    address: str
    #: SYNCPLANE_TEMPORAL_NAMESPACE.
    namespace: str = "default"
    #: The task queue of syncs whose executionConfig names none (SYNCPLANE_TEMPORAL_TASK_QUEUE).
    task_queue: str = DEFAULT_TASK_QUEUE
    #: Base URL of Temporal's web UI, for run links (SYNCPLANE_TEMPORAL_UI_URL).
    ui_url: str = "http://127.0.0.1:8233"
    #: A worker silent this long is lost and Temporal retries the activity
    #: (SYNCPLANE_TEMPORAL_HEARTBEAT_TIMEOUT_SECONDS).
    heartbeat_timeout_seconds: float = 30.0
    #: Tries of the activity per attempt, lost workers included (SYNCPLANE_TEMPORAL_ACTIVITY_ATTEMPTS).
    max_activity_attempts: int = 5
    #: A cancel not acknowledged this long (no worker listening, or one that
    #: does not stop) terminates the workflow and ends the run cancelled; at
    #: most half the engine's cancel timeout (SYNCPLANE_TEMPORAL_CANCEL_GRACE_SECONDS).
    cancel_grace_seconds: float = 15.0
    #: A workflow task failing this many times in a row ends the attempt.
    stuck_task_attempts: int = 3
    #: How long a run waits, pending, after Temporal could not be reached to start it.
    unavailable_retry_seconds: float = 2.0
    #: One call to Temporal may take this long before it counts as failed.
    rpc_timeout_seconds: float = 5.0
    #: Executor groups whose runs this backend takes (SYNCPLANE_TEMPORAL_GROUPS, comma-separated).
    groups: tuple[str, ...] = ("default",)
    #: Connectors the workers run: the executor's registry.
    connectors: tuple[str, ...] = ("postgres", "noop", "http_api", "sftp", "s3", "identity", "sync_job")
    #: Attempts handed to Temporal per dispatcher claim.
    claim_batch: int = 100
    #: Attempts Temporal may hold at once, queued included (the workers' slots
    #: bound how many run); more wait in syncplane's queue
    #: (SYNCPLANE_TEMPORAL_MAX_IN_FLIGHT).
    max_in_flight: int = 200

    @classmethod
    def from_env(cls) -> TemporalSettings | None:
        address = os.environ.get("SYNCPLANE_TEMPORAL_ADDRESS")
        if not address:
            return None
        d = cls(address)
        host = address.rpartition(":")[0] or "127.0.0.1"
        return cls(
            address=address,
            namespace=os.environ.get("SYNCPLANE_TEMPORAL_NAMESPACE") or d.namespace,
            task_queue=os.environ.get("SYNCPLANE_TEMPORAL_TASK_QUEUE") or d.task_queue,
            # The dev server serves its UI 1000 ports above the frontend.
            ui_url=os.environ.get("SYNCPLANE_TEMPORAL_UI_URL") or f"http://{host}:{_port_of(address, 7233) + 1000}",
            heartbeat_timeout_seconds=_env_float("SYNCPLANE_TEMPORAL_HEARTBEAT_TIMEOUT_SECONDS", d.heartbeat_timeout_seconds),
            max_activity_attempts=int(_env_float("SYNCPLANE_TEMPORAL_ACTIVITY_ATTEMPTS", d.max_activity_attempts)),
            cancel_grace_seconds=_env_float("SYNCPLANE_TEMPORAL_CANCEL_GRACE_SECONDS", d.cancel_grace_seconds),
            groups=tuple(g for g in os.environ.get("SYNCPLANE_TEMPORAL_GROUPS", "default").split(",") if g),
            max_in_flight=int(_env_float("SYNCPLANE_TEMPORAL_MAX_IN_FLIGHT", d.max_in_flight)),
        )


def _port_of(address: str, default: int) -> int:
    port = address.rpartition(":")[2]
    return int(port) if port.isdigit() else default


@dataclass(frozen=True)
class PrefectSettings:
    """The `prefect` execution backend (server/engine/backends/prefect.py):
    configured when SYNCPLANE_PREFECT_API_URL is set."""

    #: Prefect's API, e.g. http://127.0.0.1:4200/api (SYNCPLANE_PREFECT_API_URL).
    api_url: str
    #: The work pool `syncplane prefect deploy` creates (SYNCPLANE_PREFECT_WORK_POOL).
    work_pool: str = "syncplane"
    #: "<flow>/<deployment>" each attempt is a flow run of (SYNCPLANE_PREFECT_DEPLOYMENT).
    deployment: str = "syncplane-attempt/syncplane"  # syncplane.prefect_contract.DEFAULT_DEPLOYMENT
    #: Base URL of Prefect's UI for run links (SYNCPLANE_PREFECT_UI_URL; default: the API URL without /api).
    ui_url: str = ""
    #: The bound on Prefect's two silent failures (a worker killed while its flow runs on; a
    #: worker and its flow process both killed): a flow run Prefect still calls Running or
    #: Cancelling that has not reported to the control plane for this long is forced Crashed
    #: (or Cancelled) in Prefect and its attempt ends heartbeat_timeout (or cancelled)
    #: (SYNCPLANE_PREFECT_SILENCE_SECONDS).
    silence_seconds: float = 30.0
    #: gRPC address(es) the flows dial (SYNCPLANE_PREFECT_CONTROL_PLANE; default: this server's).
    control_plane: str = ""
    #: How long a run waits, pending, after Prefect could not be reached to start it.
    unavailable_retry_seconds: float = 2.0
    #: One call to Prefect may take this long before it counts as failed.
    rpc_timeout_seconds: float = 5.0
    #: Executor groups whose runs this backend takes (SYNCPLANE_PREFECT_GROUPS, comma-separated).
    groups: tuple[str, ...] = ("default",)
    #: Connectors the flow runs: the executor's registry.
    connectors: tuple[str, ...] = ("postgres", "noop", "http_api", "sftp", "s3", "identity", "sync_job")
    #: Attempts handed to Prefect per dispatcher claim (Prefect queues them; the
    #: work pool's concurrency limit bounds how many run at once). Small: each is
    #: created in turn, and a claim's lease runs while the rest are created.
    claim_batch: int = 10

    @classmethod
    def from_env(cls) -> PrefectSettings | None:
        api_url = os.environ.get("SYNCPLANE_PREFECT_API_URL")
        if not api_url:
            return None
        d = cls(api_url)
        return cls(
            api_url=api_url.rstrip("/"),
            work_pool=os.environ.get("SYNCPLANE_PREFECT_WORK_POOL") or d.work_pool,
            deployment=os.environ.get("SYNCPLANE_PREFECT_DEPLOYMENT") or d.deployment,
            ui_url=(os.environ.get("SYNCPLANE_PREFECT_UI_URL") or api_url.rstrip("/").removesuffix("/api")).rstrip("/"),
            silence_seconds=_env_float("SYNCPLANE_PREFECT_SILENCE_SECONDS", d.silence_seconds),
            control_plane=os.environ.get("SYNCPLANE_PREFECT_CONTROL_PLANE", ""),
            groups=tuple(g for g in os.environ.get("SYNCPLANE_PREFECT_GROUPS", "default").split(",") if g),
        )


@dataclass(frozen=True)
class ServerSettings:
    #: Control-plane database.
    database_url: str
    #: Where synced data lands by default (the data store); the control-plane
    #: database unless set.
    data_store_url: str
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    #: Serve the REST gateway in this process.
    gateway: bool = True
    #: Folders file connectors may read and write.
    file_roots: tuple[Path, ...] = ()
    engine: EngineSettings = field(default_factory=EngineSettings)
    #: The server's own files: the key file that seals stored secrets
    #: (`secret-keys`, made at first start) unless SYNCPLANE_SECRET_KEY is set.
    data_dir: Path = Path(".data")
    #: Start-up wait for the database, metrics sampling (read from the environment when not given).
    ops: OpsSettings = field(default_factory=OpsSettings.from_env)
    #: The `temporal` backend, when SYNCPLANE_TEMPORAL_ADDRESS is set.
    temporal: TemporalSettings | None = field(default_factory=TemporalSettings.from_env)
    #: The `external` backend (outside workers claim over the AttemptService),
    #: when SYNCPLANE_EXTERNAL_BACKEND=on.
    external_backend: bool = field(default_factory=lambda: _env_on("SYNCPLANE_EXTERNAL_BACKEND"))
    #: The `prefect` backend, when SYNCPLANE_PREFECT_API_URL is set.
    prefect: PrefectSettings | None = field(default_factory=PrefectSettings.from_env)


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default).strip()
    if value.lower() not in choices and value.upper() not in choices:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def check_environment() -> None:
    """Parses every SYNCPLANE_* variable a server or executor process reads, once, at start: the first
    bad one raises SettingsError naming it (the CLI prints that one line and exits 2). The values are
    read again where they are used; this is the gate that keeps a typo from surfacing as a traceback
    minutes later. Every variable is listed in README.md's settings table (a test compares)."""
    engine = EngineSettings.from_env()
    if engine.heartbeat_interval_seconds >= engine.lease_seconds:
        raise SettingsError(
            f"SYNCPLANE_HEARTBEAT_SECONDS={engine.heartbeat_interval_seconds:g} must be less than "
            f"SYNCPLANE_LEASE_SECONDS={engine.lease_seconds:g} (each heartbeat renews the lease)"
        )
    OpsSettings.from_env()
    TemporalSettings.from_env()
    PrefectSettings.from_env()
    _choice("SYNCPLANE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO")
    _choice("SYNCPLANE_IDENTITY_PARTITION_VALIDATION", ("error", "warning"), "error")
    _env_float("SYNCPLANE_IDENTITY_SCHEMA_TIMEOUT_SECONDS", 30.0)
    for name in ("SYNCPLANE_DATABASE_URL", "SYNCPLANE_DATA_STORE_URL"):
        value = os.environ.get(name)
        if value and not value.startswith(("postgresql://", "postgres://")):
            # Never echo a URL: it may hold a password.
            raise SettingsError(f"{name} must be a postgresql:// URL")
