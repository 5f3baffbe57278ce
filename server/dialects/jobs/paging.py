"""Cursor pagination: `next_cursor` is an opaque token of the last row's
(created_at, id); lists are newest first and stable under inserts."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syncplane.server.db.jobs import Cursor
from syncplane.server.dialects.validation import Checker

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def encode(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(c: Checker, token: str | None) -> Cursor:
    if not token:
        return None, None
    try:
        padded = token + "=" * (-len(token) % 4)
        at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error):
        c.add("next_cursor", "Invalid cursor: pass the next_cursor of a previous page", "invalid_cursor")
        return None, None


def encode_after(position: int) -> str:
    """A cursor of a list in queue order (an outbox id), opaque like the others."""
    return base64.urlsafe_b64encode(json.dumps(["after", position]).encode()).decode().rstrip("=")


def decode_after(c: Checker, token: str | None) -> int:
    """The position after which a queue-order page starts (0: the first page)."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        tag, position = json.loads(base64.urlsafe_b64decode(padded))
        if tag == "after" and isinstance(position, int) and 0 <= position < 2**63:
            return position
    except (ValueError, TypeError, binascii.Error):
        pass
    c.add("next_cursor", "Invalid cursor: pass the next_cursor of a previous page", "invalid_cursor")
    return 0


def limit_of(c: Checker, request: Any) -> int:
    limit = request.limit if request.HasField("limit") else DEFAULT_LIMIT
    c.int_range("limit", limit, 1, MAX_LIMIT)
    return int(limit)


def read(c: Checker, request: Any) -> tuple[Cursor, int]:
    """The cursor and limit of a list request (checked)."""
    limit = request.limit if request.HasField("limit") else DEFAULT_LIMIT
    c.int_range("limit", limit, 1, MAX_LIMIT)
    cursor = decode(c, request.next_cursor if request.HasField("next_cursor") else None)
    return cursor, limit


def fill(response: Any, rows: Sequence[Any], limit: int, convert: Any) -> Any:
    """Fills {result, next_cursor, limit} from up to limit+1 rows."""
    page = list(rows[:limit])
    response.result.extend(convert(r) for r in page)
    response.limit = limit
    if len(rows) > limit:
        response.next_cursor = encode(page[-1].created_at, page[-1].id)
    return response
