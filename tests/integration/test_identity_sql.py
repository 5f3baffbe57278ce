"""The SQL connector: full and delta import (watermark, soft deletes) and export with a failing item retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncplane.executor.context import RunFailed
from tests.integration.identity_support import (
    cs_objects,
    execute,
    fetch,
    flow,
    inbound,
    metaverse,
    outbound,
    pending,
    run,
    system,
    write_csv,
)
from tests.integration.pg_support import close_pools  # noqa: F401 - autouse fixture

PEOPLE_DDL = """
CREATE TABLE people (
  id int PRIMARY KEY, first text, last text, dept text,
  changed_at timestamptz NOT NULL, gone boolean NOT NULL DEFAULT false
)
"""


def source(dsn: str) -> dict:
    return system(1, "sql", {"dsn": dsn, "table": "public.people", "anchorColumn": "id",
                             "watermarkColumn": "changed_at", "deletedColumn": "gone"})


async def seed(dsn: str, n: int) -> None:
    await execute(dsn, PEOPLE_DDL)
    await execute(
        dsn,
        "INSERT INTO people SELECT g, 'First' || g, 'Last' || g, 'd' || (g % 3),"
        " timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, $1) g",
        n,
    )


async def test_full_import_reads_every_row_and_skips_soft_deleted_ones(fresh_dsn: str, second_dsn: str) -> None:
    await seed(second_dsn, 120)
    await execute(second_dsn, "UPDATE people SET gone = true WHERE id = 5")
    detail = await run(fresh_dsn, "FullImport", source(second_dsn), page_size=50)
    objects = await cs_objects(fresh_dsn, 1)
    assert len(objects) == 119 and "5" not in objects
    assert objects["7"]["attributes"]["first"] == "First7"
    assert objects["7"]["attributes"]["id"] == 7
    assert detail["counters"]["totalAdded"] == 119


async def test_delta_import_applies_only_rows_at_or_after_the_watermark(fresh_dsn: str, second_dsn: str) -> None:
    await seed(second_dsn, 30)
    await run(fresh_dsn, "FullImport", source(second_dsn))
    await execute(second_dsn, "UPDATE people SET last = 'New', changed_at = '2025-01-01' WHERE id = 3")
    await execute(second_dsn, "UPDATE people SET gone = true, changed_at = '2025-01-02' WHERE id = 4")
    await execute(second_dsn, "INSERT INTO people VALUES (99, 'N', 'Ew', 'd0', '2025-01-03')")
    # Changed without moving the watermark: a delta import must not see it.
    await execute(second_dsn, "UPDATE people SET first = 'Unseen' WHERE id = 1")
    detail = await run(fresh_dsn, "DeltaImport", source(second_dsn))
    objects = await cs_objects(fresh_dsn, 1)
    assert objects["3"]["attributes"]["last"] == "New"
    assert objects["4"]["status"] == "deleted"
    assert objects["99"]["status"] == "normal"
    assert objects["1"]["attributes"]["first"] == "First1"
    counters = detail["counters"]
    assert (counters["totalAdded"], counters["totalUpdated"], counters["totalDeleted"]) == (1, 1, 1)
    # The closed boundary reads the last row again, and the comparison makes it no change.
    again = await run(fresh_dsn, "DeltaImport", source(second_dsn))
    assert again["objectsProcessed"] == 1
    assert (again["counters"]["totalAdded"], again["counters"]["totalUpdated"]) == (0, 0)


async def test_a_missing_table_fails_the_run_as_a_config_error(fresh_dsn: str, second_dsn: str) -> None:
    with pytest.raises(RunFailed) as failure:
        await run(fresh_dsn, "FullImport", source(second_dsn))
    assert failure.value.reason_code == "config_error"


TARGET_DDL = "CREATE TABLE accounts (login text PRIMARY KEY, display text, dept text CHECK (dept <> 'd2'))"


async def test_export_into_a_table_confirms_and_keeps_a_failing_item_pending_until_it_succeeds(
    fresh_dsn: str, second_dsn: str
) -> None:
    await seed(second_dsn, 6)
    await execute(second_dsn, TARGET_DDL)
    target = system(2, "sql", {"dsn": second_dsn, "table": "public.accounts", "anchorColumn": "login"})
    rules = [
        inbound(1, flows=[flow("employeeId", "id"), flow("first"), flow("last"), flow("dept")]),
        outbound(2, flows=[flow("login", "employeeId"), flow("dept"),
                           {"target": "display", "sources": ["first", "last"], "separator": " ", "transform": "Upper"}]),
    ]
    await run(fresh_dsn, "FullImport", source(second_dsn))
    sync = await run(fresh_dsn, "FullSynchronisation", source(second_dsn), rules=rules)
    assert sync["counters"]["totalProvisioned"] == 6
    assert sync["pendingExports"] == {"1": 0, "2": 6}
    detail = await run(fresh_dsn, "Export", target, rules=rules)
    # Rows 2 and 5 are in dept d2, which the table's CHECK refuses.
    assert detail["counters"]["totalExported"] == 4
    assert detail["counters"]["totalErrors"] == 2
    assert {e["anchor"] for e in detail["itemErrors"]} == {"2", "5"}
    rows = {r[0]: (r[1], r[2]) for r in await fetch(second_dsn, "SELECT login, display, dept FROM accounts")}
    assert rows == {"1": ("FIRST1 LAST1", "d1"), "3": ("FIRST3 LAST3", "d0"), "4": ("FIRST4 LAST4", "d1"),
                    "6": ("FIRST6 LAST6", "d0")}
    left = await pending(fresh_dsn, 2)
    assert [(p["operation"], p["attempts"]) for p in left] == [("Add", 1), ("Add", 1)]
    assert "CheckViolation" in left[0]["error"]
    # The confirmed objects are in the target's connector space: a sync finds nothing to change.
    again = await run(fresh_dsn, "FullSynchronisation", source(second_dsn), rules=rules)
    assert again["counters"]["totalPendingExports"] == 0
    # The next export retries the failed items; once the table allows them they go through.
    await execute(second_dsn, "ALTER TABLE accounts DROP CONSTRAINT accounts_dept_check")
    retried = await run(fresh_dsn, "Export", target, rules=rules)
    assert retried["counters"]["totalExported"] == 2
    assert await pending(fresh_dsn, 2) == []
    assert len(await fetch(second_dsn, "SELECT 1 FROM accounts")) == 6


async def test_updates_and_deprovisioning_reach_the_table(fresh_dsn: str, second_dsn: str) -> None:
    await seed(second_dsn, 4)
    await execute(second_dsn, "CREATE TABLE accounts (login text PRIMARY KEY, display text, dept text)")
    target = system(2, "sql", {"dsn": second_dsn, "table": "public.accounts", "anchorColumn": "login"})
    rules = [
        inbound(1, flows=[flow("employeeId", "id"), flow("last"), flow("dept")]),
        outbound(2, flows=[flow("login", "employeeId"), flow("display", "last"), flow("dept")],
                 scope=[{"attribute": "dept", "operator": "NotEquals", "value": "gone"}]),
    ]
    for run_type, system_ in (("FullImport", source(second_dsn)), ("FullSynchronisation", source(second_dsn)),
                              ("Export", target)):
        await run(fresh_dsn, run_type, system_, rules=rules)
    await execute(second_dsn, "UPDATE people SET last = 'Moved', changed_at = '2030-01-01' WHERE id = 1")
    await execute(second_dsn, "UPDATE people SET dept = 'gone', changed_at = '2030-01-01' WHERE id = 2")
    await execute(second_dsn, "UPDATE people SET gone = true, changed_at = '2030-01-01' WHERE id = 3")
    await run(fresh_dsn, "DeltaImport", source(second_dsn))
    sync = await run(fresh_dsn, "DeltaSynchronisation", source(second_dsn), rules=rules)
    assert sync["objectsProcessed"] == 3
    assert sorted(p["operation"] for p in await pending(fresh_dsn, 2)) == ["Delete", "Delete", "Update"]
    assert sync["counters"]["totalDeleted"] == 1  # the metaverse object of row 3
    export = await run(fresh_dsn, "Export", target, rules=rules)
    assert (export["counters"]["totalUpdated"], export["counters"]["totalDeleted"]) == (1, 2)
    rows = {r[0]: r[1] for r in await fetch(second_dsn, "SELECT login, display FROM accounts")}
    assert rows == {"1": "Moved", "4": "Last4"}


async def test_objects_provisioned_to_a_target_with_only_an_outbound_rule_stay_joined(
    fresh_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    """CSV import -> sync -> export to SQL -> import SQL -> sync SQL, twice: the
    target has no inbound rule, yet what was provisioned there stays joined, so
    the second cycle provisions nothing and exports nothing."""
    hr = system(1, "file", {"anchorAttribute": "id"})
    write_csv(tmp_path / "hr.csv", [{"id": str(i), "last": f"Last{i}", "dept": f"d{i % 2}"} for i in range(1, 5)])
    await execute(second_dsn, "CREATE TABLE accounts (login text PRIMARY KEY, display text, dept text)")
    target = system(2, "sql", {"dsn": second_dsn, "table": "public.accounts", "anchorColumn": "login"})
    rules = [
        inbound(1, flows=[flow("employeeId", "id"), flow("last"), flow("dept")]),
        outbound(2, flows=[flow("login", "employeeId"), flow("display", "last"), flow("dept")]),
    ]

    async def cycle() -> dict[str, dict]:
        return {
            "import": await run(fresh_dsn, "FullImport", hr, file_path=str(tmp_path / "hr.csv"),
                                file_roots=[str(tmp_path)]),
            "sync": await run(fresh_dsn, "FullSynchronisation", hr, rules=rules),
            "export": await run(fresh_dsn, "Export", target, rules=rules),
            "target import": await run(fresh_dsn, "FullImport", target, rules=rules),
            "target sync": await run(fresh_dsn, "FullSynchronisation", target, rules=rules),
        }

    first = await cycle()
    assert first["sync"]["counters"]["totalProvisioned"] == 4
    assert (first["export"]["counters"]["totalExported"], first["export"]["counters"]["totalErrors"]) == (4, 0)
    assert first["target sync"]["counters"]["totalDisconnected"] == 0
    people = await metaverse(fresh_dsn)
    accounts = await cs_objects(fresh_dsn, 2)
    assert sorted(accounts) == ["1", "2", "3", "4"]
    assert {a["mv_id"] for a in accounts.values()} == set(people)  # each joined to its person
    assert await pending(fresh_dsn, 2) == []

    second = await cycle()
    for step in ("sync", "target sync"):
        counters = second[step]["counters"]
        assert (counters["totalProvisioned"], counters["totalDisconnected"], counters["totalPendingExports"]) == (
            0, 0, 0,
        ), (step, counters)
    assert (second["export"]["counters"]["totalExported"], second["export"]["counters"]["totalErrors"]) == (0, 0)
    assert await pending(fresh_dsn, 2) == []
    assert await cs_objects(fresh_dsn, 2) == accounts
    assert await metaverse(fresh_dsn) == people
    rows = {r[0]: (r[1], r[2]) for r in await fetch(second_dsn, "SELECT login, display, dept FROM accounts")}
    assert rows == {str(i): (f"Last{i}", f"d{i % 2}") for i in range(1, 5)}
