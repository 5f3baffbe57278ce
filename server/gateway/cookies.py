"""When a dialect's API-key cookie (`vai_token`) may stand for the caller.

A browser attaches cookies to cross-site requests too, so a cookie alone proves nothing about who
wrote the request. A cross-site page can send a "simple" request (a form or a `text/plain` fetch)
but cannot set `Content-Type: application/json` or a foreign `Origin` without a CORS preflight,
which the gateway never grants. So a state-changing request authenticated by the cookie alone
must be JSON and, when the browser says where it comes from (Origin, else Referer), come from the
gateway's own origin. Requests carrying an X-API-Key or a bearer token are not a browser's forgery
and are not checked; safe methods change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_value(cookie_header: str, name: str) -> str | None:
    """The value of cookie `name`, or None (a malformed header is "no cookie")."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except (CookieError, ValueError):
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


def has_other_credentials(headers: Mapping[str, str]) -> bool:
    if headers.get("X-API-Key"):
        return True
    auth = headers.get("Authorization", "")
    return auth[:7].lower() == "bearer " and bool(auth[7:].strip())


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def same_origin(origin: str, host: str) -> bool:
    """True when `origin` (an Origin or Referer URL) names `host` (the request's host[:port])."""
    if not origin or not host:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    default = "443" if parts.scheme == "https" else "80"
    return _with_port(parts.netloc, default) == _with_port(host, default)


def _with_port(netloc: str, default: str) -> str:
    netloc = netloc.rpartition("@")[2].lower()
    if netloc.endswith("]") or ":" not in netloc:  # "[::1]" or "host": no port given
        return f"{netloc}:{default}"
    return netloc


def cookie_refusal(method: str, headers: Mapping[str, str], host: str) -> str | None:
    """Why a cookie-authenticated `method` request must be refused, or None when it may go on.

    Call it only for a request that carries the dialect's cookie.
    """
    if method in SAFE_METHODS or has_other_credentials(headers):
        return None
    if not is_json(headers.get("Content-Type", "")):
        return "a request authenticated by the cookie must send Content-Type: application/json"
    origin = headers.get("Origin") or headers.get("Referer")
    if origin is not None and not same_origin(origin, host):
        return "a request authenticated by the cookie must come from the gateway's own origin"
    return None
