"""structlog setup: JSON lines in production, readable console in a terminal."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# -- redaction ----------------------------------------------------------------------
# No secret or API key in any log line: event fields named like a secret are
# masked whole, and every message (ours or a library's) is scrubbed of API keys,
# DSN passwords and raw request bytes.

#: Event fields whose value is a secret, whatever it looks like (lower-case, '-' as '_').
SECRET_FIELDS = frozenset({
    "password", "passwd", "secret", "secrets", "token", "api_key", "apikey", "x_api_key", "authorization",
    "proxy_authorization", "cookie", "set_cookie", "private_key", "passphrase", "secret_key", "access_key",
    "client_secret", "webhook_secret", "signing_secret", "bootstrap_api_key", "executor_token",
})
_API_KEY = re.compile(r"\bspx?_[A-Za-z0-9_\-]{16,}")
_DSN_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s/]+@")
_KV_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd)=[^\s&'\"]+")
# aiohttp echoes the offending request line or header in its parser errors as
# a bytes literal: it may be an Authorization, Cookie or X-API-Key line.
_BYTES = re.compile(r"b'(?:[^'\\]|\\.)*'" + r'|b"(?:[^"\\]|\\.)*"')
MASK = "***"


def scrub(text: str) -> str:
    text = _BYTES.sub("b'<redacted>'", text)
    text = _API_KEY.sub("sp_" + MASK, text)
    text = _DSN_PASSWORD.sub(rf"\1{MASK}@", text)
    return _KV_PASSWORD.sub(rf"\1={MASK}", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: MASK if _is_secret_field(k) and v else _redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v) for v in value)
    return value


def _is_secret_field(name: object) -> bool:
    return isinstance(name, str) and name.lower().replace("-", "_") in SECRET_FIELDS


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: secret fields masked, every string scrubbed (runs after
    exceptions are formatted, so tracebacks are scrubbed too)."""
    for key, value in list(event.items()):
        # Numbers named "token" are attempt tokens (fencing counters), not secrets.
        secret = _is_secret_field(key) and isinstance(value, (str, bytes, dict, list))
        event[key] = MASK if secret else _redact(value)
    return event


class RedactingFilter(logging.Filter):
    """For the standard library's records (aiohttp's own among them): message
    and traceback scrubbed. A request aiohttp cannot parse is logged by it with
    a traceback quoting the raw header line (an API key, a cookie): the bytes
    are gone here, whatever else handles that record (the gateway turns it into
    one line: server/gateway/parse_errors.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format arguments: logging reports those itself
            return True
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


_FILTER = RedactingFilter()
#: aiohttp logs on these directly: a filter on the logger sees them whatever handlers exist.
AIOHTTP_LOGGERS = ("aiohttp.server", "aiohttp.access", "aiohttp.web", "aiohttp.internal", "aiohttp.client")


def install_stdlib_redaction() -> None:
    for name in AIOHTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def configure(component: str, *, json: bool | None = None) -> None:
    level_name = os.environ.get("SYNCPLANE_LOG_LEVEL", "INFO").upper()
    level = getattr(logging, level_name, logging.INFO)
    as_json = (not sys.stderr.isatty()) if json is None else json
    # On a terminal: aligned, coloured lines (no colour with NO_COLOR set, https://no-color.org).
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json
        else structlog.dev.ConsoleRenderer(colors=not os.environ.get("NO_COLOR"))
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # One write per line (print() makes two): the executors `up` starts share its stderr, and
        # two processes' lines must not interleave mid-line.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(component=component)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    install_stdlib_redaction()
