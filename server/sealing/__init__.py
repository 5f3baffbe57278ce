"""Secrets sealed at rest: keys, the key ring, and the one ring of this process.

The ring is process-wide because secrets are written from every dialect's
services and read by the dispatcher and the webhook deliverer: the server
installs it at start (`install`); a process that never did (a tool, a test)
gets one from SYNCPLANE_SECRET_KEY on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

from syncplane.server.sealing.keys import ENV_VAR, KEY_FILE_NAME, Key, KeyConfigError, source_for
from syncplane.server.sealing.ring import KeyRing, SealError

_ring: KeyRing | None = None


def load_ring(data_dir: Path | None) -> KeyRing:
    return KeyRing(source_for(data_dir))


def install(ring: KeyRing | None) -> None:
    global _ring
    _ring = ring


def ring() -> KeyRing:
    global _ring
    if _ring is None:
        if not os.environ.get(ENV_VAR):
            raise KeyConfigError(f"no sealing key: start the server with a data dir, or set {ENV_VAR}")
        _ring = load_ring(None)
    return _ring


__all__ = [
    "ENV_VAR", "KEY_FILE_NAME", "Key", "KeyConfigError", "KeyRing", "SealError",
    "install", "load_ring", "ring",
]
