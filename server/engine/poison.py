"""Telling a row that fails every time from a database that is away.

The background loops (sweeper, scheduler, finisher, outbox) handle each row on
its own: when a row raises, the loop asks `transient(exc)`. A transient error
(the connection or the server went away, a deadlock) is tried again on the
next pass. Anything else (a dialect hook that raises, a constraint the row
breaks) would raise again for that row on every pass and on every replica, so
the row is set aside with `reason(exc)` and the loop goes on.
"""

from __future__ import annotations

from syncplane.server.db.errors import TRANSIENT, transient


def reason(exc: BaseException) -> str:
    """One line: the exception's type and message (kept short for the row and the log)."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:500]


__all__ = ["TRANSIENT", "reason", "transient"]
