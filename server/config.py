"""Settings of a server process, from flags and SYNCPLANE_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("on", "1", "true", "yes")


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


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
    #: The `external` backend (outside workers claim over the AttemptService),
    #: when SYNCPLANE_EXTERNAL_BACKEND=on.
    external_backend: bool = field(default_factory=lambda: _env_on("SYNCPLANE_EXTERNAL_BACKEND"))
