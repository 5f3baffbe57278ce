"""Running one client command: its gRPC failures as one line a user can act on, and Ctrl-C while it
follows a run (the run goes on on the server; the line says how to cancel it)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import grpc

from syncplane.server.cli_output import EXIT_INTERRUPTED, EXIT_UNREACHABLE, unreachable

# What grpc-core says when it never reached the server (as opposed to a server answering UNAVAILABLE).
_NOT_CONNECTED = ("failed to connect", "dns resolution failed", "connection refused", "connect failed",
                  "name resolution", "no route to host", "deadline exceeded while waiting for connection")


@dataclass
class Following:
    """What a --wait command is following, for the Ctrl-C message."""

    what: str = ""
    cancel_command: str = ""


def rpc_failure(exc: grpc.aio.AioRpcError, target: str) -> int:
    details = exc.details() or ""
    if exc.code() == grpc.StatusCode.UNAVAILABLE and any(s in details.lower() for s in _NOT_CONNECTED):
        print(unreachable(target, _reason(details)), file=sys.stderr)
        return EXIT_UNREACHABLE
    if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
        print(f"error: UNAUTHENTICATED: {details}; pass an API key with --api-key or SYNCPLANE_API_KEY",
              file=sys.stderr)
        return 1
    print(f"error: {exc.code().name}: {details}", file=sys.stderr)
    return 1


def _reason(details: str) -> str:
    """The last, most specific part of grpc-core's message ("Connection refused")."""
    tail = details.rsplit(":", 1)[-1].strip()
    return tail or details


def run_client(main: Callable[[], Coroutine[Any, Any, int]], following_now: Callable[[], Following]) -> int:
    """Runs a command's coroutine; `following_now` tells, after Ctrl-C, what the command was following."""
    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        following = following_now()
        if following.what:
            print(f"stopped watching: {following.what} goes on", file=sys.stderr)
            if following.cancel_command:
                print(f"  cancel it with: {following.cancel_command}", file=sys.stderr)
        else:
            print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
