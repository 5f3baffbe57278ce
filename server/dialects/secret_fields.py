"""Secrets found in readable config, moved into write-only secrets.

Readable config is returned to every role (Viewers included) and stored in
clear; secrets are sealed and never read back. So a password inside a DSN
(`postgresql://u:pw@h/db` or `?password=pw`) and the value of a
credential-bearing header (Authorization, X-API-Key, Cookie, any name with
token/secret/key/auth in it) are taken out of the config as it arrives: the
DSN keeps everything but its password (the executor gets it from
`secrets.password`), the header moves to the secret `header:<Name>` (the
executor's http_api auth adds it back, to the API's own origin only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

#: Secret name of a moved header; the executor reads the same prefix (executor/sources/http_auth.py).
HEADER_SECRET_PREFIX = "header:"

_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "x-auth-token"})
_CREDENTIAL_PARTS = ("token", "secret", "key", "auth", "password", "cookie", "session")
_POSTGRES_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
# A keyword/value DSN ("host=h password=pw"): its password cannot be moved reliably.
_KEYWORD_PASSWORD = re.compile(r"(^|\s)password\s*=", re.IGNORECASE)


def is_credential_header(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in _CREDENTIAL_HEADERS or any(part in lowered for part in _CREDENTIAL_PARTS)


def split_dsn(dsn: str) -> tuple[str, str | None]:
    """(the DSN without its password, the password or None) of a postgres URL;
    any other string is returned as it is."""
    if not _POSTGRES_URL.match(dsn):
        return dsn, None
    parts = urlsplit(dsn)
    password: str | None = None
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, raw = userinfo.partition(":")
        if sep:
            password = unquote(raw)
            netloc = f"{user}@{host}" if user else host
    kept = []
    for item in parts.query.split("&") if parts.query else []:
        name, _, value = item.partition("=")
        if unquote(name).lower() == "password":
            # libpq: a query parameter overrides the URL's own part.
            password = unquote(value.replace("+", " "))
        else:
            kept.append(item)
    clean = urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))
    return clean, password if password else None


def has_keyword_password(value: str) -> bool:
    return not _POSTGRES_URL.match(value) and bool(_KEYWORD_PASSWORD.search(value))


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A connection config without secrets (`dsn` password, credential headers),
    and the secrets taken out of it."""
    out = dict(config)
    moved: dict[str, str] = {}
    dsn = out.get("dsn")
    if isinstance(dsn, str):
        out["dsn"], password = split_dsn(dsn)
        if password:
            moved["password"] = password
    headers = out.get("headers")
    if isinstance(headers, Mapping):
        kept = {}
        for name, value in headers.items():
            if is_credential_header(name):
                moved[HEADER_SECRET_PREFIX + name] = str(value)
            else:
                kept[name] = value
        out["headers"] = kept
    return out, moved


def secret_violations(config: Mapping[str, Any], field: str) -> list[tuple[str, str]]:
    """(field, message) for each secret in a config that has nowhere to go
    (a sync's sourceConfig: its secrets belong to the connection)."""
    found: list[tuple[str, str]] = []
    dsn = config.get("dsn")
    if isinstance(dsn, str) and (split_dsn(dsn)[1] or has_keyword_password(dsn)):
        found.append((f"{field}.dsn", "a password may not be given in a DSN here: put it in the connection's secrets.password"))
    headers = config.get("headers")
    if isinstance(headers, Mapping):
        for name in headers:
            if is_credential_header(name):
                found.append((
                    f"{field}.headers.{name}",
                    "a credential-bearing header may not be given here: put it in the connection's config.headers "
                    "(it is moved into the connection's write-only secrets)",
                ))
    return found
