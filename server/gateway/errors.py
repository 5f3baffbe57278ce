"""Errors on their way to a REST client: gRPC status → HTTP status, and field violations → `loc`s.

Everything that goes wrong becomes a `Problem` (a google.rpc.Status plus its field violations); the
dialect's error style decides only the shape of the body (see `error_styles.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2

from syncplane.server.gateway.descriptors import fields_by_any_name
from syncplane.server.gateway.templates import Variable

STATUS_DETAILS_KEY = "grpc-status-details-bin"

# gateway.md's table; anything else is a 500.
HTTP_STATUS_BY_CODE: dict[int, int] = {
    code_pb2.OK: 200,
    code_pb2.CANCELLED: 499,
    code_pb2.UNKNOWN: 500,
    code_pb2.INVALID_ARGUMENT: 400,
    code_pb2.DEADLINE_EXCEEDED: 504,
    code_pb2.NOT_FOUND: 404,
    code_pb2.ALREADY_EXISTS: 409,
    code_pb2.PERMISSION_DENIED: 403,
    code_pb2.UNAUTHENTICATED: 401,
    code_pb2.RESOURCE_EXHAUSTED: 429,
    code_pb2.FAILED_PRECONDITION: 400,
    code_pb2.ABORTED: 409,
    code_pb2.OUT_OF_RANGE: 400,
    code_pb2.UNIMPLEMENTED: 501,
    code_pb2.INTERNAL: 500,
    code_pb2.UNAVAILABLE: 503,
    code_pb2.DATA_LOSS: 500,
}

# For errors the gateway makes itself from an HTTP status (404, 405, 413...), the closest gRPC code.
CODE_BY_HTTP_STATUS: dict[int, int] = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    404: code_pb2.NOT_FOUND,
    405: code_pb2.UNIMPLEMENTED,
    409: code_pb2.ABORTED,
    413: code_pb2.RESOURCE_EXHAUSTED,
    429: code_pb2.RESOURCE_EXHAUSTED,
    499: code_pb2.CANCELLED,
    501: code_pb2.UNIMPLEMENTED,
    503: code_pb2.UNAVAILABLE,
    504: code_pb2.DEADLINE_EXCEEDED,
}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field, in both the FastAPI form (`loc`) and the google.rpc form (`field`)."""

    loc: tuple[str | int, ...]
    """Where in the HTTP request: ("body", "tableBindings", 0, "entityKey"), ("query", "limit")..."""
    type: str
    """A pydantic v2 error type such as "string_type" or "json_invalid"."""
    msg: str
    field: str = ""
    """The JSON-named dotted path relative to the request message, e.g. "sync.tableBindings.0.entityKey"."""


class RequestError(Exception):
    """The gateway found the request invalid before calling anything."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class Problem:
    """An error to render: the status, the HTTP status the table gives it, and its field violations."""

    http_status: int
    status: status_pb2.Status
    violations: tuple[FieldError, ...] = ()

    @property
    def code(self) -> int:
        return self.status.code

    @property
    def message(self) -> str:
        return self.status.message


def problem_for_http(http_status: int, message: str) -> Problem:
    """An error the gateway makes itself: unknown path, wrong method, internal failure..."""
    code = CODE_BY_HTTP_STATUS.get(http_status, code_pb2.INTERNAL if http_status >= 500 else code_pb2.UNKNOWN)
    return Problem(http_status, status_pb2.Status(code=code, message=message))


def problem_for_request_errors(errors: Sequence[FieldError]) -> Problem:
    """INVALID_ARGUMENT with a BadRequest, as if the service had refused the request itself."""
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=e.field, description=e.msg, reason=e.type) for e in errors
        ]
    )
    first = errors[0]
    message = f"{first.field or '.'.join(map(str, first.loc))}: {first.msg}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message)
    status.details.add().Pack(bad_request)
    return Problem(400, status, tuple(errors))


def problem_for_rpc_error(error: grpc.aio.AioRpcError, locs: LocMapper) -> Problem:
    status = status_from_rpc_error(error)
    violations = tuple(
        FieldError(loc=locs.loc(v.field), type=v.reason or "value_error", msg=v.description, field=v.field)
        for v in field_violations(status)
    )
    return Problem(HTTP_STATUS_BY_CODE.get(status.code, 500), status, violations)


def status_from_rpc_error(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The rich google.rpc.Status from the trailers when the server sent one, else code + details."""
    code = error.code().value[0]
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                status = status_pb2.Status.FromString(value)
            except DecodeError:  # a malformed trailer must not hide the error itself
                break
            # The trailer is only trusted when it agrees with the call's status (as rpc_status does).
            if status.code == code:
                return status
            break
    return status_pb2.Status(code=code, message=error.details() or "")


def field_violations(status: status_pb2.Status) -> Iterable[error_details_pb2.BadRequest.FieldViolation]:
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            yield from bad_request.field_violations


class LocMapper:
    """Turns a violation's `field` (JSON path relative to the request) into a FastAPI `loc`.

    Fields under the rule's body field lose that prefix and go under "body" (the whole path for
    `body: "*"`); path variables become ("path", <template name>); the rest came from the query.
    """

    def __init__(self, request: Descriptor, body: str, variables: Sequence[Variable]) -> None:
        self._body_all = body == "*"
        self._body_names: frozenset[str] = frozenset()
        if body and body != "*":
            field = request.fields_by_name[body]
            self._body_names = frozenset({field.name, field.json_name})
        self._path_vars: dict[str, str] = {}
        for var in variables:
            for spelling in _spellings(request, var.field_path):
                self._path_vars[spelling] = var.name

    def loc(self, field: str) -> tuple[str | int, ...]:
        if field in self._path_vars:
            return ("path", self._path_vars[field])
        parts: list[str | int] = [int(p) if p.isascii() and p.isdigit() else p for p in field.split(".")] if field else []
        if self._body_all or not parts:
            return ("body", *parts)
        if parts[0] in self._body_names:
            return ("body", *parts[1:])
        return ("query", *parts)


def _spellings(request: Descriptor, field_path: tuple[str, ...]) -> set[str]:
    # A path variable may be named in its proto or JSON spelling by a service's violation.
    proto, json = [], []
    descriptor: Descriptor | None = request
    for name in field_path:
        field = fields_by_any_name(descriptor).get(name) if descriptor is not None else None
        if field is None:
            return {".".join(field_path)}
        proto.append(field.name)
        json.append(field.json_name)
        descriptor = field.message_type
    return {".".join(proto), ".".join(json)}
