"""Domain objects of the syncs dialect's tables: connections and syncs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncplane.server.db.rows import RowModel


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection(RowModel):
    """A connection to a provider (a row of syncplane.connections). Its secrets live sealed in
    syncplane.credentials under `credential_id`, never here."""

    id: uuid.UUID
    name: str
    provider_key: str
    config: dict[str, Any]
    credential_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync(RowModel):
    """A sync (a row of syncplane.syncs): what to read, where it lands, when and where it runs."""

    id: uuid.UUID
    connection_id: uuid.UUID
    name: str
    slug: str | None
    provider_key: str
    entities: list[str]
    source_config: dict[str, Any]
    destination_config: dict[str, Any]
    execution_backend: str
    execution_config: dict[str, Any]
    execution_mode: str
    status: str
    trigger_mode: str
    schedule: dict[str, Any] | None
    freshness_sla_seconds: int | None
    table_bindings: list[dict[str, Any]]
    credential_id: uuid.UUID | None
    last_error: str | None
    last_success_at: datetime | None
    task_slug: str | None
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class Deleted:
    """What deleting a connection or a sync leaves to clean up: its sealed credential, if any."""

    credential_id: uuid.UUID | None
