"""Binary COPY from a source query straight into a destination table.

The bytes PostgreSQL sends for `COPY (query) TO STDOUT (FORMAT binary)` are
exactly what `COPY table FROM STDIN (FORMAT binary)` accepts when the column
types are equal, so the executor relays chunks without decoding a single row:
memory stays at a few chunks however large the batch, and no Python object is
made per row.

Both COPYs run at once; a bounded number of chunks in flight gives
backpressure from a slow destination to the source socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg

from syncplane.executor.context import RunFailed
from syncplane.executor.secret_values import scrub

#: Chunks buffered between the two connections. asyncpg hands over whatever
#: arrived in one socket read (typically 16-256 KiB), so this bounds the relay
#: to a few MiB.
MAX_CHUNKS_IN_FLIGHT = 16

# What a lost or failing database connection raises: turned into RunFailed with
# the side's reason code. Our own exceptions (Cancelled, Fenced, RunFailed) pass.
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError, asyncio.TimeoutError)

# The database went away (restart, network, admin shutdown, a lock wait that
# timed out): nothing is wrong with the run itself, so the engine may resume it.
_DB_AWAY = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.LockNotAvailableError,
    asyncpg.IdleInTransactionSessionTimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


@contextmanager
def translating(side: str, secret: str | None = None) -> Iterator[None]:
    """Turns database and network errors into RunFailed(f"{side}_error"), or
    f"{side}_unavailable" when the database was merely away (resumable).

    A malformed DSN or connect option is the plan's fault: config_error.
    Messages never carry a password (see `scrub`).
    """
    try:
        yield
    except asyncpg.ClientConfigurationError as exc:
        raise RunFailed(scrub(f"{side} connection settings: {exc}", secret), "config_error") from exc
    except _DB_ERRORS as exc:
        message = scrub(f"{side} database: {type(exc).__name__}: {exc}", secret)
        reason = f"{side}_unavailable" if isinstance(exc, _DB_AWAY) else f"{side}_error"
        raise RunFailed(message, reason) from exc


class _SourceAborted(Exception):
    """Raised into the destination COPY when the source side failed."""


@dataclass(frozen=True)
class CopyResult:
    rows_read: int
    rows_written: int


async def stream_copy(
    source: asyncpg.Connection,
    query: str,
    dest: asyncpg.Connection,
    table: str,
    *,
    schema: str | None,
    columns: list[str],
    source_secret: str | None = None,
) -> CopyResult:
    """Runs `query` on `source` and COPYs its rows into `schema.table` on `dest`.

    Raises RunFailed("source_error") or RunFailed("destination_error") for the
    side that failed; the other side's COPY is aborted either way.
    """
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
    room = asyncio.Semaphore(MAX_CHUNKS_IN_FLIGHT)

    async def output(data: bytes) -> None:
        await room.acquire()
        chunks.put_nowait(data)

    async def produce() -> str:
        try:
            with translating("source", source_secret):
                return await source.copy_from_query(query, output=output, format="binary")
        finally:
            # Never blocks (the queue is unbounded; `room` bounds it): the
            # consumer wakes up whether the source finished or failed.
            chunks.put_nowait(None)

    producer = asyncio.create_task(produce(), name="copy-source")

    async def relay() -> AsyncIterator[bytes]:
        while True:
            chunk = await chunks.get()
            if chunk is None:
                await asyncio.wait([producer])
                if producer.cancelled() or producer.exception() is not None:
                    raise _SourceAborted()
                return
            room.release()
            yield chunk

    try:
        with translating("destination"):
            written = await dest.copy_to_table(
                table, schema_name=schema, columns=columns, source=relay(), format="binary"
            )
    except BaseException:
        if not producer.done():
            producer.cancel()
        await asyncio.wait([producer])
        source_error = None if producer.cancelled() else producer.exception()
        if source_error is not None:
            # The source failed first; the destination only saw it as an abort.
            raise source_error from None
        raise
    read = await producer
    return CopyResult(rows_read=_count(read), rows_written=_count(written))


def _count(status: str) -> int:
    # "COPY 123"
    return int(status.rsplit(" ", 1)[-1])


__all__ = ["CopyResult", "MAX_CHUNKS_IN_FLIGHT", "scrub", "stream_copy", "translating"]
