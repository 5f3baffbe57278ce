"""Failures carry the right reason code and never a password."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.connectors import postgres
from syncplane.executor.context import RunFailed
from syncplane.executor.secret_values import scrub
from syncplane.server.db.dsn import with_database
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    ORDERS_DDL,
    close_pools,
    entity,
    execute,
    make_ctx,
    seed_orders,
)


async def _failure(ctx: Any) -> RunFailed:
    with pytest.raises(RunFailed) as failure:
        await postgres.run(ctx)
    return failure.value


@pytest.fixture
async def source(second_dsn: str) -> str:
    await execute(second_dsn, ORDERS_DDL)
    await execute(second_dsn, "CREATE TABLE no_key (a int, b text)")
    await seed_orders(second_dsn, 10)
    return second_dsn


async def test_upsert_without_any_key_is_a_config_error(fresh_dsn: str, source: str) -> None:
    failure = await _failure(make_ctx(source, fresh_dsn, [entity("no_key")]))
    assert failure.reason_code == "config_error"
    assert "primaryKeyColumns" in str(failure)


@pytest.mark.parametrize(
    "change",
    [
        {"runMode": "sometimes"},
        {"pageSize": 0.5},
        {"syncId": ""},
        {"entities": [entity("orders", mode="merge_sideways")]},
        {"entities": [entity("orders", cursor="no_such_column")]},
        {"entities": [entity("orders", pk=["no_such_column"])]},
        {"entities": [entity("no_key", mode="append_event")], "runMode": "incremental"},
        {"source": {"provider": "postgres", "config": {"schema": "public"}}},
        {"source": {"provider": "mysql", "config": {}}},
    ],
)
async def test_bad_plans_are_config_errors(fresh_dsn: str, source: str, change: dict[str, Any]) -> None:
    ctx = make_ctx(source, fresh_dsn, [entity("orders", pk=["id"])])
    ctx.spec.update(change)
    assert (await _failure(ctx)).reason_code == "config_error"


async def test_invalid_query_sql_is_a_config_error(fresh_dsn: str, source: str) -> None:
    ctx = make_ctx(source, fresh_dsn, [entity("q", pk=["id"])], source_config={"queries": {"q": "SELEC id FROM orders"}})
    assert (await _failure(ctx)).reason_code == "config_error"


async def test_missing_destination_dsn_is_a_config_error(fresh_dsn: str, source: str) -> None:
    ctx = make_ctx(source, fresh_dsn, [entity("orders")])
    del ctx.secrets["destinationDsn"]
    assert (await _failure(ctx)).reason_code == "config_error"


async def test_missing_source_table_is_a_source_error(fresh_dsn: str, source: str) -> None:
    failure = await _failure(make_ctx(source, fresh_dsn, [entity("nowhere", pk=["id"])]))
    assert failure.reason_code == "source_error"
    assert "public.nowhere" in str(failure)


async def test_unreachable_source_is_a_source_error_without_the_password(fresh_dsn: str, source: str) -> None:
    ctx = make_ctx(
        with_database(source, "no_such_database"),
        fresh_dsn,
        [entity("orders")],
        source_secrets={"password": "hunter2-very-secret"},
    )
    failure = await _failure(ctx)
    assert failure.reason_code == "source_error"
    assert "hunter2" not in str(failure)


async def test_unreachable_destination_is_a_destination_error(fresh_dsn: str, source: str) -> None:
    ctx = make_ctx(source, with_database(fresh_dsn, "no_such_database"), [entity("orders")])
    assert (await _failure(ctx)).reason_code == "destination_error"


async def test_destination_failure_during_load_is_a_destination_error(fresh_dsn: str, source: str) -> None:
    # A target whose extra NOT NULL column the source cannot fill.
    await execute(
        fresh_dsn,
        "CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz, customer text, total numeric(12,2),"
        " qty int, paid bool, required text NOT NULL)",
    )
    failure = await _failure(make_ctx(source, fresh_dsn, [entity("orders")]))
    assert failure.reason_code == "destination_error"
    assert "required" in str(failure)


def test_error_messages_never_carry_dsn_passwords() -> None:
    message = scrub(
        "could not connect to postgresql://bob:pa@ss@db:5432/x and host=db password=hunter2 user=bob", "pa@ss"
    )
    assert "pa@ss" not in message and "hunter2" not in message
    assert "postgresql://bob:***@db:5432/x" in message


async def test_malformed_source_dsn_is_a_config_error(fresh_dsn: str, source: str) -> None:
    ctx = make_ctx("postgresql://bob:hunter2@host:notaport/db", fresh_dsn, [entity("orders")])
    failure = await _failure(ctx)
    assert failure.reason_code == "config_error"
    assert "hunter2" not in str(failure)
