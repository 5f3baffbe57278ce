"""The identity dialect's own settings, from SYNCPLANE_IDENTITY_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PARTITION_CHECK_MODES = ("error", "warning")


@dataclass(frozen=True)
class IdentitySettings:
    partition_check: str = "error"
    """What execute does when a partition-capable connector has no partition
    selected: "error" refuses (400), "warning" queues and says so in `warnings`."""
    schema_timeout_seconds: float = 30.0
    """How long import-schema waits for an executor's answer before a 503."""
    file_roots: tuple[str, ...] = ()
    """Folders file connectors may use (the server's --file-root); empty: no check here."""

    @classmethod
    def from_env(cls, file_roots: tuple[Path, ...] = ()) -> IdentitySettings:
        mode = os.environ.get("SYNCPLANE_IDENTITY_PARTITION_VALIDATION", "error").strip().lower()
        if mode not in PARTITION_CHECK_MODES:
            raise ValueError(f"SYNCPLANE_IDENTITY_PARTITION_VALIDATION must be error or warning, not {mode!r}")
        timeout = float(os.environ.get("SYNCPLANE_IDENTITY_SCHEMA_TIMEOUT_SECONDS", "30"))
        return cls(mode, timeout, tuple(str(p.resolve()) for p in file_roots))
