"""Request authentication from the run's secrets, and masking those secrets.

The secret values (and the encoded forms that travel in headers) are kept in
a `Secrets` object that every error message and log field built from
request data passes through, so an API that echoes a token back in an error
body cannot leak it into a run's error.
"""

from __future__ import annotations

import base64
from typing import Any

from syncplane.executor.context import RunFailed
from syncplane.executor.secret_values import Secrets
from syncplane.executor.sources.http_config import AuthConfig

#: Which secret each auth type reads from ctx.secrets["source"] (unless auth.secretKey names another).
SECRET_KEYS = {"bearer": "token", "api_key_header": "apiKey", "basic": "password"}


#: Credential-bearing headers (Authorization, X-API-Key, Cookie, ...) of a
#: connection's config are moved by the server into its write-only secrets under
#: this prefix ("header:Authorization"); they come back here, as auth headers.
HEADER_SECRET_PREFIX = "header:"


def auth_headers(auth: AuthConfig, source_secrets: dict[str, Any]) -> tuple[dict[str, str], Secrets]:
    """The headers that authenticate a request (the auth type's, over the
    connection's secret headers), and the secrets to mask.

    A missing secret is a config error that names the secret's key, never a value.
    """
    moved = {
        key[len(HEADER_SECRET_PREFIX):]: value
        for key, value in source_secrets.items()
        if key.startswith(HEADER_SECRET_PREFIX) and isinstance(value, str) and value
    }
    headers, secrets = _auth_type_headers(auth, source_secrets)
    return {**moved, **headers}, Secrets((*moved.values(), *secrets.values))


def _auth_type_headers(auth: AuthConfig, source_secrets: dict[str, Any]) -> tuple[dict[str, str], Secrets]:
    if auth.type == "none":
        return {}, Secrets()
    secret_key = auth.secret_key or SECRET_KEYS[auth.type]
    secret = source_secrets.get(secret_key)
    if not isinstance(secret, str) or not secret:
        raise RunFailed(f"auth type {auth.type} needs the source secret {secret_key!r}", "config_error")
    if auth.type == "bearer":
        header = f"Bearer {secret}"
        return {"Authorization": header}, Secrets((secret, header))
    if auth.type == "api_key_header":
        assert auth.header is not None
        value = auth.prefix + secret
        return {auth.header: value}, Secrets((secret, value))
    assert auth.username is not None
    encoded = base64.b64encode(f"{auth.username}:{secret}".encode()).decode("ascii")
    return {"Authorization": f"Basic {encoded}"}, Secrets((secret, encoded))


__all__ = ["HEADER_SECRET_PREFIX", "SECRET_KEYS", "auth_headers"]
