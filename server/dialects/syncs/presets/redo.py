"""Redo: the returns API of one store.

https://developers.redo.com/docs/api-reference - `GET /v2.2/stores/{storeId}/returns`
answers `{"returns": [...], "orders": [...]}`; the next page's cursor is the
`X-Page-Next` response header, passed back as `page-continue` (absent on the
last page); `page-size` sets the page. A store's API secret authenticates as
a Bearer token. The list has no documented update filter or order, so every
run reads all returns (and upserts them by id).
"""

from __future__ import annotations

from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity

PRESET = Preset(
    key="redo",
    display_name="Redo",
    docs_url="https://developers.redo.com/docs/api-reference",
    base_url="https://api.getredo.com",
    settings={
        "storeId": {
            "type": "string",
            "pattern": "^[A-Za-z0-9_-]+$",
            "description": "The store id shown in Settings > Developer of the Redo dashboard",
        },
    },
    required_settings=("storeId",),
    secret="token",
    auth={"type": "bearer"},
    headers={},
    entities=(
        PresetEntity(
            key="returns",
            display_name="Returns",
            description="Returns with their items, shipments and status; a full read every run",
            path="/v2.2/stores/$storeId/returns",
            record_path="returns",
            primary_key=("id",),
            pagination={"type": "cursor", "cursorParam": "page-continue", "nextCursorHeader": "X-Page-Next"},
            query={"page-size": 100},
            size_class="m",
        ),
    ),
)

__all__ = ["PRESET"]
