"""SaaS providers as declarative presets of the `http_api` connector.

One small module per provider holds its `PRESET` (data: connection
settings, auth, entities with their real paths, record lists, pagination and
incremental filters). The catalog shows each as runnable with its entities;
at trigger time `expand.source_config` turns it into a complete http_api
source config, so executors run the existing http_api connector. This
package imports nothing from `providers` (which registers these), so either
may be imported first.
"""

from __future__ import annotations

from syncplane.server.dialects.syncs.presets import gorgias, klaviyo, redo, shopify
from syncplane.server.dialects.syncs.presets.catalog import provider_fields
from syncplane.server.dialects.syncs.presets.expand import source_config
from syncplane.server.dialects.syncs.presets.model import Preset, PresetEntity
from syncplane.server.dialects.syncs.presets.unavailable import NOT_RUNNABLE

#: The connector every preset runs on.
CONNECTOR = "http_api"

PRESETS: dict[str, Preset] = {p.key: p for p in (shopify.PRESET, klaviyo.PRESET, gorgias.PRESET, redo.PRESET)}


def get(key: str) -> Preset | None:
    return PRESETS.get(key)


__all__ = ["CONNECTOR", "NOT_RUNNABLE", "PRESETS", "Preset", "PresetEntity", "get", "provider_fields", "source_config"]
