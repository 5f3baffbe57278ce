"""The pure rules behind "hostile input is a 4xx": header bytes, JSON limits, the cookie rule, bounded echoes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from google.rpc import error_details_pb2, status_pb2

from syncplane.server.dialects.validation import SHOWN_CHARS, Checker, shown
from syncplane.server.engine.cron import fires, valid_cron
from syncplane.server.errors import InvalidArgument, Violation
from syncplane.server.gateway import jsonlimits
from syncplane.server.gateway.cookies import cookie_refusal, cookie_value, same_origin
from syncplane.server.gateway.headers import find_bad_header
from syncplane.server.grpc_errors import to_status

# --- headers ---


@pytest.mark.parametrize("value", ["a\tb", "caf\u00e9", "a\x00b", "a\x7fb", "\udcc3\udca9"])
def test_a_control_or_non_ascii_byte_in_any_header_is_refused_with_its_name_only(value: str) -> None:
    bad = find_bad_header([("Accept", "*/*"), ("X-Forwarded-Host", value)])
    assert bad is not None and (bad.name, bad.status) == ("X-Forwarded-Host", 400)
    assert value not in bad.message


@pytest.mark.parametrize("name", ["Authorization", "X-API-Key", "Cookie"])
def test_a_malformed_credential_header_is_a_401_even_beside_another_bad_header(name: str) -> None:
    bad = find_bad_header([("X-Forwarded-Host", "a\tb"), (name, "Bearer sp_\u00e9")])
    assert bad is not None and (bad.name, bad.status) == (name, 401)
    assert "sp_" not in bad.message


def test_visible_ascii_and_spaces_pass() -> None:
    assert find_bad_header([("User-Agent", "curl/8.0 (x86_64)"), ("X-API-Key", "sp_abc-DEF_123")]) is None


# --- JSON limits ---


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 5000, "-" + "9" * 400])
def test_non_finite_and_huge_numbers_are_refused_while_parsing(text: str) -> None:
    with pytest.raises(jsonlimits.JsonRefused) as refused:
        jsonlimits.loads('{"a": [' + text + ']}')
    assert refused.value.type == "finite_number"
    assert len(refused.value.msg) < 100


def test_an_int64_and_a_large_double_still_parse() -> None:
    assert jsonlimits.loads('{"a": -9223372036854775808, "b": 1e308}') == {"a": -(2**63), "b": 1e308}


def test_nesting_past_the_interpreter_limit_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(jsonlimits.JsonRefused) as refused:
        jsonlimits.loads("[" * 100_000 + "]" * 100_000)
    assert refused.value.type == "json_invalid"


def test_the_walk_finds_nul_in_values_and_keys_and_depth_without_recursing() -> None:
    doc = {"name": "a\x00b", "config": {"k\x00": 1, "ok": [1, "x"]}}
    errors = jsonlimits.check_document(doc)
    assert [(e.loc, e.type) for e in errors] == [
        (("body", "config", "k\\u0000"), "value_error"),
        (("body", "name"), "value_error"),
    ]
    deep: object = 1
    for _ in range(900):  # parses (under the interpreter's limit) but is deeper than any request
        deep = [deep]
    assert [e.msg for e in jsonlimits.check_document(json.loads(json.dumps(deep)))] == [jsonlimits.MSG_TOO_DEEP]


def test_an_int_beyond_a_double_is_refused_by_the_walk() -> None:
    assert [e.type for e in jsonlimits.check_document({"a": 10**400})] == ["finite_number"]
    assert jsonlimits.check_document({"a": 10**300, "b": True}) == []


# --- the vai_token cookie ---

JSON = {"Content-Type": "application/json"}


def test_cookie_value_reads_the_named_cookie_and_survives_a_malformed_header() -> None:
    assert cookie_value("a=1; vai_token=sp_x", "vai_token") == "sp_x"
    assert cookie_value("a=1", "vai_token") is None
    assert cookie_value('vai_token="unterminated', "vai_token") is None


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("http://example.com", "example.com:80", True),
        ("https://example.com", "example.com", True),
        ("http://127.0.0.1:8080/ui/page?x=1", "127.0.0.1:8080", True),  # a Referer
        ("http://evil.example", "127.0.0.1:8080", False),
        ("http://127.0.0.1:9090", "127.0.0.1:8080", False),
        ("null", "127.0.0.1:8080", False),
        ("file:///tmp/x.html", "127.0.0.1:8080", False),
    ],
)
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


def test_a_cookie_write_must_be_json() -> None:
    assert cookie_refusal("POST", {"Content-Type": "text/plain"}, "h:1") is not None
    assert cookie_refusal("DELETE", {}, "h:1") is not None
    assert cookie_refusal("POST", {"Content-Type": "application/json; charset=utf-8"}, "h:1") is None


def test_a_cookie_write_from_another_origin_is_refused_and_from_its_own_accepted() -> None:
    assert cookie_refusal("PATCH", {**JSON, "Origin": "http://evil.example"}, "h:1") is not None
    assert cookie_refusal("PUT", {**JSON, "Referer": "http://evil.example/x"}, "h:1") is not None
    assert cookie_refusal("POST", {**JSON, "Origin": "http://h:1"}, "h:1") is None


def test_reads_and_requests_with_another_credential_are_not_checked() -> None:
    assert cookie_refusal("GET", {"Origin": "http://evil.example"}, "h:1") is None
    assert cookie_refusal("POST", {"Content-Type": "text/plain", "X-API-Key": "sp_x"}, "h:1") is None
    assert cookie_refusal("POST", {"Content-Type": "text/plain", "Authorization": "Bearer sp_x"}, "h:1") is None


# --- bounded echoes ---


def test_shown_cuts_a_long_value() -> None:
    assert shown("x" * 10) == "x" * 10
    assert shown("x" * 4000) == "x" * SHOWN_CHARS + "…"


def test_a_uuid_violation_quotes_a_bounded_prefix() -> None:
    checker = Checker()
    checker.uuid("id", "z" * 4000)
    assert len(checker.violations[0].message) < 200


@pytest.mark.parametrize("char", ["x", "\u00e9", "\u6f22"])
def test_a_status_stays_small_however_large_the_violations(char: str) -> None:
    huge = InvalidArgument([Violation(char * 5000, char * 5000, char * 5000) for _ in range(200)])
    sent = to_status(huge)
    details = dict(sent.trailing_metadata)["grpc-status-details-bin"]
    # On the wire: grpc-message percent-encoded, the details in base64; gRPC's limit is 8 KiB.
    on_wire = len(quote(sent.details.encode(), safe="")) + (len(details) * 4 + 2) // 3
    assert on_wire < 7 * 1024
    decoded = status_pb2.Status.FromString(details)
    bad_request = error_details_pb2.BadRequest()
    decoded.details[0].Unpack(bad_request)
    assert 0 < len(bad_request.field_violations) <= 10


# --- cron ---


def test_a_cron_that_never_fires_is_invalid() -> None:
    assert not valid_cron("0 0 31 2 *") and not valid_cron("0 0 30 2 *") and not valid_cron("0 0 31 4 *")
    assert valid_cron("0 0 29 2 *") and valid_cron("0 0 31 * *")


def test_fires_answers_from_a_given_moment() -> None:
    assert fires("0 0 29 2 *", datetime(2026, 3, 1, tzinfo=UTC))  # 2028-02-29
    assert not fires("0 0 31 2 *", datetime(2026, 1, 1, tzinfo=UTC))
