"""Where the sealing keys come from: SYNCPLANE_SECRET_KEY, or a key file in the data dir.

A key is 32 random bytes (AES-256), written as standard base64. Several keys
may be held at once, newest first: the first seals, every one opens. That is
what lets `syncplane secrets rotate-key` re-encrypt rows while servers keep
running: they read both keys until the old one is dropped.

A key's id is derived from the key itself (a truncated SHA-256), so replicas
configured with the same key agree on its id without storing it anywhere, and
the id tells nothing about the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENV_VAR = "SYNCPLANE_SECRET_KEY"
KEY_FILE_NAME = "secret-keys"
KEY_BYTES = 32


class KeyConfigError(Exception):
    """A key (or the key file) is missing or malformed; the message says which, never a key."""


@dataclass(frozen=True)
class Key:
    id: str
    raw: bytes

    @property
    def aead(self) -> AESGCM:
        return AESGCM(self.raw)


def key_id(raw: bytes) -> str:
    return hashlib.sha256(b"syncplane-secret-key-id:" + raw).hexdigest()[:16]


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode(text: str, where: str) -> Key:
    """One base64 key (standard or URL-safe alphabet)."""
    value = text.strip()
    try:
        raw = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{where}: not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"{where}: a key is {KEY_BYTES} bytes (base64 of 32 random bytes), got {len(raw)}")
    return Key(key_id(raw), raw)


def parse(text: str, where: str) -> list[Key]:
    """Keys, newest first: one per line (or comma-separated); '#' starts a comment."""
    keys: list[Key] = []
    for line in text.splitlines():
        for item in line.split("#", 1)[0].split(","):
            if item.strip():
                keys.append(decode(item, where))
    if not keys:
        raise KeyConfigError(f"{where}: holds no key")
    return keys


def render(keys: Sequence[Key]) -> str:
    return (
        "# syncplane secret sealing keys (AES-256-GCM), newest first: the first seals, all open.\n"
        "# Keep this file secret and backed up: without it the stored secrets cannot be read.\n"
        + "".join(f"{encode(k.raw)}\n" for k in keys)
    )


def write_key_file(path: Path, keys: Sequence[Key]) -> None:
    """Replaces the key file atomically (readers see the old or the new list, never half), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(render(keys))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class KeySource(Protocol):
    def load(self) -> list[Key]: ...

    def changed(self) -> bool:
        """Whether load() would now give another list (cheap: called before every seal)."""
        ...


class StaticKeys:
    """Keys given once (SYNCPLANE_SECRET_KEY, or a rotation's own list)."""

    def __init__(self, keys: Sequence[Key]) -> None:
        self._keys = list(keys)

    def load(self) -> list[Key]:
        return list(self._keys)

    def changed(self) -> bool:
        return False


class FileKeys:
    """The key file of a data dir, created with one new key at first use.

    `changed()` compares the file's identity (inode, size, mtime): a rotation
    replaces the file by rename, so a running server notices it before it
    seals anything new.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> list[Key]:
        if not self.path.exists():
            self._create()
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            raise KeyConfigError(f"{self.path}: readable by others (mode {mode:o}); chmod 600 it")
        stat = self._stat()
        keys = parse(self.path.read_text(), str(self.path))
        self._seen = stat
        return keys

    def changed(self) -> bool:
        return self._stat() != self._seen

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        raw = new_key()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(render([Key(key_id(raw), raw)]))
            f.flush()
            os.fsync(f.fileno())
        try:
            # Two processes starting at once on one data dir: the first link wins, both read it.
            os.link(tmp, self.path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)


def source_for(data_dir: Path | None) -> KeySource:
    """SYNCPLANE_SECRET_KEY when set (one or more keys, comma-separated, newest first),
    else the key file of the data dir (generated at first start)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return StaticKeys(parse(env, ENV_VAR))
    return FileKeys((data_dir or Path(".data")) / KEY_FILE_NAME)
