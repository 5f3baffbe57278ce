"""The one definition of "the database is unavailable" (and of "try again").

`UNAVAILABLE`: the database did not answer this time: the connection broke or
could not be made, the server is shutting down or refusing connections, it ran
out of connections or resources, or a statement was cancelled (a statement
timeout, an administrator). The RPC edge answers these with UNAVAILABLE (503 +
Retry-After), never a 500; background loops log them and try again. asyncpg
raises InternalClientError when the server vanishes mid-operation (seen during
a PostgreSQL restart), so it belongs here too.

`RETRY`: the database answered, but this transaction lost a race (deadlock,
serialization failure, a NOWAIT lock held elsewhere); the same work run again
may well succeed. It is not an outage.

`TRANSIENT` = both: what a loop handling rows one by one tries again next pass
instead of setting the row aside (see `server.engine.poison`).

Everything else, an `UndefinedColumnError` or a constraint a row breaks
included, is a bug or a bad row and is never reported as an outage.
"""

from __future__ import annotations

import asyncpg
from asyncpg import exceptions as pg

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # cannot connect, connection reset (ConnectionError is an OSError)
    TimeoutError,  # connect or pool acquire timed out
    asyncpg.InterfaceError,  # the connection is closed, or was released under us
    asyncpg.InternalClientError,  # the server vanished mid-operation
    pg.PostgresConnectionError,  # SQLSTATE class 08: connection exception
    pg.OperatorInterventionError,  # class 57: admin/crash shutdown, cannot connect now, query cancelled
    pg.InsufficientResourcesError,  # class 53: too many connections, out of memory, disk full
)

RETRY: tuple[type[BaseException], ...] = (
    pg.TransactionRollbackError,  # class 40: deadlock detected, serialization failure
    pg.LockNotAvailableError,  # 55P03: a NOWAIT lock held elsewhere
)

TRANSIENT: tuple[type[BaseException], ...] = UNAVAILABLE + RETRY

#: The name the loops used before; the same tuple as `TRANSIENT`.
DB_ERRORS = TRANSIENT


def unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database is away (not that the query is wrong)."""
    return isinstance(exc, UNAVAILABLE)


def transient(exc: BaseException) -> bool:
    """True when the same work may succeed if run again (outage or lost race)."""
    return isinstance(exc, TRANSIENT)


__all__ = ["DB_ERRORS", "RETRY", "TRANSIENT", "UNAVAILABLE", "transient", "unavailable"]
