"""Egress policy shared by server and executor: may a user-configured outbound
target (an API base URL, a webhook, an LDAP/SFTP/S3 endpoint, a postgres DSN)
be reached?

- Always refused: link-local (169.254.0.0/16, fe80::/10), cloud metadata
  addresses and names, unspecified (0.0.0.0/8, ::), multicast, and the control
  plane's own listeners (its gRPC and HTTP ports on any local address).
- Loopback and private ranges (127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16,
  fc00::/7, 100.64/10) are refused unless `SYNCPLANE_EGRESS_ALLOW` allows them.
- Public addresses are allowed unless `SYNCPLANE_EGRESS_DENY` denies them.
- Both variables hold comma-separated CIDRs and host names (case-insensitive;
  `*.example.com` matches every name under example.com), and unix-socket
  directories ("/run/postgresql"; a socket is otherwise judged as loopback).
  Deny wins.
- A host name is resolved and every address it resolves to must pass: a name
  that resolves to 127.0.0.1 is judged as loopback (allowing the name by name
  lets its loopback/private addresses through, a denied CIDR still wins).

The server checks when a target is configured; the executor (and the server's
webhook deliverer) check again when connecting, on the addresses actually
connected to, so a name that resolves elsewhere later is caught. Messages
depend only on the target's addresses, never on whether anything listens there.
Stdlib only (`ipaddress`, `socket`), so both sides can share it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ENV_ALLOW = "SYNCPLANE_EGRESS_ALLOW"
ENV_DENY = "SYNCPLANE_EGRESS_DENY"

#: Cloud instance metadata services (AWS, AWS IPv6, GCP/Azure/OpenStack, Alibaba).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "instance-data.ec2.internal"})

_LINK_LOCAL = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))
_UNSPECIFIED = tuple(ipaddress.ip_network(n) for n in ("0.0.0.0/8", "::/128"))
_MULTICAST = tuple(ipaddress.ip_network(n) for n in ("224.0.0.0/4", "255.255.255.255/32", "ff00::/8"))
_LOOPBACK = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128"))
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "100.64.0.0/10")
)
#: The address a local (unix-socket) target is judged as.
LOCAL_SOCKET_ADDRESS = ipaddress.ip_address("127.0.0.1")


class EgressRefused(Exception):
    """The policy refuses this target. The message names the target and the
    kind of address, never whether anything answers there."""

    def __init__(self, target: str, why: str) -> None:
        super().__init__(f"{target} is not an allowed outbound target ({why}; see {ENV_ALLOW}/{ENV_DENY})")
        self.target = target
        self.why = why


@dataclass(frozen=True)
class Rules:
    """One variable's entries: networks, host-name patterns (lower case) and
    unix-socket directories (entries starting with "/")."""

    networks: tuple[IPNetwork, ...] = ()
    names: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> Rules:
        networks: list[IPNetwork] = []
        names: list[str] = []
        paths: list[str] = []
        for raw in (text or "").split(","):
            entry = raw.strip()
            if not entry:
                continue
            if entry.startswith("/"):
                paths.append(entry.rstrip("/") or "/")
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.append(_norm(entry))
        return cls(tuple(networks), tuple(names), tuple(paths))

    def has_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)

    def has_path(self, path: str) -> bool:
        path = path.rstrip("/") or "/"
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.paths)

    def has_name(self, host: str) -> bool:
        host = _norm(host)
        for pattern in self.names:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]):
                    return True
            elif host == pattern:
                return True
        return False


@dataclass(frozen=True)
class Listener:
    """One of the control plane's own sockets. An unspecified or local host
    stands for every local address."""

    host: str
    port: int


@dataclass(frozen=True)
class Policy:
    allow: Rules = field(default_factory=Rules)
    deny: Rules = field(default_factory=Rules)
    listeners: frozenset[Listener] = frozenset()

    @classmethod
    def from_env(cls, listeners: Iterable[Listener] = ()) -> Policy:
        return cls(
            Rules.parse(os.environ.get(ENV_ALLOW)),
            Rules.parse(os.environ.get(ENV_DENY)),
            frozenset(listeners),
        )

    def refusal_of_name(self, host: str) -> str | None:
        """Why the name alone is refused, before any resolution; None if it is not."""
        name = _norm(host)
        if name in METADATA_NAMES:
            return "a cloud metadata service"
        if self.deny.has_name(name):
            return f"denied by {ENV_DENY}"
        return None

    def refusal_of_address(self, host: str, address: IPAddress, port: int | None) -> str | None:
        """Why connecting to `address` (which `host` resolved to) is refused; None if allowed."""
        address = _unmapped(address)
        if address in METADATA_ADDRESSES:
            return "a cloud metadata service"
        if _within(address, _LINK_LOCAL):
            return "a link-local address"
        if _within(address, _UNSPECIFIED):
            return "an unspecified address"
        if _within(address, _MULTICAST):
            return "a multicast address"
        if port is not None and self._is_own_listener(address, port):
            return "a listener of the control plane itself"
        if self.deny.has_address(address):
            return f"denied by {ENV_DENY}"
        for ranges, kind in ((_LOOPBACK, "a loopback address"), (_PRIVATE, "a private address")):
            if _within(address, ranges):
                if self.allow.has_address(address) or (host and self.allow.has_name(host)):
                    return None
                return f"{kind}, not in {ENV_ALLOW}"
        return None

    def check_addresses(self, host: str, port: int | None, addresses: Iterable[str | IPAddress]) -> None:
        """Raises EgressRefused unless the name and every resolved address pass."""
        target = _target(host, port)
        why = self.refusal_of_name(host)
        if why:
            raise EgressRefused(target, why)
        for raw in addresses:
            address = raw if not isinstance(raw, str) else ipaddress.ip_address(raw.split("%", 1)[0])
            why = self.refusal_of_address(host, address, port)
            if why:
                raise EgressRefused(target, why)

    def check_local_socket(self, path: str) -> None:
        """A unix socket is on this machine: judged as loopback (allowed by a
        loopback CIDR or the name `localhost`), or allowed by its directory."""
        if self.deny.has_path(path):
            raise EgressRefused(f"unix socket {path}", f"denied by {ENV_DENY}")
        if self.allow.has_path(path):
            return
        why = self.refusal_of_address("localhost", LOCAL_SOCKET_ADDRESS, None)
        if why:
            raise EgressRefused(f"unix socket {path}", why)

    def check(self, host: str, port: int | None, *, unresolved_ok: bool = False) -> None:
        """Resolves `host` (blocking) and checks every address. A name that does
        not resolve raises EgressRefused unless `unresolved_ok` (create time: it
        is checked again at connect time, where it cannot connect anyway)."""
        why = self.refusal_of_name(host)
        if why:
            raise EgressRefused(_target(host, port), why)
        literal = _literal(host)
        if literal is not None:
            self.check_addresses(host, port, [literal])
            return
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, ValueError):  # ValueError: a NUL, UnicodeError: a bad label
            if unresolved_ok:
                return
            raise EgressRefused(_target(host, port), "the name does not resolve") from None
        self.check_addresses(host, port, [info[4][0] for info in infos])

    async def check_async(self, host: str, port: int | None, *, unresolved_ok: bool = False) -> None:
        """`check` off the event loop (resolution may block)."""
        if _literal(host) is not None or self.refusal_of_name(host):
            self.check(host, port, unresolved_ok=unresolved_ok)
            return
        await asyncio.to_thread(self.check, host, port, unresolved_ok=unresolved_ok)

    def resolve_checked(self, host: str, port: int | None) -> list[str]:
        """The addresses of `host`, every one checked: connect to one of these
        (not to the name again), so a name cannot resolve elsewhere in between.
        A name that does not resolve raises the resolver's OSError (the caller's
        "cannot connect", not a policy refusal)."""
        why = self.refusal_of_name(host)
        if why:
            raise EgressRefused(_target(host, port), why)
        literal = _literal(host)
        if literal is not None:
            self.check_addresses(host, port, [literal])
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, f"{host!r} is not a valid host name") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        self.check_addresses(host, port, addresses)
        return addresses

    async def pinned_address(self, host: str, port: int | None) -> str:
        """One checked address of `host` to connect to (see resolve_checked)."""
        return (await asyncio.to_thread(self.resolve_checked, host, port))[0]

    def check_postgres(self, dsn: str | None, host: str | None = None, port: int | None = None,
                       *, unresolved_ok: bool = False) -> None:
        """Every host a postgres DSN (or host/port options, which libpq lets
        override it) names; a unix socket is judged as loopback."""
        targets = postgres_targets(dsn) if dsn else []
        if host:
            targets = [(h, port or p) for h, p in postgres_targets(f"postgresql://?host={quote(host)}")]
        elif port and targets:
            targets = [(h, port) for h, _ in targets]
        for name, number in targets or [("", port or 5432)]:
            if not name or name.startswith("/") or name.startswith("@"):
                self.check_local_socket(name or "(default)")
            else:
                self.check(name, number, unresolved_ok=unresolved_ok)

    async def check_postgres_async(self, dsn: str | None, host: str | None = None, port: int | None = None,
                                   *, unresolved_ok: bool = False) -> None:
        await asyncio.to_thread(self.check_postgres, dsn, host, port, unresolved_ok=unresolved_ok)

    def _is_own_listener(self, address: IPAddress, port: int) -> bool:
        for listener in self.listeners:
            if listener.port != port:
                continue
            if _is_local_host(listener.host):
                if address.is_loopback or is_local_address(address):
                    return True
            elif address in _resolve_quietly(listener.host):
                return True
        return False


# --- the process's own listeners -------------------------------------------------
# A server registers the sockets it bound; an executor the server it connected
# to and the listeners the server named in Welcome. Kept per owner (a server
# app, an executor) and forgotten when it stops, so a process that runs
# several in turn (tests do) does not keep refusing ports long given up.
_listeners: dict[int, frozenset[Listener]] = {}


def set_listeners(owner: object, listeners: Iterable[Listener]) -> None:
    """Replaces what `owner` registered."""
    _listeners[id(owner)] = frozenset(x for x in listeners if x.port)


def add_listener(owner: object, host: str, port: int) -> None:
    set_listeners(owner, [*_listeners.get(id(owner), ()), Listener(host, int(port))])


def forget_listeners(owner: object) -> None:
    _listeners.pop(id(owner), None)


def registered_listeners() -> frozenset[Listener]:
    return frozenset().union(*_listeners.values())


def policy() -> Policy:
    """The policy in force: the environment now, and this process's listeners."""
    return Policy.from_env(registered_listeners())


def postgres_targets(dsn: str) -> list[tuple[str, int]]:
    """The (host, port) pairs a postgres URL names (libpq rules: several
    comma-separated hosts, a `host`/`port` query parameter overrides them); a
    host "" or starting with "/" is a unix socket. Empty if it cannot be read."""
    try:
        parts = urlsplit(dsn)
        query = {k: v for k, v in (p.split("=", 1) for p in parts.query.split("&") if "=" in p)}
    except ValueError:
        return []
    netloc = parts.netloc.rsplit("@", 1)[-1]
    default_port = _int(unquote(query.get("port", ""))) or 5432
    hosts: list[tuple[str, int]] = []
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
        hosts = [(h, default_port) for h in unquote(query["host"]).split(",")]
    return hosts


# --- helpers ---------------------------------------------------------------------


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _target(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{shown}:{port}" if port is not None else shown


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == n.version and address in n for n in networks)


def _is_local_host(host: str) -> bool:
    name = _norm(host)
    if name in ("", "localhost"):
        return True
    literal = _literal(name)
    return literal is not None and (literal.is_unspecified or literal.is_loopback or is_local_address(literal))


@lru_cache(maxsize=256)
def is_local_address(address: IPAddress) -> bool:
    """Whether `address` is assigned to this machine: binding to it succeeds
    only then (no packet is sent)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((str(address), 0))
    except OSError:
        return False
    return True


def _resolve_quietly(host: str) -> frozenset[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return frozenset({_unmapped(literal)})
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return frozenset()
    return frozenset(_unmapped(ipaddress.ip_address(i[4][0].split("%", 1)[0])) for i in infos)


__all__ = [
    "ENV_ALLOW", "ENV_DENY", "EgressRefused", "Listener", "Policy", "Rules",
    "add_listener", "forget_listeners", "is_local_address", "policy", "postgres_targets",
    "registered_listeners", "set_listeners",
]
