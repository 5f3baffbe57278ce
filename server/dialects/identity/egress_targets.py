"""The outbound targets in a connected system's settings (LDAP host/port, a
SQL system's DSN or host/port, a SCIM base URL), checked against the egress
policy (server/dialects/egress.py) when they are set."""

from __future__ import annotations

from typing import Any

from syncplane.server.dialects import egress

#: Settings that name where a connector connects.
TARGET_SETTINGS = frozenset({"host", "port", "dsn", "baseUrl"})


async def check_settings(violations: egress.Violations, connector: str, settings: dict[str, Any]) -> None:
    """`settings` are the connected system's settings after the change."""
    host = settings.get("host") if isinstance(settings.get("host"), str) else None
    raw_port = settings.get("port")
    port = raw_port if isinstance(raw_port, int) and not isinstance(raw_port, bool) else None
    field = "settings.host"
    if connector == "ldap" and host:
        await egress.check_host(violations, field, host, port or 389)
    elif connector == "sql":
        if isinstance(settings.get("dsn"), str) and settings["dsn"]:
            await egress.check_dsn(violations, "settings.dsn", settings["dsn"])
        elif host is not None:
            await egress.check_postgres_host(violations, field, host, port or 5432)
    if isinstance(settings.get("baseUrl"), str):
        await egress.check_url(violations, "settings.baseUrl", settings["baseUrl"])


__all__ = ["TARGET_SETTINGS", "check_settings"]
