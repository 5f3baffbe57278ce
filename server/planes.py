"""Start-time checks of the two planes when the databases are given by URL.

`syncplane server --database-url X [--data-store-url Y]` runs on any
PostgreSQL. It still works with one superuser URL for both (tests and quick
trials do that), but then a user's sync or identity export runs with the
control plane's credentials: say so, loudly, once per start.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import asyncpg
import structlog

from syncplane.server.db import provision

log = structlog.get_logger(__name__)

HINT = "see README: 'Two planes, two roles' (syncplane db provision creates them)"


def _target(url: str) -> tuple[object, ...]:
    """Who connects where, without the password."""
    parts = urlsplit(url)
    query = {k: sorted(v) for k, v in parse_qs(parts.query).items() if k not in ("password", "passfile")}
    user = parts.username or (query.get("user") or [None])[0]
    return (parts.hostname, parts.port, parts.path.strip("/"), user, sorted(query.items()))


def same_plane(control_url: str, data_store_url: str) -> bool:
    return _target(control_url) == _target(data_store_url)


async def warn_if_shared(conn: asyncpg.Connection, control_url: str, data_store_url: str) -> list[str]:
    """Logs a warning per weakness found; returns their event names (for tests)."""
    found = []
    role = await provision.superuser_role(conn)
    if role is not None:
        found.append("planes.control_role_is_superuser")
        log.warning(found[-1], role=role,
                    risk="the control plane runs as a PostgreSQL superuser", hint=HINT)
    if same_plane(control_url, data_store_url):
        found.append("planes.data_store_is_control_db")
        log.warning(found[-1], risk="executors get the control plane's own database and credentials", hint=HINT)
    return found
