"""Small helpers every dialect service uses."""

from __future__ import annotations

import uuid
from typing import Any

from syncplane.server.auth.interceptor import current_principal
from syncplane.server.dialects.validation import PYDANTIC, parse_uuid
from syncplane.server.errors import NotFound


def actor() -> str | None:
    """Who is calling, for createdBy/updatedBy/cancelRequestedBy."""
    principal = current_principal.get()
    return principal.name if principal else None


def set_present(message: Any, **values: Any) -> Any:
    """Sets the values that are not None on a proto message (an unset optional
    field renders as null); a dict fills a Struct field. Returns the message."""
    for key, value in values.items():
        if value is None:
            continue
        field = getattr(message, key, None)
        if isinstance(value, dict) and hasattr(field, "update"):
            field.update(value)
        else:
            setattr(message, key, value)
    return message


def path_uuid(field: str, value: str, what: str) -> uuid.UUID:
    """A uuid from a path parameter: malformed is a 422 on that parameter."""
    return parse_uuid(PYDANTIC, field, value, what)


def not_found(what: str, ident: object) -> NotFound:
    return NotFound(f"{what} {ident} not found")
