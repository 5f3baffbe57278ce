"""API keys and executor tokens: generated, hashed, verified, cached.

Only a SHA-256 of each secret is stored. Keys are long random strings, so a
plain hash (no salt or KDF) is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog
from cachetools import TTLCache

from syncplane.server.auth.live_calls import LiveCalls
from syncplane.server.db import auth as db
from syncplane.server.db.auth_models import ApiKey
from syncplane.server.db.errors import TRANSIENT

log = structlog.get_logger(__name__)

ADMINISTRATOR = "administrator"
VIEWER = "viewer"
ROLES = (ADMINISTRATOR, VIEWER)

# A verified key is trusted this long without asking the database again. A
# revocation does not wait for this: it reaches every replica's cache through
# NOTIFY at once, or through the revocation poll (every POLL_SECONDS) if a NOTIFY is
# lost (see `watch_revocations`).
_CACHE_SECONDS = 5.0
# An unknown key is remembered only briefly (a key just created on another
# replica must start working at once) and in a smaller table.
_NEGATIVE_SECONDS = 1.0
CACHE_SIZE = 10_000
# Credentials verified this recently skip the failed-authentication throttle:
# a client that keeps using a good key keeps working while someone sharing its
# address (a NAT, the executors of one host) is throttled for guessing.
_RECENT_SECONDS = 600.0
NEGATIVE_CACHE_SIZE = 1_000
# The channel the revoking statements NOTIFY; the payload is 'k' (API key) or
# 'x' (executor token) followed by the secret's hash in hex.
REVOKED_CHANNEL = "syncplane_keys_revoked"
# Half the one-second bound, so a poll plus its query lands within it even when a NOTIFY is lost.
POLL_SECONDS = 0.5
# A revocation's revoked_at is its transaction's start, a moment before it
# commits; each poll looks this far behind the previous one so none is missed.
_POLL_OVERLAP = timedelta(seconds=2)


@dataclass(frozen=True)
class Principal:
    id: str
    name: str
    role: str


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_api_key() -> str:
    return "sp_" + secrets.token_urlsafe(32)


def new_executor_token() -> str:
    return "spx_" + secrets.token_urlsafe(32)


API_KEY = b"k"
EXECUTOR_TOKEN = b"x"


def credential_id(kind: bytes, secret: str) -> bytes:
    """How caches, live calls and revocation notices name a credential: its kind and hash."""
    return kind + digest(secret)


def _from_notice(payload: str) -> bytes | None:
    try:
        return payload[:1].encode() + bytes.fromhex(payload[1:]) if payload[:1] in ("k", "x") else None
    except ValueError:
        return None


class KeyStore:
    def __init__(self, pool: asyncpg.Pool, *, cache_size: int = CACHE_SIZE, negative_cache_size: int = NEGATIVE_CACHE_SIZE) -> None:
        self.pool = pool
        self._valid: TTLCache[bytes, Principal] = TTLCache(cache_size, _CACHE_SECONDS, timer=time.monotonic)
        self._invalid: TTLCache[bytes, bool] = TTLCache(negative_cache_size, _NEGATIVE_SECONDS, timer=time.monotonic)
        self._recent: TTLCache[bytes, bool] = TTLCache(cache_size, _RECENT_SECONDS, timer=time.monotonic)
        # Bumped by every revocation: a lookup that raced one does not cache what it read.
        self._epoch = 0
        self.live = LiveCalls()

    async def create_api_key(self, name: str, role: str, value: str | None = None) -> tuple[ApiKey, str]:
        secret = value or new_api_key()
        row = await db.insert_api_key(self.pool, name, role, secret[:7], digest(secret))
        log.info("auth.api_key_created", key_id=str(row.id), name=name, role=role)
        return row, secret

    async def create_executor_token(self, name: str, value: str | None = None) -> tuple[str, str]:
        secret = value or new_executor_token()
        token_id = await db.insert_executor_token(self.pool, name, digest(secret))
        log.info("auth.executor_token_created", name=name)
        return str(token_id or ""), secret

    async def ensure_bootstrap_key(self, value: str | None) -> str | None:
        """Creates the first Administrator key; returns its secret when new.

        `value` (SYNCPLANE_BOOTSTRAP_API_KEY) names the key the operator wants.
        If that key was revoked it stays revoked: the start goes on with a
        warning, and a fresh random Administrator key is made (and returned, to
        be printed) only when no live one is left, so the server never ends up
        with nobody able to administer it."""
        if value:
            row = await db.find_api_key_any(self.pool, digest(value))
            if row is not None and row["revoked_at"] is not None:
                log.warning("auth.bootstrap_key_revoked", key_id=str(row["id"]))
                value = None
            elif row is not None:
                return None
            elif await db.count_admin_keys(self.pool) > 0:
                # The operator asked for this key by name: honour it.
                await self.create_api_key("bootstrap", ADMINISTRATOR, value)
                return value
        if await db.count_admin_keys(self.pool) > 0:
            return None
        _, secret = await self.create_api_key("bootstrap", ADMINISTRATOR, value)
        return secret

    async def revoke_api_key(self, key_id: object) -> bool:
        revoked = await db.revoke_api_key(self.pool, key_id)  # type: ignore[arg-type]  # the id arrives untyped from the API; the query casts it
        if revoked:
            log.info("auth.api_key_revoked", key_id=str(key_id))
        return revoked

    async def revoke_executor_token(self, token_id: object) -> bool:
        revoked = await db.revoke_executor_token(self.pool, token_id)  # type: ignore[arg-type]  # the id arrives untyped from the API; the query casts it
        if revoked:
            log.info("auth.executor_token_revoked", token_id=str(token_id))
        return revoked

    async def verify_api_key(self, secret: str) -> Principal | None:
        return await self._cached(credential_id(API_KEY, secret), self._load_key)

    async def verify_executor_token(self, secret: str) -> Principal | None:
        return await self._cached(credential_id(EXECUTOR_TOKEN, secret), self._load_token)

    def known_valid(self, credential: bytes) -> bool:
        """Whether this replica verified `credential` in the last few minutes (no database round trip)."""
        return credential in self._recent

    def cache_sizes(self) -> tuple[int, int]:
        return len(self._valid), len(self._invalid)

    async def _cached(self, key: bytes, loader: Callable[[bytes], Awaitable[Principal | None]]) -> Principal | None:
        hit = self._valid.get(key)
        if hit is not None:
            self._recent[key] = True
            return hit
        if key in self._invalid:
            return None
        epoch = self._epoch
        principal = await loader(key[1:])
        if epoch == self._epoch:
            if principal is None:
                self._invalid[key] = True
            else:
                self._valid[key] = principal
                self._recent[key] = True
        return principal

    # -- revocation ---------------------------------------------------------

    def on_revoked(self, payload: str | None) -> None:
        """A Listener callback for REVOKED_CHANNEL. `None` (the LISTEN connection
        came back; notices may have been lost) forgets every cached key; the
        poll ends any stream whose credential was revoked meanwhile."""
        if payload is None:
            self._epoch += 1
            self._valid.clear()
            # `_recent` stays: it only lets a key skip the throttle, never skips its lookup.
            return
        credential = _from_notice(payload)
        if credential is not None:
            self.forget(credential, via="notify")

    def forget(self, credential: bytes, via: str) -> None:
        """Stops trusting `credential` on this replica: its cache entry and its open streams."""
        self._epoch += 1
        cached = self._valid.pop(credential, None) is not None
        self._recent.pop(credential, None)
        ended = self.live.end(credential)
        if cached or ended:
            log.info("auth.revocation_applied", via=via, cached=cached, streams_ended=ended)

    async def watch_revocations(self, interval: float = POLL_SECONDS) -> None:
        """The fallback for lost NOTIFYs: every `interval`, applies what was revoked since the last look."""
        since = None
        while True:
            try:
                if since is None:
                    since = await db.database_now(self.pool)
                else:
                    polled_at, revoked = await db.revoked_since(self.pool, since - _POLL_OVERLAP)
                    for payload in revoked:
                        credential = _from_notice(payload)
                        if credential is not None:
                            self.forget(credential, via="poll")
                    since = polled_at
            except TRANSIENT as exc:
                log.warning("auth.revocation_poll_failed", error=str(exc))
            await asyncio.sleep(interval)

    async def _load_key(self, key_hash: bytes) -> Principal | None:
        row = await db.find_api_key(self.pool, key_hash)
        return Principal(str(row["id"]), row["name"], row["role"]) if row else None

    async def _load_token(self, token_hash: bytes) -> Principal | None:
        row = await db.find_executor_token(self.pool, token_hash)
        return Principal(str(row["id"]), row["name"], "executor") if row else None
