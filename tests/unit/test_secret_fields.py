"""Secrets found in readable config: what is moved, what stays."""

from __future__ import annotations

import pytest

from syncplane.server.dialects.identity.connected_systems import check_settings
from syncplane.server.dialects.identity.rules import Rules
from syncplane.server.dialects.secret_fields import is_credential_header, secret_violations, split_config, split_dsn
from syncplane.server.dialects.syncs.plans import split_destination, with_password


@pytest.mark.parametrize(
    ("dsn", "clean", "password"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u@h:5432/db", "pw"),
        ("postgres://u:p%40ss%2Fx@h/db", "postgres://u@h/db", "p@ss/x"),
        ("postgresql://u@h/db?sslmode=require&password=q%26w", "postgresql://u@h/db?sslmode=require", "q&w"),
        ("postgresql://u@/db?host=/tmp/pg&PASSWORD=zz", "postgresql://u@/db?host=/tmp/pg", "zz"),
        ("postgresql://:pw@h/db", "postgresql://h/db", "pw"),
        ("postgresql://u@h/db", "postgresql://u@h/db", None),
        ("host=h dbname=db", "host=h dbname=db", None),
    ],
)
def test_split_dsn(dsn: str, clean: str, password: str | None) -> None:
    assert split_dsn(dsn) == (clean, password)


def test_a_moved_password_goes_back_into_the_dsn_quoted() -> None:
    config, secrets = split_destination({"dsn": "postgresql://u:a%2Fb@h/db?password=c%40d", "schema": "raw"})
    assert config == {"dsn": "postgresql://u@h/db", "schema": "raw"} and secrets == {"password": "c@d"}
    assert with_password(config["dsn"], secrets["password"]) == "postgresql://u:c%40d@h/db"


@pytest.mark.parametrize(
    "name",
    ["Authorization", "proxy-authorization", "X-API-Key", "Api-Key", "Cookie", "X-Auth-Token", "X-Shop-Token",
     "X-Client-Secret", "x-custom-key"],
)
def test_credential_headers(name: str) -> None:
    assert is_credential_header(name)


@pytest.mark.parametrize("name", ["Accept", "Accept-Language", "User-Agent", "Content-Type", "X-Request-Id"])
def test_plain_headers(name: str) -> None:
    assert not is_credential_header(name)


def test_split_config_moves_dsn_password_and_credential_headers() -> None:
    config, moved = split_config({
        "dsn": "postgresql://u:pw@h/db", "baseUrl": "https://x",
        "headers": {"Authorization": "Bearer t", "Accept": "application/json"},
    })
    assert config == {"dsn": "postgresql://u@h/db", "baseUrl": "https://x", "headers": {"Accept": "application/json"}}
    assert moved == {"password": "pw", "header:Authorization": "Bearer t"}


def test_secret_violations_name_each_field() -> None:
    found = secret_violations(
        {"dsn": "postgresql://u@h/db?password=x", "headers": {"Cookie": "a=b", "Accept": "*/*"}}, "sync.sourceConfig"
    )
    assert [f for f, _ in found] == ["sync.sourceConfig.dsn", "sync.sourceConfig.headers.Cookie"]
    assert secret_violations({"dsn": "host=h password=x"}, "f")[0][0] == "f.dsn"
    assert secret_violations({"dsn": "postgresql://u@h/db", "headers": {"Accept": "*/*"}}, "f") == []


def test_an_identity_dsn_setting_keeps_no_password() -> None:
    definitions = [{"name": "dsn", "type": "string"}, {"name": "password", "type": "string", "secret": True}]
    settings = {"dsn": "postgresql://idm:s3cret@h/hr?sslmode=disable"}
    rules = Rules()
    secrets = check_settings(rules, definitions, settings)
    rules.raise_if_any()
    assert settings == {"dsn": "postgresql://idm@h/hr?sslmode=disable"} and secrets == {"password": "s3cret"}
