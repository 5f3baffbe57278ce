"""Synchronisation rules: join vs project, flows and transforms, precedence, scope, delta sync, counters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from syncplane.executor.connectors import identity
from tests.integration.identity_support import (
    Recorder,
    cs_objects,
    flow,
    inbound,
    make_ctx,
    metaverse,
    outbound,
    pending,
    run,
    system,
    write_csv,
)
from tests.integration.pg_support import close_pools  # noqa: F401 - autouse fixture

HR = system(1, "file", {"anchorAttribute": "id"})
BADGES = system(2, "file", {"anchorAttribute": "badge"})


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path


async def load(dsn: str, root: Path, cs: dict, name: str, rows: list[dict]) -> None:
    write_csv(root / name, rows)
    await run(dsn, "FullImport", cs, file_path=str(root / name), file_roots=[str(root)])


HR_RULE = inbound(1, flows=[flow("employeeId", "id"), flow("first", transform="Trim"), flow("last", transform="Upper"),
                            {"target": "displayName", "sources": ["last", "id"], "separator": "-"},
                            {"target": "company", "constant": "Example Ltd"}])


async def test_projection_creates_metaverse_objects_with_flowed_and_transformed_values(fresh_dsn: str, root: Path) -> None:
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": "1", "first": "  Ada ", "last": "Lovelace"}])
    detail = await run(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE])
    [person] = (await metaverse(fresh_dsn)).values()
    assert person == {"employeeId": "1", "first": "Ada", "last": "LOVELACE", "displayName": "Lovelace-1",
                      "company": "Example Ltd"}
    assert detail["counters"]["totalProjected"] == 1
    assert detail["counters"]["totalAttributeFlows"] == 5


async def test_a_second_system_joins_on_attribute_equality_instead_of_projecting(fresh_dsn: str, root: Path) -> None:
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": "1", "first": "Ada"}, {"id": "2", "first": "Bob"}])
    await load(fresh_dsn, root, BADGES, "badges.csv", [{"badge": "B1", "emp": "2", "room": "7"},
                                                       {"badge": "B9", "emp": "99", "room": "1"}])
    badge_rule = inbound(2, rule_id=2, joins=[("emp", "employeeId")], project=False, precedence=2,
                         flows=[flow("room"), flow("first", "room")])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE, badge_rule])
    detail = await run(fresh_dsn, "FullSynchronisation", BADGES, rules=[HR_RULE, badge_rule])
    assert (detail["counters"]["totalJoined"], detail["counters"]["totalProjected"]) == (1, 0)
    people = {p["employeeId"]: p for p in (await metaverse(fresh_dsn)).values()}
    assert len(people) == 2
    assert people["2"]["room"] == "7"
    # HR's rule has precedence 1: the badge system's flow cannot overwrite its `first`.
    assert people["2"]["first"] == "Bob"
    badges = await cs_objects(fresh_dsn, 2)
    assert badges["B1"]["mv_id"] is not None and badges["B9"]["mv_id"] is None


async def test_an_ambiguous_join_is_an_item_error_and_the_run_goes_on(fresh_dsn: str, root: Path) -> None:
    hr_rule = inbound(1, flows=[flow("employeeId", "id"), flow("site")])
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": "1", "site": "X"}, {"id": "2", "site": "X"}, {"id": "3", "site": "Y"}])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=[hr_rule])
    await load(fresh_dsn, root, BADGES, "badges.csv", [{"badge": "B1", "site": "X"}, {"badge": "B2", "site": "Y"}])
    badge_rule = inbound(2, rule_id=2, joins=[("site", "site")], project=False, flows=[flow("badge")])
    detail = await run(fresh_dsn, "FullSynchronisation", BADGES, rules=[hr_rule, badge_rule])
    assert detail["counters"]["totalErrors"] == 1
    assert detail["itemErrors"][0]["anchor"] == "B1"
    assert detail["counters"]["totalJoined"] == 1


async def test_scope_decides_projection(fresh_dsn: str, root: Path) -> None:
    rule = inbound(1, flows=[flow("employeeId", "id")], scope=[{"attribute": "status", "operator": "Equals", "value": "active"}])
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": "1", "status": "active"}, {"id": "2", "status": "left"}])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=[rule])
    assert [p["employeeId"] for p in (await metaverse(fresh_dsn)).values()] == ["1"]


async def test_delta_synchronisation_processes_only_changed_objects(fresh_dsn: str, root: Path) -> None:
    rows = [{"id": str(i), "first": f"F{i}"} for i in range(1, 21)]
    await load(fresh_dsn, root, HR, "hr.csv", rows)
    await run(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE])
    nothing = await run(fresh_dsn, "DeltaSynchronisation", HR, rules=[HR_RULE])
    assert nothing["objectsToProcess"] == 0
    rows[4]["first"] = "Changed"
    await load(fresh_dsn, root, HR, "hr.csv", rows[:-1])
    detail = await run(fresh_dsn, "DeltaSynchronisation", HR, rules=[HR_RULE])
    assert (detail["objectsToProcess"], detail["objectsProcessed"]) == (2, 2)
    assert detail["counters"]["totalUpdated"] == 1
    assert detail["counters"]["totalDeleted"] == 1  # the object gone from HR took its metaverse object
    people = {p["employeeId"]: p for p in (await metaverse(fresh_dsn)).values()}
    assert people["5"]["first"] == "Changed" and "20" not in people
    assert "20" not in await cs_objects(fresh_dsn, 1)  # a deleted object, once synchronised, is gone


async def test_provision_update_and_deprovision_compute_pending_exports(fresh_dsn: str, root: Path) -> None:
    out_rule = outbound(2, flows=[flow("badge", "employeeId"), flow("name", "displayName")],
                        scope=[{"attribute": "company", "operator": "Present"}])
    rules = [HR_RULE, out_rule]
    rows = [{"id": "1", "first": "A", "last": "x"}, {"id": "2", "first": "B", "last": "y"}]
    await load(fresh_dsn, root, HR, "hr.csv", rows)
    detail = await run(fresh_dsn, "FullSynchronisation", HR, rules=rules)
    assert detail["counters"]["totalProvisioned"] == 2
    assert detail["counters"]["totalPendingExports"] == 2
    adds = await pending(fresh_dsn, 2)
    assert [(p["operation"], p["attributes"]) for p in adds] == [
        ("Add", {"badge": "1", "name": "x-1"}), ("Add", {"badge": "2", "name": "y-2"})]
    await run(fresh_dsn, "Export", BADGES, rules=rules, file_path=str(root / "badges.csv"), file_roots=[str(root)])
    rows[0]["last"] = "z"
    await load(fresh_dsn, root, HR, "hr.csv", rows[:1])
    detail = await run(fresh_dsn, "DeltaSynchronisation", HR, rules=rules)
    assert sorted((p["operation"], p["attributes"]) for p in await pending(fresh_dsn, 2)) == [
        ("Delete", {}), ("Update", {"name": "z-1"})]
    assert detail["pendingExports"] == {"1": 0, "2": 2}


async def test_counters_and_phases_are_reported_while_running_and_at_the_end(fresh_dsn: str, root: Path) -> None:
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": str(i)} for i in range(30)])
    recorder = Recorder()
    ctx = make_ctx(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE], page_size=10, recorder=recorder)
    await identity.run(ctx)
    running = [d for d in recorder.details if d["currentPhase"] == "synchronise"]
    assert sorted({d["objectsProcessed"] for d in running}) == [0, 10, 20, 30]
    assert all(d["objectsToProcess"] == 30 for d in running)
    final = ctx.summary()["detail"]
    assert [p["key"] for p in final["phases"]] == ["prepare", "synchronise", "complete"]
    assert all(p["status"] == "Completed" and p["started"] and p["ended"] for p in final["phases"])
    assert final["counters"]["totalProjected"] == 30
    assert final["objectCount"] == 30 and final["itemErrors"] == [] and final["warnings"] == []


async def test_a_second_synchronisation_waits_for_the_first(fresh_dsn: str, root: Path) -> None:
    await load(fresh_dsn, root, HR, "hr.csv", [{"id": str(i)} for i in range(200)])
    first = make_ctx(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE], page_size=10)
    second = make_ctx(fresh_dsn, "FullSynchronisation", HR, rules=[HR_RULE], page_size=10)
    await asyncio.gather(identity.run(first), identity.run(second))
    # Serialised: the second saw the first's metaverse and projected nothing twice.
    assert len(await metaverse(fresh_dsn)) == 200
    assert first.detail["counters"]["totalProjected"] + second.detail["counters"]["totalProjected"] == 200
