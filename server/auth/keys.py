"""API keys and executor tokens: generated, hashed, verified, cached.

Only a SHA-256 of each secret is stored. Keys are long random strings, so a
plain hash (no salt or KDF) is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import asyncpg
import structlog

from server.db import auth as db

log = structlog.get_logger(__name__)

ADMINISTRATOR = "administrator"
VIEWER = "viewer"
ROLES = (ADMINISTRATOR, VIEWER)

# A verified key is trusted this long without asking the database again; a
# revoked key therefore stops working within this many seconds.
_CACHE_SECONDS = 5.0


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


class KeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._cache: dict[bytes, tuple[float, Principal | None]] = {}

    async def create_api_key(self, name: str, role: str, value: str | None = None) -> tuple[asyncpg.Record, str]:
        secret = value or new_api_key()
        row = await db.insert_api_key(self.pool, name, role, secret[:7], digest(secret))
        log.info("auth.api_key_created", key_id=str(row["id"]), name=name, role=role)
        return row, secret

    async def create_executor_token(self, name: str, value: str | None = None) -> tuple[str, str]:
        secret = value or new_executor_token()
        token_id = await db.insert_executor_token(self.pool, name, digest(secret))
        log.info("auth.executor_token_created", name=name)
        return str(token_id or ""), secret

    async def ensure_bootstrap_key(self, value: str | None) -> str | None:
        """Creates the first Administrator key; returns its secret when new."""
        if await db.count_admin_keys(self.pool) > 0:
            if value and await db.find_api_key(self.pool, digest(value)) is None:
                # The operator asked for this key by name: honour it.
                await self.create_api_key("bootstrap", ADMINISTRATOR, value)
                return value
            return None
        _, secret = await self.create_api_key("bootstrap", ADMINISTRATOR, value)
        return secret

    async def verify_api_key(self, secret: str) -> Principal | None:
        return await self._cached(b"k" + digest(secret), self._load_key)

    async def verify_executor_token(self, secret: str) -> Principal | None:
        return await self._cached(b"x" + digest(secret), self._load_token)

    async def _cached(self, key: bytes, loader) -> Principal | None:  # type: ignore[no-untyped-def]
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await loader(key[1:])
        self._cache[key] = (now + _CACHE_SECONDS, principal)
        return principal

    async def _load_key(self, key_hash: bytes) -> Principal | None:
        row = await db.find_api_key(self.pool, key_hash)
        return Principal(str(row["id"]), row["name"], row["role"]) if row else None

    async def _load_token(self, token_hash: bytes) -> Principal | None:
        row = await db.find_executor_token(self.pool, token_hash)
        return Principal(str(row["id"]), row["name"], "executor") if row else None
