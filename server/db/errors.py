"""The exceptions that mean "the database did not answer this time".

Every background loop survives them (and tries again); the RPC edge answers
them with UNAVAILABLE (503 + Retry-After), never a 500. asyncpg raises
InternalClientError when the server vanishes mid-operation (seen during a
PostgreSQL restart), so it belongs here too.
"""

from __future__ import annotations

import asyncpg

DB_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
