"""Small pure pieces: Struct round trips and where credentials are read from."""

from __future__ import annotations

from syncplane.server.auth.interceptor import credentials
from syncplane.wire import from_struct, to_struct


def test_struct_round_trip_keeps_integers() -> None:
    value = {"pageSize": 10000, "ratio": 0.5, "nested": {"ids": [1, 2, 3]}, "flag": True, "none": None}
    assert from_struct(to_struct(value)) == value


def test_credentials_from_each_carrier() -> None:
    assert credentials({"x-api-key": "k1"}, "") == "k1"
    assert credentials({"authorization": "Bearer k2"}, "") == "k2"
    assert credentials({"authorization": "bearer   k3 "}, "") == "k3"
    assert credentials({"cookie": "a=1; vai_token=k4"}, "vai_token") == "k4"


def test_cookie_only_where_the_dialect_names_it() -> None:
    assert credentials({"cookie": "vai_token=k4"}, "") is None
    assert credentials({"authorization": "Basic abc"}, "") is None
    assert credentials({}, "vai_token") is None
