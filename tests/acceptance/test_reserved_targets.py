"""syncplane's own stores are never the target of a sync or of an identity SQL export:
a 422 (syncs) / 400 (identity) naming the field, and nothing is created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.acceptance.harness import Stack
from tests.acceptance.identity_support import CS, SQL_DEF, assert_error, call, identity_stack, ok

pytestmark = pytest.mark.acceptance

RESERVED_SCHEMAS = ["syncplane", "Syncplane", "idm", "IDM", "sync_job_data", "PG_CATALOG", "pg_toast",
                    "Information_Schema"]


async def test_a_sync_cannot_target_an_internal_schema_or_table(api_stack: Stack) -> None:
    stack = api_stack
    connection = (await stack.post(
        "/api/v1/connections",
        {"name": "pg", "providerKey": "postgres", "config": {"dsn": "postgresql://u@localhost/db"}}, expect=201,
    ))["id"]
    refused: list[tuple[dict, list, str]] = [
        *(({"destinationConfig": {"schema": s}}, ["body", "destinationConfig", "schema"], "reserved_name")
          for s in RESERVED_SCHEMAS),
        # A trailing newline no longer slips through the identifier pattern.
        ({"destinationConfig": {"schema": "syncplane\n"}}, ["body", "destinationConfig", "schema"], "value_error"),
        ({"destinationConfig": {"schema": "reports\n"}}, ["body", "destinationConfig", "schema"], "value_error"),
        ({"tableBindings": [{"entityKey": "a", "tableName": "orders\n"}]},
         ["body", "tableBindings", 0, "tableName"], "value_error"),
        ({"tableBindings": [{"entityKey": "a", "tableName": "_syncplane_fences"}]},
         ["body", "tableBindings", 0, "tableName"], "reserved_name"),
        ({"tableBindings": [{"entityKey": "a", "tableName": "_SYNCPLANE_CURSORS"}]},
         ["body", "tableBindings", 0, "tableName"], "reserved_name"),
        ({"tableBindings": [{"entityKey": "a", "physicalTableName": "_syncplane_x"}]},
         ["body", "tableBindings", 0, "physicalTableName"], "reserved_name"),
    ]
    for extra, loc, type_ in refused:
        err = await stack.post("/api/v1/syncs", {"connectionId": connection, "name": "x", **extra}, expect=422)
        assert any(d["loc"] == loc and d["type"] == type_ for d in err["detail"]), (extra, err)
    assert (await stack.get("/api/v1/syncs"))["total"] == 0
    created = await stack.post(
        "/api/v1/syncs", {"connectionId": connection, "name": "ok", "destinationConfig": {"schema": "reports"}},
        expect=201,
    )
    err = await stack.request(
        "PATCH", f"/api/v1/syncs/{created['id']}", {"destinationConfig": {"schema": "IDM"}}, expect=422
    )
    assert err["detail"][0]["loc"] == ["body", "destinationConfig", "schema"], err
    assert (await stack.get(f"/api/v1/syncs/{created['id']}"))["destinationConfig"] == {"schema": "reports"}


@pytest.fixture
async def identity(fresh_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async for s in identity_stack(fresh_dsn, tmp_path, request):
        yield s


async def test_an_identity_sql_system_cannot_target_an_internal_table(identity: Stack) -> None:
    stack = identity
    for table in ["syncplane.api_keys", "Syncplane.credentials", "IDM.mv_objects", "idm.pending_exports",
                  "sync_job_data.crm_contacts", "PG_CATALOG.pg_authid", "public._syncplane_fences",
                  "_Syncplane_cursors", "accounts\n"]:
        status, error, _ = await call(stack, "POST", CS, {
            "name": "Accounts", "connectorDefinitionId": SQL_DEF,
            "settings": {"dsn": "postgresql://hr@db/hr", "table": table, "anchorColumn": "login"},
        })
        assert_error(status, error, 400, "VALIDATION_ERROR", "settings.table")
    assert (await ok(stack, "GET", CS))["totalCount"] == 0
    created = await ok(stack, "POST", CS, {
        "name": "Accounts", "connectorDefinitionId": SQL_DEF,
        "settings": {"dsn": "postgresql://hr@db/hr", "table": "public.accounts", "anchorColumn": "login"},
    }, 201)
    status, error, _ = await call(stack, "PUT", f"{CS}/{created['id']}", {"settings": {"table": "syncplane.api_keys"}})
    assert_error(status, error, 400, "VALIDATION_ERROR", "settings.table")
    assert (await ok(stack, "GET", f"{CS}/{created['id']}"))["settings"]["table"] == "public.accounts"
