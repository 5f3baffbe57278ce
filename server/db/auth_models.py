"""Domain objects of API keys and executor tokens, as the admin dialect lists them.

Neither carries its hash: a key's or token's secret, hashed or not, never leaves server/db
and server/auth (the lookups by hash there answer only who the caller is).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey(RowModel):
    """An API key (a row of syncplane.api_keys, without its hash); `prefix` is the secret's first
    characters, shown so a person can tell keys apart."""

    id: uuid.UUID
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutorToken(RowModel):
    """An executor token (a row of syncplane.executor_tokens, without its hash)."""

    id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None
