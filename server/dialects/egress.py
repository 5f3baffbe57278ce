"""The egress policy (syncplane.egress) at create/update time: a refused
outbound target is a field violation in the dialect's error shape.

A name that does not resolve now is accepted (the executor checks again when
it connects, on the addresses it connects to). Values with placeholders
(`{{...}}`, `$setting`) are checked where they can be, and always at connect time.
"""

from __future__ import annotations

import re
from typing import Protocol
from urllib.parse import unquote, urlsplit

from syncplane import egress

_PLACEHOLDER = re.compile(r"\{\{|\$\w|\$\{")


class Violations(Protocol):
    """Where a refusal goes: each dialect's checker (validation.Checker, identity Rules)."""

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


def dsn_hosts(dsn: str) -> list[tuple[str, int]] | None:
    """The (host, port) pairs a postgres URL names; a host "" or starting with
    "/" is a unix socket. None if the URL cannot be read."""
    try:
        parts = urlsplit(dsn)
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    except ValueError:
        return None
    netloc = parts.netloc.rsplit("@", 1)[-1]
    hosts: list[tuple[str, int]] = []
    default_port = _int(unquote(query.get("port", ""))) or 5432
    for item in netloc.split(",") if netloc else [""]:
        host, port = item, default_port
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = _int(rest.lstrip(":")) or default_port
        elif ":" in item:
            host, _, raw_port = item.rpartition(":")
            port = _int(raw_port) or default_port
        hosts.append((unquote(host), port))
    if "host" in query:
        # libpq: a host parameter overrides the URL's hosts (often a socket directory).
        hosts = [(unquote(h), default_port) for h in unquote(query["host"]).split(",")]
    return hosts


async def check_dsn(c: Violations, field: str, dsn: str) -> None:
    """Every host of a postgres URL; a unix socket (or no host) is judged as loopback."""
    for host, port in dsn_hosts(dsn) or []:
        await check_postgres_host(c, field, host, port)


async def check_postgres_host(c: Violations, field: str, host: str, port: int | None) -> None:
    if not host or host.startswith("/") or host.startswith("@"):
        try:
            egress.policy().check_local_socket(host or "(default)")
        except egress.EgressRefused as exc:
            c.add(field, str(exc), "value_error")
        return
    await check_host(c, field, host, port or 5432)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


__all__ = ["Violations", "check_dsn", "check_host", "check_postgres_host", "check_url", "dsn_hosts"]
