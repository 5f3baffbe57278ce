"""The executor token `syncplane up` keeps for its own executors.

Minting one per start left a trail of live tokens nobody could revoke. The
token is kept in the data directory (mode 0600, written atomically) and reused
while the server still accepts it; it is minted again only when the file is
missing or its token was revoked.
"""

from __future__ import annotations

import os
from pathlib import Path

import structlog

from syncplane.server.auth.keys import KeyStore

log = structlog.get_logger(__name__)

TOKEN_FILE = "executor-token"
TOKEN_NAME = "syncplane-up"


async def local_executor_token(keys: KeyStore, data_dir: Path) -> str:
    path = data_dir / TOKEN_FILE
    try:
        stored = path.read_text().strip()
    except FileNotFoundError:
        stored = ""
    if stored and await keys.verify_executor_token(stored) is not None:
        log.info("up.executor_token_reused", path=str(path))
        return stored
    if stored:
        log.warning("up.executor_token_revoked", path=str(path))
    _, token = await keys.create_executor_token(TOKEN_NAME)
    _write_private(path, token)
    return token


def _write_private(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file of another mode keeps it through O_TRUNC
        os.write(fd, (secret + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
