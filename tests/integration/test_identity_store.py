"""The identity store: links to deleted metaverse objects, upgrades of older stores, page writes."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from syncplane.executor.identity import store
from tests.integration.identity_support import (
    cs_objects,
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

HR = system(1, "file", {"anchorAttribute": "id"})
BADGES = system(2, "file", {"anchorAttribute": "badge"})
RULES = [inbound(1, flows=[flow("employeeId", "id"), flow("first")]),
         outbound(2, flows=[flow("badge", "employeeId"), flow("name", "first")])]


async def _import(dsn: str, root: Path, rows: list[dict[str, str]]) -> None:
    write_csv(root / "hr.csv", rows)
    await run(dsn, "FullImport", HR, file_path=str(root / "hr.csv"), file_roots=[str(root)])


async def test_a_deleted_metaverse_object_leaves_no_link_to_it(fresh_dsn: str, tmp_path: Path) -> None:
    await _import(fresh_dsn, tmp_path, [{"id": "1", "first": "Ada"}, {"id": "2", "first": "Bob"}])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=RULES)
    await run(fresh_dsn, "Export", BADGES, rules=RULES, file_path=str(tmp_path / "badges.csv"), file_roots=[str(tmp_path)])
    await _import(fresh_dsn, tmp_path, [{"id": "1", "first": "Ada"}])
    detail = await run(fresh_dsn, "DeltaSynchronisation", HR, rules=RULES)
    assert detail["counters"]["totalDeleted"] == 1
    assert [p["employeeId"] for p in (await metaverse(fresh_dsn)).values()] == ["1"]
    badges = await cs_objects(fresh_dsn, 2)
    # The badge of the deleted person waits for its Delete, linked to nothing.
    assert badges["2"]["mv_id"] is None and badges["1"]["mv_id"] is not None
    assert [(p["operation"], p["anchor"]) for p in await pending(fresh_dsn, 2)] == [("Delete", "2")]


async def test_a_store_with_the_old_link_foreign_key_is_upgraded(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await store.ensure_schema(conn)
        await conn.execute(
            "ALTER TABLE idm.cs_objects ADD CONSTRAINT cs_objects_mv_id_fkey"
            " FOREIGN KEY (mv_id) REFERENCES idm.mv_objects (id) ON DELETE SET NULL"
        )
        await store.ensure_schema(conn)
    finally:
        await conn.close()
    assert await fetch(fresh_dsn, "SELECT 1 FROM pg_constraint WHERE conname = 'cs_objects_mv_id_fkey'") == []


async def test_page_writes_keep_values_exactly(fresh_dsn: str, tmp_path: Path) -> None:
    odd = "Ünïcødé \"quoted\" back\\slash\nnew line ☃"
    await _import(fresh_dsn, tmp_path, [{"id": "1", "first": odd}])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=RULES)
    [person] = (await metaverse(fresh_dsn)).values()
    assert person == {"employeeId": "1", "first": odd}
    [add] = await pending(fresh_dsn, 2)
    assert add["attributes"] == {"badge": "1", "name": odd}


async def test_pages_read_ahead_see_every_change_when_objects_go_on_several_pages(fresh_dsn: str, tmp_path: Path) -> None:
    rows = [{"id": str(i), "first": f"F{i}"} for i in range(1, 31)]
    await _import(fresh_dsn, tmp_path, rows)
    await run(fresh_dsn, "FullSynchronisation", HR, rules=RULES, page_size=7)
    kept = [r for r in rows if int(r["id"]) % 4]  # 7 people leave, spread over the pages
    for row in kept[::3]:
        row["first"] = "Changed"
    await _import(fresh_dsn, tmp_path, kept)
    detail = await run(fresh_dsn, "DeltaSynchronisation", HR, rules=RULES, page_size=7)
    assert detail["objectsProcessed"] == detail["objectsToProcess"] == 7 + len(kept[::3])
    assert detail["counters"]["totalDeleted"] == 7
    people = {p["employeeId"]: p["first"] for p in (await metaverse(fresh_dsn)).values()}
    assert people == {r["id"]: r["first"] for r in kept}
    assert (await run(fresh_dsn, "DeltaSynchronisation", HR, rules=RULES))["objectsToProcess"] == 0
    hr = await cs_objects(fresh_dsn, 1)
    assert sorted(hr) == sorted(r["id"] for r in kept) and all(o["mv_id"] for o in hr.values())
