"""Requests aiohttp's HTTP parser refuses (a bare LF in a header, a bad request line...).

aiohttp answers them 400 itself, before any handler runs, and logs the parser's exception at ERROR
with a traceback whose message quotes the raw header line: an API key in it went to the log. This
filter on aiohttp's server logger turns each such record into one `gateway.bad_request` line that
names only the error class, and drops the original.
"""

from __future__ import annotations

import logging

import structlog
from aiohttp.http_exceptions import HttpProcessingError

log = structlog.get_logger(__name__)

AIOHTTP_SERVER_LOGGER = "aiohttp.server"


class ParseErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        log.info("gateway.bad_request", status=exc.code or 400, reason="malformed_http", error=type(exc).__name__)
        return False


def install_parse_error_filter() -> None:
    """Idempotent: a process that builds several gateways (tests) installs it once."""
    logger = logging.getLogger(AIOHTTP_SERVER_LOGGER)
    if not any(isinstance(f, ParseErrorFilter) for f in logger.filters):
        logger.addFilter(ParseErrorFilter())
