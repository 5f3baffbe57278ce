"""No secret or API key in a log line: structlog events and the standard
library's records (aiohttp's parse errors) are scrubbed."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import BadHttpMessage

from syncplane.server.logs import RedactingFilter, redact_secrets, scrub

KEY = "sp_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"


def test_scrub_masks_api_keys_dsn_passwords_and_raw_bytes() -> None:
    text = scrub(f"key {KEY} dsn postgresql://u:pw1@h/db?password=pw2 line b'X-API-Key: {KEY}\\x01'")
    assert KEY not in text and "pw1" not in text and "pw2" not in text and "X-API-Key" not in text
    assert "postgresql://u:***@h/db" in text


def test_secret_fields_are_masked_and_attempt_tokens_kept() -> None:
    event = redact_secrets(None, "info", {
        "event": "x", "password": "hunter2", "token": 42, "detail": {"Authorization": "Bearer abc", "n": 1},
        "error": f"refused {KEY}",
    })
    assert event == {"event": "x", "password": "***", "token": 42, "detail": {"Authorization": "***", "n": 1},
                     "error": "refused sp_***"}


def test_an_aiohttp_parse_error_record_loses_the_raw_header_line() -> None:
    try:
        raise BadHttpMessage(f"Invalid header value char:\n\n  b'X-API-Key: {KEY}\\x01'\n   ^")
    except BadHttpMessage:
        import sys

        record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request from %s",
                                   ("127.0.0.1",), sys.exc_info())
    assert RedactingFilter().filter(record)
    rendered = logging.Formatter().format(record)
    assert "Error handling request from 127.0.0.1" in rendered and KEY not in rendered
