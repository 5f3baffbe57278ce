"""Turns domain errors into gRPC statuses with rich details."""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import asyncpg
import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from syncplane.server.db.errors import UNAVAILABLE
from syncplane.server.errors import (
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    Violation,
)

log = structlog.get_logger(__name__)

_CODES: dict[type[DomainError], int] = {
    InvalidArgument: code_pb2.INVALID_ARGUMENT,
    NotFound: code_pb2.NOT_FOUND,
    Conflict: code_pb2.ABORTED,
    FailedPrecondition: code_pb2.FAILED_PRECONDITION,
    Unauthenticated: code_pb2.UNAUTHENTICATED,
    PermissionDenied: code_pb2.PERMISSION_DENIED,
    Unavailable: code_pb2.UNAVAILABLE,
}

# "The database is away" (not a bug): the one definition, server.db.errors.UNAVAILABLE.
_DB_DOWN = UNAVAILABLE


# The status travels in the trailers (grpc-message, percent-encoded, and the details, base64, which
# repeat the message): past gRPC's 8 KiB metadata limit the client sees RESOURCE_EXHAUSTED (a 429)
# instead of the error. Each text is bounded, and violations are dropped past a byte budget, so the
# worst case (non-ASCII everywhere) stays near 6 KiB.
MAX_MESSAGE_CHARS = 200
MAX_DESCRIPTION_CHARS = 200
MAX_FIELD_CHARS = 100
MAX_REASON_CHARS = 64
MAX_VIOLATIONS = 10
MAX_DETAILS_BYTES = 2500


def bounded(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


_DATA_ERROR = "a value in the request cannot be stored"
_DATA_ERRORS = {
    "22021": "a string in the request holds a character that cannot be stored (such as NUL)",
    "22P05": "a string in the request holds a character that cannot be stored (such as NUL)",
    "22003": "a number in the request is out of range",
}


def to_status(error: DomainError) -> grpc.Status:
    code = next((c for t, c in _CODES.items() if isinstance(error, t)), code_pb2.INTERNAL)
    status = status_pb2.Status(code=code, message=bounded(str(error), MAX_MESSAGE_CHARS))
    if isinstance(error, InvalidArgument):
        detail = any_pb2.Any()
        detail.Pack(_bad_request(error.violations))
        status.details.append(detail)
    return rpc_status.to_status(status)


def _bad_request(violations: list[Violation]) -> error_details_pb2.BadRequest:
    kept = [
        error_details_pb2.BadRequest.FieldViolation(
            field=bounded(v.field, MAX_FIELD_CHARS),
            description=bounded(v.message, MAX_DESCRIPTION_CHARS),
            reason=bounded(v.reason, MAX_REASON_CHARS),
        )
        for v in violations[:MAX_VIOLATIONS]
    ]
    bad_request = error_details_pb2.BadRequest(field_violations=kept)
    while len(kept) > 1 and bad_request.ByteSize() > MAX_DETAILS_BYTES:
        kept.pop()
        bad_request = error_details_pb2.BadRequest(field_violations=kept)
    return bad_request


class Internal(DomainError):
    """A bug: logged with its traceback, shown to the client only by reference."""


def _convert(exc: BaseException) -> DomainError:
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, _DB_DOWN):
        return Unavailable("the database is unavailable; retry shortly")
    if isinstance(exc, asyncpg.exceptions.DataError):
        # SQLSTATE class 22: a value the database cannot hold (a NUL in text, a number out of range,
        # malformed JSON from a gRPC client...). The client's input, not a bug: a 400, one log line.
        log.info("rpc.invalid_data", sqlstate=exc.sqlstate, error_type=type(exc).__name__)
        text = _DATA_ERRORS.get(exc.sqlstate, _DATA_ERROR)
        return InvalidArgument(Violation("", text, "value_error"), message=text)
    reference = uuid.uuid4().hex[:12]
    log.exception("rpc.internal_error", reference=reference, error_type=type(exc).__name__)
    return Internal(f"internal error (reference {reference})")


F = TypeVar("F", bound=Callable[..., Any])


def grpc_method(fn: F) -> F:
    """Wraps a unary servicer method: domain errors become statuses."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:  # noqa: BLE001 - every error becomes a status
            await context.abort_with_status(to_status(_convert(exc)))

    return wrapper  # type: ignore[return-value]  # same signature as the method it wraps; mypy cannot prove it


def grpc_stream(fn: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    """Wraps a server-streaming servicer method the same way."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            async for item in fn(self, request, context):
                yield item
        except grpc.aio.AbortError:
            raise
        except Exception as exc:  # noqa: BLE001 - every error becomes a status
            await context.abort_with_status(to_status(_convert(exc)))

    return wrapper

