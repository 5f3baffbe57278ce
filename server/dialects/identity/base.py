"""What every identity resource holds, and the lookups they share."""

from __future__ import annotations

from typing import TypeVar

import asyncpg

from syncplane.server.auth.interceptor import current_principal
from syncplane.server.db import identity as db
from syncplane.server.db.identity_models import ConnectedSystemView
from syncplane.server.dialects.identity.settings import IdentitySettings
from syncplane.server.engine.lifecycle import RunEngine
from syncplane.server.engine.watch import WatchHub
from syncplane.server.errors import NotFound

R = TypeVar("R")


def found(row: R | None, what: str, ident: object) -> R:
    """`row`, or the reference's 404 ("Run profile with ID 7 not found.") when there is none."""
    if row is None:
        raise NotFound(f"{what} with ID {ident} not found.")
    return row


class Resource:
    """One resource of the identity API (connected systems, run profiles, ...): its
    dependencies and the handlers for its RPCs; a servicer delegates to it."""

    def __init__(self, pool: asyncpg.Pool, engine: RunEngine, watch: WatchHub, settings: IdentitySettings) -> None:
        self._pool = pool
        self._engine = engine
        self._watch = watch
        self._settings = settings

    async def _connected_system(self, cs_id: int, db_: asyncpg.Connection | asyncpg.Pool | None = None) -> ConnectedSystemView:
        return found(await db.get_connected_system(db_ or self._pool, cs_id), "Connected system", cs_id)


def initiated_by() -> tuple[str, str | None, str | None]:
    """(initiatedByType, id, name) of the caller: an API key, or the system."""
    principal = current_principal.get()
    if principal is None:
        return "System", None, None
    return "ApiKey", principal.id, principal.name
