"""Small helpers every dialect service uses."""

from __future__ import annotations

import uuid

from syncplane.server.auth.interceptor import current_principal
from syncplane.server.dialects.validation import PYDANTIC, parse_uuid
from syncplane.server.errors import NotFound


def actor() -> str | None:
    """Who is calling, for createdBy/updatedBy/cancelRequestedBy."""
    principal = current_principal.get()
    return principal.name if principal else None


def path_uuid(field: str, value: str, what: str) -> uuid.UUID:
    """A uuid from a path parameter: malformed is a 422 on that parameter."""
    return parse_uuid(PYDANTIC, field, value, what)


def not_found(what: str, ident: object) -> NotFound:
    return NotFound(f"{what} {ident} not found")
