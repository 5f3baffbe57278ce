"""Settings of a server process, from flags and SYNCPLANE_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


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
    _choice("SYNCPLANE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO")
    _choice("SYNCPLANE_IDENTITY_PARTITION_VALIDATION", ("error", "warning"), "error")
    _env_float("SYNCPLANE_IDENTITY_SCHEMA_TIMEOUT_SECONDS", 30.0)
    for name in ("SYNCPLANE_DATABASE_URL", "SYNCPLANE_DATA_STORE_URL"):
        value = os.environ.get(name)
        if value and not value.startswith(("postgresql://", "postgres://")):
            # Never echo a URL: it may hold a password.
            raise SettingsError(f"{name} must be a postgresql:// URL")
