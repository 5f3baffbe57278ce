"""The outbound targets in a syncs connection config or sync config, checked
against the egress policy (server/dialects/egress.py) at create/update time."""

from __future__ import annotations

import re
from string import Template
from typing import Any

from syncplane.server.dialects import egress
from syncplane.server.dialects.syncs import presets
from syncplane.server.dialects.validation import Checker

_SETTING = re.compile(r"\$\{?(\w+)")


async def check_connection_config(c: Checker, field: str, provider_key: str, config: dict[str, Any]) -> None:
    """`field` is where `config` sits in the request ("connection.config")."""
    await check_source_config(c, field, provider_key, config)
    preset = presets.PRESETS.get(provider_key)
    if preset is not None and not isinstance(config.get("baseUrl"), str):
        # The preset's base URL is filled from the connection's settings ($shopDomain, ...).
        try:
            url = Template(preset.base_url).substitute({k: str(v) for k, v in config.items()})
        except (KeyError, ValueError):
            return  # a missing setting is the schema's to report
        settings = _SETTING.findall(preset.base_url)
        await egress.check_url(c, f"{field}.{settings[0]}" if settings else field, url)


async def check_source_config(c: Checker, field: str, provider_key: str, config: dict[str, Any]) -> None:
    """The targets a config names: an http_api base URL, an S3 endpoint, an
    SFTP or postgres host and port, a postgres DSN."""
    if isinstance(config.get("baseUrl"), str):
        await egress.check_url(c, f"{field}.baseUrl", config["baseUrl"])
    if isinstance(config.get("endpointUrl"), str):
        await egress.check_url(c, f"{field}.endpointUrl", config["endpointUrl"])
    port = config.get("port") if isinstance(config.get("port"), int) else None
    if provider_key == "sftp" and isinstance(config.get("host"), str):
        await egress.check_host(c, f"{field}.host", config["host"], port or 22)
    if provider_key == "postgres":
        if isinstance(config.get("dsn"), str):
            await egress.check_dsn(c, f"{field}.dsn", config["dsn"])
        elif isinstance(config.get("host"), str):
            await egress.check_postgres_host(c, f"{field}.host", config["host"], port or 5432)


async def check_destination_config(c: Checker, field: str, config: dict[str, Any]) -> None:
    """A destination DSN other than the data store is a user-named outbound target."""
    if isinstance(config.get("dsn"), str):
        await egress.check_dsn(c, f"{field}.dsn", config["dsn"])


__all__ = ["check_connection_config", "check_destination_config", "check_source_config"]
