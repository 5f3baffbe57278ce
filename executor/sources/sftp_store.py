"""Files on an SSH/SFTP server (asyncssh), as a `FileStore`.

Authentication is the connection's `secrets.password` or
`secrets.privateKey` (+ `passphrase`) only: the executor's own keys, agent
and ~/.ssh/config are never used, so one connection cannot borrow another's
access. The server is verified against `hostKey` when the connection names
one (without it the host key is not checked, and a warning says so).
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncssh
import structlog

from syncplane import egress
from syncplane.executor.context import RunFailed
from syncplane.executor.secret_values import Secrets
from syncplane.executor.sources.file_store import CHUNK_BYTES, FileInfo, PathPattern, iso_from_ns

log = structlog.get_logger(__name__)

DEFAULT_PORT = 22
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SftpConfig:
    """Attributes:
    host, port, username: where and who.
    root: the directory entity paths are relative to ("" = the login directory).
    host_key: the server's public host key (OpenSSH format), or None: not verified.
    timeout_seconds: limit of connecting; a server silent this long (keepalives unanswered) is lost.
    """

    host: str
    port: int
    username: str
    root: str
    host_key: str | None
    timeout_seconds: float

    @property
    def description(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}/{self.root.lstrip('/')}"


def _auth_options(secrets: dict[str, Any]) -> tuple[dict[str, Any], Secrets]:
    password = secrets.get("password")
    key_text = secrets.get("privateKey")
    passphrase = secrets.get("passphrase")
    masked = Secrets(tuple(v for v in (password, key_text, passphrase) if isinstance(v, str) and v))
    if isinstance(key_text, str) and key_text:
        try:
            key = asyncssh.import_private_key(key_text, passphrase if isinstance(passphrase, str) else None)
        except (asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
            raise RunFailed(f"sftp: secrets.privateKey cannot be read ({type(exc).__name__})", "config_error") from None
        return {"client_keys": [key], "password": None, "preferred_auth": ("publickey",)}, masked
    if isinstance(password, str) and password:
        return {"client_keys": None, "password": password, "preferred_auth": ("password", "keyboard-interactive")}, masked
    raise RunFailed("sftp: the connection needs secrets.password or secrets.privateKey", "config_error")


def _known_hosts(config: SftpConfig) -> Any:
    if config.host_key is None:
        log.warning("sftp.host_key_unverified", host=config.host, port=config.port)
        return None
    try:
        key = asyncssh.import_public_key(config.host_key)
    except asyncssh.KeyImportError:
        raise RunFailed("sftp: hostKey is not an OpenSSH public key", "config_error") from None
    return ([key], [], [])


class SftpStore:
    """A connected SFTP session (see the module docstring); use `connect_sftp`."""

    def __init__(self, sftp: asyncssh.SFTPClient, config: SftpConfig, secrets: Secrets) -> None:
        self.sftp = sftp
        self.config = config
        self.secrets = secrets
        self.description = config.description

    def _full(self, rel: str) -> str:
        root = self.config.root.rstrip("/")
        if not rel:
            return root or "."
        return f"{root}/{rel}" if root else rel

    # -- listing ---------------------------------------------------------------------------
    async def list_files(self, pattern: PathPattern) -> list[FileInfo]:
        out: list[FileInfo] = []
        with self._translating(f"listing {pattern.text!r}"):
            await self._walk(pattern.base_dir, pattern.max_depth, pattern, out)
        return out

    async def _walk(self, rel_dir: str, depth: int | None, pattern: PathPattern, out: list[FileInfo]) -> None:
        try:
            entries = [entry async for entry in self.sftp.scandir(self._full(rel_dir))]
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
            # Not there (yet): a drop directory nobody wrote to has no files.
            log.warning("sftp.directory_missing", store=self.description, directory=rel_dir or ".")
            return
        for entry in entries:
            name = entry.filename
            if not isinstance(name, str) or name in (".", ".."):
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            attrs = entry.attrs
            mode = attrs.permissions or 0
            if stat.S_ISLNK(mode):
                # Followed for files only: a linked directory could loop.
                try:
                    attrs = await self.sftp.stat(self._full(rel))
                except asyncssh.SFTPNoSuchFile:
                    continue  # a dangling link
                mode = attrs.permissions or 0
                if stat.S_ISDIR(mode):
                    continue
            if stat.S_ISDIR(mode):
                if (depth is None or depth > 1) and pattern.may_contain(rel):
                    await self._walk(rel, None if depth is None else depth - 1, pattern, out)
            elif stat.S_ISREG(mode) and pattern.matches(rel):
                ns = attrs.mtime_ns if attrs.mtime_ns is not None else int(attrs.mtime or 0) * 1_000_000_000
                out.append(FileInfo(path=rel, size=int(attrs.size or 0), modified=iso_from_ns(ns)))

    # -- reading ---------------------------------------------------------------------------
    async def open(self, file: FileInfo, offset: int) -> AsyncIterator[bytes]:
        # No timeout around a read: cancelling one strands asyncssh's parallel
        # requests. A server that stops answering fails the keepalive instead
        # (see connect_sftp), which ends every pending request.
        with self._translating(f"reading {file.path}"):
            async with self.sftp.open(self._full(file.path), "rb") as handle:
                position = offset
                while True:
                    data: bytes = await handle.read(CHUNK_BYTES, position)
                    if not data:
                        return
                    position += len(data)
                    yield data

    @contextmanager
    def _translating(self, doing: str) -> Iterator[None]:
        """asyncssh errors as RunFailed, with the server named and secrets masked."""
        try:
            yield
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath) as exc:
            raise FileNotFoundError(doing) from exc
        except (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection) as exc:
            # The session dropped (a restart, the network): resumable.
            raise RunFailed(self.secrets.scrub(f"{self.description}: {doing}: {exc.reason}"), "source_unavailable") from None
        except asyncssh.SFTPPermissionDenied:
            raise RunFailed(f"{self.description}: permission denied {doing}", "source_error") from None
        except asyncssh.SFTPError as exc:
            raise RunFailed(self.secrets.scrub(f"{self.description}: {doing}: {exc.reason}"), "source_error") from None
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            problem = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            raise RunFailed(self.secrets.scrub(f"{self.description}: {doing}: {problem}"), "source_unavailable") from None


@asynccontextmanager
async def connect_sftp(config: SftpConfig, secrets: dict[str, Any]) -> AsyncIterator[SftpStore]:
    """An SFTP session for the attempt; errors are RunFailed (auth, host key, unreachable)."""
    auth, masked = _auth_options(secrets)
    where = config.description
    try:
        # Connect to the address the egress policy checked, not to the name again
        # (the host key is checked by key, not by name).
        address = await egress.policy().pinned_address(config.host, config.port)
        conn = await asyncssh.connect(
            address,
            config.port,
            username=config.username,
            known_hosts=_known_hosts(config),
            agent_path=None,
            config=[],
            connect_timeout=config.timeout_seconds,
            login_timeout=config.timeout_seconds,
            # A server that stops answering (not just a slow read) ends the
            # session within about one timeout: source_unavailable, resumable.
            keepalive_interval=max(1.0, config.timeout_seconds / 3),
            keepalive_count_max=3,
            **auth,
        )
    except asyncssh.PermissionDenied:
        raise RunFailed(
            f"{where}: authentication failed (check the connection's password or private key)", "source_auth_error"
        ) from None
    except asyncssh.HostKeyNotVerifiable:
        raise RunFailed(f"{where}: the server's host key does not match the connection's hostKey", "source_auth_error") from None
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        problem = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
        raise RunFailed(masked.scrub(f"{where}: cannot connect: {problem}"), "source_unavailable") from None
    async with conn:
        try:
            sftp = await conn.start_sftp_client()
        except (OSError, asyncssh.Error) as exc:
            raise RunFailed(masked.scrub(f"{where}: no SFTP subsystem: {exc}"), "source_error") from None
        async with sftp:
            yield SftpStore(sftp, config, masked)


__all__ = ["DEFAULT_PORT", "DEFAULT_TIMEOUT_SECONDS", "SftpConfig", "SftpStore", "connect_sftp"]
