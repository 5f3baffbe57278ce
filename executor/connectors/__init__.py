"""Connectors an executor can run, by kind.

A connector is an async callable `run(ctx) -> None` that moves the data of one
attempt; it raises Cancelled, Fenced or RunFailed to end otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from syncplane.executor.context import RunContext

ConnectorFn = Callable[[RunContext], Awaitable[None]]


def registry() -> dict[str, ConnectorFn]:
    """The connectors this build of the executor has, by provider key."""
    from syncplane.executor.connectors import files, http_api, identity, noop, postgres, sync_job

    return {
        "postgres": postgres.run,
        "noop": noop.run,
        "http_api": http_api.run,
        "sftp": files.run_sftp,
        "s3": files.run_s3,
        "identity": identity.run,
        "sync_job": sync_job.run,
    }


__all__ = ["ConnectorFn", "registry"]
