"""A cache of asyncpg pools, one per (DSN, connect options), for connectors.

An executor runs many attempts against the same few databases; a pool per
database keeps connection setup off every attempt. The executor calls
`close_all()` once at shutdown.

Credentials are part of the cache key (two runs with different passwords must
not share connections) but are never logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
import structlog

from syncplane.executor.context import Cancelled, Fenced

log = structlog.get_logger(__name__)

#: Connections per pool: an attempt holds one source and one destination
#: connection, so this bounds the concurrent attempts per database.
MAX_POOL_SIZE = 8
#: Idle connections are closed after this many seconds, so a database that a
#: sync used once does not keep backends open forever.
MAX_INACTIVE_SECONDS = 300.0
#: How long close_all() waits for a graceful close before terminating.
CLOSE_TIMEOUT_SECONDS = 10.0

_SERVER_SETTINGS = {
    "application_name": "syncplane-executor",
    # A frozen or cut-off executor must not hold its batch transaction (and the
    # fence row it locks FOR SHARE) forever: the server ends such a session, so
    # the next attempt can claim the fence. A live batch is never idle this long.
    "idle_in_transaction_session_timeout": "20000",
}

_pools: dict[Hashable, asyncpg.Pool] = {}


def _key(dsn: str | None, options: dict[str, Any]) -> Hashable:
    # Per event loop too: a pool belongs to the loop that made it, and an
    # outside backend's worker may run attempts on several loops (one per
    # thread, see executor/attempt_runner.py).
    loop = id(asyncio.get_running_loop())
    return (loop, dsn, tuple(sorted((name, repr(value)) for name, value in options.items())))


async def get_pool(dsn: str | None = None, **connect_options: Any) -> asyncpg.Pool:
    """The pool for this DSN and these asyncpg connect options, created on first use.

    Creating a pool opens no connection (min_size=0): connection errors surface
    at `acquire`, inside the caller's error handling.
    """
    key = _key(dsn, connect_options)
    pool = _pools.get(key)
    if pool is not None and not pool.is_closing():
        return pool
    pool = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=MAX_POOL_SIZE,
        max_inactive_connection_lifetime=MAX_INACTIVE_SECONDS,
        server_settings=_SERVER_SETTINGS,
        **connect_options,
    )
    # No lock (an asyncio.Lock binds to one event loop): if another task won
    # the race while we awaited, keep its pool and drop ours (it has no
    # connections yet).
    winner = _pools.get(key)
    if winner is not None and not winner.is_closing():
        await pool.close()
        return winner
    _pools[key] = pool
    log.debug("pools.created", pools=len(_pools))
    return pool


@asynccontextmanager
async def connection(dsn: str | None = None, **connect_options: Any) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for the duration of the block.

    If the block fails with anything but a clean stop (Cancelled, Fenced), the
    connection may be mid-COPY or mid-cancel: it is terminated rather than
    handed to the next attempt.
    """
    pool = await get_pool(dsn, **connect_options)
    conn = await pool.acquire()
    try:
        # A pool's proxy behaves as the Connection it wraps.
        yield cast(asyncpg.Connection, conn)
    except (Cancelled, Fenced):
        raise
    except BaseException:
        # The server may already have closed it (a restart): terminating then
        # must not replace the error that tells why the block failed.
        try:
            if not conn.is_closed():
                conn.terminate()
        except Exception as exc:  # noqa: BLE001 - best effort (asyncpg may have released it); the original error follows
            log.debug("pools.terminate_failed", error_type=type(exc).__name__)
        raise
    finally:
        try:
            await pool.release(conn)
        except asyncpg.InterfaceError:
            pass  # already released by asyncpg when the server closed it


async def close_all(*, this_loop_only: bool = False) -> None:
    """Closes every pool; called once at executor shutdown (idempotent). With
    `this_loop_only`, only the pools of the running loop (an attempt run on a
    loop of its own closes its pools before the loop ends)."""
    loop = id(asyncio.get_running_loop())
    keys = [k for k in _pools if not this_loop_only or k[0] == loop]  # type: ignore[index]  # keys of _pools are (loop, dsn) tuples
    pools = [_pools.pop(k) for k in keys]
    for pool in pools:
        try:
            await asyncio.wait_for(pool.close(), timeout=CLOSE_TIMEOUT_SECONDS)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("pools.close_forced", error_type=type(exc).__name__)
            pool.terminate()
    if pools:
        log.info("pools.closed", pools=len(pools))


__all__ = ["close_all", "connection", "get_pool"]
