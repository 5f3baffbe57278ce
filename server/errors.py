"""Domain errors: values that the service edges turn into gRPC statuses.

Engine and dialects raise these; `server.grpc_errors` renders them with
`google.rpc.BadRequest` details so the gateway can show each dialect's shape.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of the errors a client should see with their message."""


@dataclass(frozen=True)
class Violation:
    """One bad field. `field` is the JSON-named path from the request message
    (e.g. "sync.tableBindings.0.entityKey"); `reason` a stable type such as
    "missing" or "string_too_short"."""

    field: str
    message: str
    reason: str = "value_error"


class InvalidArgument(DomainError):
    def __init__(self, violations: list[Violation] | Violation, message: str | None = None) -> None:
        self.violations = [violations] if isinstance(violations, Violation) else violations
        super().__init__(message or "; ".join(f"{v.field}: {v.message}" for v in self.violations))


class NotFound(DomainError):
    pass


class FailedPrecondition(DomainError):
    """The request is well formed but the resource's configuration does not
    allow it (HTTP 400 without field violations)."""


class Conflict(DomainError):
    """The resource's state does not allow the request (HTTP 409)."""


class Unauthenticated(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class Unavailable(DomainError):
    """A dependency (the database) is down; the client should retry."""
