"""What a SaaS preset declares: data only, no behaviour.

A preset describes one provider's public JSON API in the terms of the
`http_api` connector: where it lives, how it authenticates, and its entities
(path, record list, pagination, incremental filter). `expand.py` turns one
into the source config the executor runs; `catalog.py` into the catalog entry.

Templates: `$name` in a base URL, path, header or auth value is a setting of
the connection (e.g. `$apiVersion`), filled in at trigger time; `{name}` in a
path is a field of the parent record (a child entity), filled in by the
executor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Catalog size classes, smallest first (the proto's xs | s | m | l | xl).
SIZE_CLASSES = ("xs", "s", "m", "l", "xl")


@dataclass(frozen=True)
class PresetEntity:
    """One entity of a provider's API.

    Attributes:
        key: the entity key a sync selects.
        display_name: for the catalog.
        description: for the catalog (what the records are, how they are read).
        path: the API path (`$setting` and `{parentField}` templates).
        record_path: dotted path of the record list in a response ("" = the body).
        primary_key: the record fields that identify a record.
        pagination: the http_api pagination block.
        query: static query parameters of every first request.
        cursor_field: the record field (dotted for nested) incremental runs advance on.
        cursor_param: the query parameter that filters by the cursor, if the API has one.
        cursor_format: the filter value around `{value}` (e.g. "greater-than(updated,{value})").
        cursor_order: "desc" when the API cannot filter but lists newest-first by the cursor.
        load_mode: the default load mode.
        depends_on: the parent entity, for one fetched per parent record.
        parent_fields: path placeholder or query parameter -> parent field.
        size_class: xs..xl, a rough row count for the catalog.
        default_selected: selected by default in the catalog.
    """

    key: str
    display_name: str
    description: str
    path: str
    record_path: str
    primary_key: tuple[str, ...]
    pagination: dict[str, Any]
    query: dict[str, str | int | bool] = field(default_factory=dict)
    cursor_field: str | None = None
    cursor_param: str | None = None
    cursor_format: str | None = None
    cursor_order: str = "asc"
    load_mode: str = "upsert"
    depends_on: str | None = None
    parent_fields: dict[str, str] = field(default_factory=dict)
    size_class: str = "m"
    default_selected: bool = True

    @property
    def reserved_params(self) -> tuple[str, ...]:
        """Query parameters the preset itself drives: a sync may not override them."""
        names = [self.cursor_param, *self.parent_fields]
        for key in ("pageParam", "sizeParam", "offsetParam", "limitParam", "cursorParam"):
            names.append(self.pagination.get(key))
        return tuple(sorted({n for n in names if n}))

    @property
    def start_date_applies(self) -> bool:
        """Whether a start date can bound this entity's reads (a filter, or a newest-first stop)."""
        return self.cursor_field is not None and (self.cursor_param is not None or self.cursor_order == "desc")


@dataclass(frozen=True)
class Preset:
    """One SaaS provider as a preset of `http_api`.

    Attributes:
        key: the provider key of the seed's enum.
        display_name: for the catalog.
        docs_url: the public API reference the preset follows.
        base_url: the API's base URL (`$setting` templates).
        settings: JSON Schema properties of the connection's own settings.
        required_settings: which of them a connection must have.
        secret: the name of the connection's write-only secret the auth reads.
        auth: the http_api auth block (its `username` may be a `$setting`).
        headers: static request headers (`$setting` templates), e.g. an API revision.
        entities: in catalog order.
    """

    key: str
    display_name: str
    docs_url: str
    base_url: str
    settings: dict[str, dict[str, Any]]
    required_settings: tuple[str, ...]
    secret: str
    auth: dict[str, str]
    headers: dict[str, str]
    entities: tuple[PresetEntity, ...]

    def entity(self, key: str) -> PresetEntity | None:
        return next((e for e in self.entities if e.key == key), None)

    @property
    def table_prefix(self) -> str:
        """Default destination tables are `<provider>_<entity>`: two providers' `customers` never collide."""
        return f"{self.key}_"


__all__ = ["Preset", "PresetEntity", "SIZE_CLASSES"]
