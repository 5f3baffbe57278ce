"""Gorgias: the REST API of one helpdesk account.

https://developers.gorgias.com/reference - lists under `data` with
`meta.next_cursor` (null on the last page) passed back as `cursor`, at most
100 records a page (`limit`), HTTP basic auth with the user's email and a
REST API key. List endpoints cannot filter by update time, but tickets can
be ordered `updated_datetime:desc`: an incremental read of tickets stops at
the first ticket older than the last run's mark. Customers are listed by
name, so every run reads them all (and upserts).
"""

from __future__ import annotations

from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

_CURSOR = {"type": "cursor", "cursorParam": "cursor", "nextCursorPath": "meta.next_cursor"}


def _listing(key: str, name: str, description: str, *, size: str, cursor: str | None = None) -> PresetEntity:
    return PresetEntity(
        key=key,
        display_name=name,
        description=description,
        path=f"/api/{key}",
        record_path="data",
        primary_key=("id",),
        pagination=_CURSOR,
        query={"limit": 100},
        cursor_field=cursor,
        size_class=size,
    )


PRESET = Preset(
    key="gorgias",
    display_name="Gorgias",
    docs_url="https://developers.gorgias.com/reference",
    base_url="https://$domain.gorgias.com",
    settings={
        "domain": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9-]*$",
            "description": "The account's subdomain: acme for acme.gorgias.com",
        },
        "username": {
            "type": "string",
            "minLength": 3,
            "description": "The email of the user the REST API key belongs to",
        },
    },
    required_settings=("domain", "username"),
    secret="apiKey",
    auth={"type": "basic", "username": "$username"},
    headers={},
    entities=(
        PresetEntity(
            key="tickets",
            display_name="Tickets",
            description="Support tickets, newest update first; incremental reads stop at the last run's mark",
            path="/api/tickets",
            record_path="data",
            primary_key=("id",),
            pagination=_CURSOR,
            query={"limit": 100, "order_by": "updated_datetime:desc"},
            cursor_field="updated_datetime",
            cursor_order="desc",
            size_class="l",
        ),
        _listing(
            "customers", "Customers", "Customers with their channels; a full read every run", size="m",
            cursor="updated_datetime",
        ),
        PresetEntity(
            key="ticket_messages",
            display_name="Ticket messages",
            description="The messages of each ticket, fetched per loaded ticket (one request chain per ticket)",
            path="/api/tickets/{ticket_id}/messages",
            record_path="data",
            primary_key=("id",),
            pagination=_CURSOR,
            query={"limit": 100},
            depends_on="tickets",
            parent_fields={"ticket_id": "id"},
            size_class="xl",
            default_selected=False,
        ),
        _listing("users", "Users", "Helpdesk agents and admins", size="xs"),
        _listing("tags", "Tags", "Ticket tags", size="xs"),
    ),
)

__all__ = ["PRESET"]
