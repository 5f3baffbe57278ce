"""The egress policy (syncplane.egress) at create/update time: a refused
outbound target is a field violation in the dialect's error shape.

A name that does not resolve now is accepted (the executor checks again when
it connects, on the addresses it connects to). Values with placeholders
(`{{...}}`, `$setting`) are checked where they can be, and always at connect time.
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import urlsplit

from syncplane import egress

_PLACEHOLDER = re.compile(r"\{\{|\$\w|\$\{")


class Violations(Protocol):
    """Where a refusal goes: a validation.Checker, in any dialect's vocabulary."""

    def add(self, field: str, message: str, reason: str = ...) -> None: ...


_DEFAULT_PORTS = {"http": 80, "https": 443, "postgres": 5432, "postgresql": 5432, "ldap": 389, "ldaps": 636}


async def check_host(c: Violations, field: str, host: str, port: int | None) -> None:
    """Adds a violation at `field` when the policy refuses host:port."""
    if not host or _PLACEHOLDER.search(host):
        return
    try:
        await egress.policy().check_async(host, port, unresolved_ok=True)
    except egress.EgressRefused as exc:
        c.add(field, str(exc), "value_error")


async def check_url(c: Violations, field: str, url: str) -> None:
    """An http(s) URL's host and port (schemes and syntax are validated elsewhere)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return  # a malformed URL is the URL validation's to report
    if host is None or parts.scheme not in _DEFAULT_PORTS:
        return
    await check_host(c, field, host, port or _DEFAULT_PORTS[parts.scheme])


async def check_dsn(c: Violations, field: str, dsn: str) -> None:
    """Every host of a postgres URL; a unix socket (or no host) is judged as loopback."""
    await check_postgres(c, field, dsn, None, None)


async def check_postgres_host(c: Violations, field: str, host: str, port: int | None) -> None:
    await check_postgres(c, field, None, host, port)


async def check_postgres(c: Violations, field: str, dsn: str | None, host: str | None, port: int | None) -> None:
    try:
        await egress.policy().check_postgres_async(dsn, host, port, unresolved_ok=True)
    except egress.EgressRefused as exc:
        c.add(field, str(exc), "value_error")


__all__ = ["Violations", "check_dsn", "check_host", "check_postgres", "check_postgres_host", "check_url"]
