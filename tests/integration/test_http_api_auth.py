"""Each auth scheme sends its secret the way the API expects; a secret never reaches a log or an error."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from syncplane.executor.connectors import http_api
from syncplane.executor.context import RunFailed
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    Fault,
    api,
    basic,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import close_pools, fetch  # noqa: F401

TOKEN = "tok-9f8e7d6c5b4a-very-secret"
API_KEY = "key-0a1b2c3d4e5f-very-secret"
PASSWORD = "pw-correct-horse-battery-staple"


def _ctx(api: FakeApi, dsn: str, auth: dict[str, Any], secrets: dict[str, Any], **kwargs: Any) -> Any:
    return make_ctx(
        api, dsn, [http_entity("customers")], {"customers": PAGE_CUSTOMERS}, auth=auth, source_secrets=secrets, **kwargs
    )


async def _count(dsn: str) -> int:
    return (await fetch(dsn, "SELECT count(*) FROM customers"))[0][0]


async def test_bearer_token_goes_in_the_authorization_header(fresh_dsn: str, api: FakeApi) -> None:
    api.auth = ("Authorization", f"Bearer {TOKEN}")
    await http_api.run(_ctx(api, fresh_dsn, {"type": "bearer"}, {"token": TOKEN}))
    assert await _count(fresh_dsn) == 50


async def test_api_key_goes_in_the_configured_header(fresh_dsn: str, api: FakeApi) -> None:
    api.auth = ("X-Api-Key", API_KEY)
    await http_api.run(_ctx(api, fresh_dsn, {"type": "api_key_header", "header": "X-Api-Key"}, {"apiKey": API_KEY}))
    assert await _count(fresh_dsn) == 50


async def test_basic_auth_encodes_user_and_password(fresh_dsn: str, api: FakeApi) -> None:
    api.auth = ("Authorization", basic("syncer", PASSWORD))
    await http_api.run(_ctx(api, fresh_dsn, {"type": "basic", "username": "syncer"}, {"password": PASSWORD}))
    assert await _count(fresh_dsn) == 50


async def test_wrong_credentials_fail_as_auth_error_without_the_secret(fresh_dsn: str, api: FakeApi) -> None:
    api.auth = ("Authorization", f"Bearer {TOKEN}")
    wrong = "tok-wrong-but-still-secret-123"
    with capture_logs() as logs, pytest.raises(RunFailed) as failure:
        await http_api.run(_ctx(api, fresh_dsn, {"type": "bearer"}, {"token": wrong}))

    assert failure.value.reason_code == "source_auth_error"
    assert "401" in str(failure.value)
    # The API echoed the header it got; the connector masked it.
    assert "invalid credentials" in str(failure.value)
    assert wrong not in str(failure.value) and wrong not in repr(logs)


async def test_missing_secret_is_a_config_error_naming_the_secret(fresh_dsn: str, api: FakeApi) -> None:
    with pytest.raises(RunFailed) as failure:
        await http_api.run(_ctx(api, fresh_dsn, {"type": "api_key_header", "header": "X-Api-Key"}, {}))
    assert failure.value.reason_code == "config_error"
    assert "apiKey" in str(failure.value)


@pytest.mark.parametrize(
    ("auth", "secrets", "header", "value"),
    [
        ({"type": "bearer"}, {"token": TOKEN}, "Authorization", f"Bearer {TOKEN}"),
        ({"type": "api_key_header", "header": "X-Api-Key"}, {"apiKey": API_KEY}, "X-Api-Key", API_KEY),
        ({"type": "basic", "username": "syncer"}, {"password": PASSWORD}, "Authorization", basic("syncer", PASSWORD)),
    ],
    ids=["bearer", "api_key_header", "basic"],
)
async def test_secrets_never_appear_in_logs_or_errors(
    fresh_dsn: str, api: FakeApi, auth: dict[str, Any], secrets: dict[str, Any], header: str, value: str
) -> None:
    api.auth = (header, value)
    # Retries, a rate limit, then a failure that exhausts the retries: every path that logs or raises.
    api.fail_next(1, Fault(status=429, headers={"Retry-After": "0"}))
    api.faults.extend([Fault(status=500, body=f"upstream echoed {value}")] * 10)
    ctx = _ctx(api, fresh_dsn, auth, secrets, maxRetries=2)
    with capture_logs() as logs, pytest.raises(RunFailed) as failure:
        await http_api.run(ctx)

    assert failure.value.reason_code == "source_unavailable"
    assert any(e["event"] == "http.retry" for e in logs) and any(e["event"] == "http.rate_limited" for e in logs)
    everything = repr(logs) + str(failure.value) + repr(ctx.summary()) + ctx.message
    for secret in [*secrets.values(), value, value.split(" ")[-1]]:
        assert secret not in everything


async def test_redirects_keep_credentials_only_within_the_api_origin(fresh_dsn: str, api: FakeApi) -> None:
    api.auth = ("Authorization", f"Bearer {TOKEN}")
    async with FakeApi() as elsewhere:
        api.redirects = {
            "/api/old/customers": "/api/page/customers",
            "/api/cdn/customers": f"{elsewhere.base_url}/page/customers",
        }
        for path in ("/old/customers", "/cdn/customers"):
            config = {**PAGE_CUSTOMERS, "path": path}
            ctx = _ctx(api, fresh_dsn, {"type": "bearer"}, {"token": TOKEN})
            ctx.spec["source"]["config"]["entities"]["customers"] = config
            await http_api.run(ctx)
            assert ctx.rows_written == 50

    # Same origin: followed with the token (the API checks it); another origin: followed without it.
    assert api.requests_to("/api/page/customers") and elsewhere.seen
    assert all("Authorization" not in s.headers for s in elsewhere.seen)
