"""What counts as "the database is unavailable" (server.db.errors), and what does not."""

from __future__ import annotations

import asyncpg
import pytest
from asyncpg import exceptions as pg

from syncplane.server.db.errors import transient, unavailable
from syncplane.server.engine import poison
from syncplane.server.grpc_errors import Internal, Unavailable, _convert

OUTAGES = [
    ConnectionRefusedError(),
    ConnectionResetError(),
    TimeoutError(),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.InternalClientError("the server vanished"),
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.ConnectionFailureError(),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.CrashShutdownError(),
    pg.CannotConnectNowError("the database system is starting up"),
    pg.QueryCanceledError("canceling statement due to statement timeout"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    pg.OutOfMemoryError(),
]

RETRIES = [
    pg.DeadlockDetectedError("deadlock detected"),
    pg.SerializationError("could not serialize access"),
    pg.LockNotAvailableError("could not obtain lock"),
]

BUGS = [
    pg.UndefinedColumnError('column "nope" does not exist'),
    pg.UndefinedTableError(),
    pg.PostgresSyntaxError(),
    pg.UniqueViolationError(),
    pg.ForeignKeyViolationError(),
    pg.NotNullViolationError(),
    pg.CheckViolationError(),
    pg.RaiseError("a trigger said no"),
    pg.InsufficientPrivilegeError(),
    pg.InvalidTextRepresentationError(),
    ValueError("a hook's bug"),
    KeyError("spec"),
]


@pytest.mark.parametrize("exc", OUTAGES, ids=lambda e: type(e).__name__)
def test_an_outage_is_unavailable_and_transient(exc: BaseException) -> None:
    assert unavailable(exc)
    assert transient(exc)
    assert poison.transient(exc)
    assert isinstance(_convert(exc), Unavailable)


@pytest.mark.parametrize("exc", RETRIES, ids=lambda e: type(e).__name__)
def test_a_lost_race_is_retried_but_is_no_outage(exc: BaseException) -> None:
    assert not unavailable(exc)
    assert transient(exc)


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_or_a_bad_row_is_neither(exc: BaseException) -> None:
    assert not unavailable(exc)
    assert not transient(exc)
    assert not poison.transient(exc)
    assert not isinstance(_convert(exc), Unavailable)


def test_the_rpc_edge_calls_a_wrong_query_internal() -> None:
    assert isinstance(_convert(pg.UndefinedColumnError("column x does not exist")), Internal)
