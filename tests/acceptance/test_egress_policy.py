"""The egress policy through the real processes: refused targets are a 4xx at
create time naming the field, and the executor checks again when it connects.

The suite allows loopback (tests/conftest.py sets SYNCPLANE_EGRESS_ALLOW), as
an operator would for local sources; the server's own listeners stay refused.
"""

from __future__ import annotations

import pytest

from tests.acceptance import identity_support as identity
from tests.acceptance.harness import Stack
from tests.acceptance.jobs_support import call
from tests.integration.http_api_support import FakeApi, customer

pytestmark = pytest.mark.acceptance

_ENTITIES = {"customers": {"path": "/page/customers", "recordPath": "data.items", "primaryKey": ["id"],
                           "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": 2}}}


def _locs(error: dict) -> dict[tuple[str, ...], str]:
    return {tuple(d["loc"]): d["msg"] for d in error["detail"]}


async def test_a_base_url_on_the_gateway_or_grpc_port_is_refused_at_create(api_stack: Stack) -> None:
    for port in (api_stack.http_port, api_stack.grpc_port):
        for host in ("127.0.0.1", "localhost"):
            error = await api_stack.post(
                "/api/v1/connections",
                {"name": "self", "providerKey": "http_api", "config": {"baseUrl": f"http://{host}:{port}/api/v1"}},
                expect=422,
            )
            message = _locs(error)[("body", "config", "baseUrl")]
            assert "control plane" in message and "not an allowed outbound target" in message
    # The same loopback host on another port is allowed (the suite allows loopback).
    await api_stack.post(
        "/api/v1/connections",
        {"name": "fine", "providerKey": "http_api", "config": {"baseUrl": "http://127.0.0.1:1/api"}}, expect=201,
    )


async def test_metadata_and_link_local_targets_are_refused_in_every_dialect(api_stack: Stack) -> None:
    error = await api_stack.post(
        "/api/v1/connections",
        {"name": "imds", "providerKey": "http_api", "config": {"baseUrl": "http://169.254.169.254/latest/meta-data"}},
        expect=422,
    )
    assert "cloud metadata" in _locs(error)[("body", "config", "baseUrl")]
    error = await api_stack.post(
        "/api/v1/connections",
        {"name": "s3", "providerKey": "s3", "config": {"bucket": "abc", "endpointUrl": "http://[fe80::1]:9000"}},
        expect=422,
    )
    assert "link-local" in _locs(error)[("body", "config", "endpointUrl")]
    error = await api_stack.post(
        "/api/v1/connections",
        {"name": "pg", "providerKey": "postgres", "config": {"dsn": "postgresql://u@169.254.10.10/db"}}, expect=422,
    )
    assert ("body", "config", "dsn") in _locs(error)
    hook = await call(api_stack, "POST", "/webhook", {
        "target_url": "http://169.254.169.254/hook", "event_types": ["sync_job_run:completed"],
    }, expect=400)
    assert "cloud metadata" in hook["details"]["target_url"]
    # An update is checked too.
    ok = await call(api_stack, "POST", "/webhook", {
        "target_url": "http://127.0.0.1:9/hook", "event_types": ["sync_job_run:completed"],
    }, expect=201)
    patched = await call(api_stack, "PATCH", f"/webhook/{ok['id']}",
                         {"target_url": f"http://127.0.0.1:{api_stack.http_port}/x"}, expect=400)
    assert "control plane" in patched["details"]["target_url"]


async def test_an_ldap_host_on_a_control_plane_port_is_refused_without_probing_it(api_stack: Stack) -> None:
    # The probe the attacker used: LDAP at the HTTP port. Refused from the
    # address alone, before anything connects, in the identity dialect's shape.
    body = {"name": "probe", "connectorDefinitionId": identity.LDAP_DEF,
            "settings": {"host": "127.0.0.1", "port": api_stack.http_port, "bindDn": "cn=a"}}
    status, error, _ = await identity.call(api_stack, "POST", identity.CS, body)
    identity.assert_error(status, error, 400, "VALIDATION_ERROR", "settings.host")
    assert "control plane" in error["validationErrors"]["settings.host"][0]
    created = await identity.create_ldap(api_stack, host="127.0.0.1", port=1)
    status, error, _ = await identity.call(
        api_stack, "PUT", f"{identity.CS}/{created['id']}", {"settings": {"port": api_stack.grpc_port}}
    )
    identity.assert_error(status, error, 400, "VALIDATION_ERROR", "settings.host")


async def test_a_name_allowed_at_create_but_denied_at_connect_fails_the_run(api_stack: Stack, fresh_dsn: str) -> None:
    # The executor alone denies loopback, as if `localhost` had been rebound
    # to an address the policy refuses after the connection was created.
    await api_stack.start_executor(env={"SYNCPLANE_EGRESS_DENY": "127.0.0.0/8,::1"})
    await api_stack.wait_http(lambda status, body: status == 200, "/readyz")
    async with FakeApi() as api:
        api.customers = [customer(i) for i in (1, 2, 3)]
        base_url = api.base_url.replace("127.0.0.1", "localhost")
        connection = await api_stack.post(
            "/api/v1/connections",
            {"name": "api", "providerKey": "http_api", "config": {"baseUrl": base_url}}, expect=201,
        )
        sync = await api_stack.post(
            "/api/v1/syncs",
            {"connectionId": connection["id"], "name": "customers", "entities": ["customers"],
             "sourceConfig": {"entities": _ENTITIES},
             "tableBindings": [{"entityKey": "customers", "tableName": "egress_customers", "primaryKeyColumns": ["id"]}]},
            expect=201,
        )
        run = await api_stack.post(f"/api/v1/syncs/{sync['id']}/trigger", {"runMode": "full"})
        final = await api_stack.wait_chain(run["id"])
        assert final["status"] == "failed", final
        assert final["resultReasonCode"] == "egress_refused", final
        assert "not an allowed outbound target" in final["error"] and "SYNCPLANE_EGRESS_DENY" in final["error"]
        assert api.seen == []  # refused before connecting
