"""The File (CSV) connector: full import into the connector space, path confinement, cancel, export."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncplane.executor.connectors import identity
from syncplane.executor.context import Cancelled, RunFailed
from tests.integration.identity_support import (
    Recorder,
    cs_objects,
    flow,
    inbound,
    make_ctx,
    outbound,
    pending,
    read_csv,
    run,
    system,
    write_csv,
)
from tests.integration.pg_support import close_pools  # noqa: F401 - autouse fixture

HR = system(1, "file", {"anchorAttribute": "id", "objectType": "person"},
            object_types=[{"name": "person", "anchor": "id", "attributes": [
                {"name": "id", "type": "string"}, {"name": "age", "type": "integer"},
                {"name": "groups", "type": "string", "multiValued": True}]}])


def people(n: int, **overrides: str) -> list[dict[str, str]]:
    return [{"id": f"e{i}", "first": f"First{i}", "last": f"Last{i}", "age": str(20 + i), "groups": "a|b", **overrides}
            for i in range(1, n + 1)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "files").mkdir()
    return tmp_path / "files"


async def test_full_import_writes_one_connector_space_object_per_row(fresh_dsn: str, root: Path) -> None:
    write_csv(root / "hr.csv", people(250))
    detail = await run(fresh_dsn, "FullImport", HR, file_path=str(root / "hr.csv"), file_roots=[str(root)], page_size=100)
    objects = await cs_objects(fresh_dsn, 1)
    assert len(objects) == 250
    assert objects["e7"]["attributes"] == {"id": "e7", "first": "First7", "last": "Last7", "age": 27, "groups": ["a", "b"]}
    assert detail["counters"]["totalAdded"] == 250
    assert detail["objectsProcessed"] == 250
    assert detail["objectCount"] == 250
    assert [p["status"] for p in detail["phases"]] == ["Completed", "Completed", "Completed"]


async def test_full_import_streams_whole_pages_and_skips_rows_without_an_anchor(fresh_dsn: str, root: Path) -> None:
    # Pages are read a page at a time off the event loop: 200 anchored rows are exactly two
    # pages of 100, and a row with no anchor in between is passed over, not a short page.
    rows = people(200)
    rows.insert(50, {**rows[0], "id": ""})
    write_csv(root / "hr.csv", rows)
    detail = await run(fresh_dsn, "FullImport", HR, file_path=str(root / "hr.csv"), file_roots=[str(root)], page_size=100)
    assert len(await cs_objects(fresh_dsn, 1)) == 200
    assert detail["objectsProcessed"] == 200
    assert detail["objectCount"] == 200


async def test_full_import_reports_its_total_before_the_first_page(fresh_dsn: str, root: Path) -> None:
    write_csv(root / "hr.csv", people(250))
    recorder = Recorder()
    detail = await run(fresh_dsn, "FullImport", HR, file_path=str(root / "hr.csv"), file_roots=[str(root)],
                       page_size=100, recorder=recorder)
    importing = [d for d in recorder.details if d["currentPhase"] == "import"]
    assert sorted({d["objectsProcessed"] for d in importing if d["objectsProcessed"]}) == [100, 200, 250]
    # The total is known before any object was processed, and every page after it reports it.
    first_with_total = next(i for i, d in enumerate(importing) if d["objectsToProcess"])
    assert importing[first_with_total]["objectsProcessed"] == 0
    assert {d["objectsToProcess"] for d in importing[first_with_total:]} == {250}
    assert (detail["objectsToProcess"], detail["objectsProcessed"]) == (250, 250)


async def test_the_total_counts_records_with_an_anchor_not_lines(fresh_dsn: str, root: Path) -> None:
    path = root / "hr.csv"
    path.write_text(
        'id,first,notes\n'
        'e1,Ada,"two\nlines"\n'
        '\n'
        ',Nobody,no anchor\n'
        'e2,Alan,"three\nlines\nhere"\n'
        'e3,Grace,\n',
        encoding="utf-8",
    )
    detail = await run(fresh_dsn, "FullImport", HR, file_path=str(path), file_roots=[str(root)])
    assert len(await cs_objects(fresh_dsn, 1)) == 3
    assert (detail["objectsToProcess"], detail["objectsProcessed"]) == (3, 3)


async def test_full_import_marks_vanished_objects_deleted_and_counts_only_changes(fresh_dsn: str, root: Path) -> None:
    path = root / "hr.csv"
    write_csv(path, people(10))
    await run(fresh_dsn, "FullImport", HR, file_path=str(path), file_roots=[str(root)])
    rows = people(10)
    rows[2]["last"] = "Changed"
    del rows[5]
    write_csv(path, rows)
    detail = await run(fresh_dsn, "FullImport", HR, file_path=str(path), file_roots=[str(root)])
    objects = await cs_objects(fresh_dsn, 1)
    assert objects["e6"]["status"] == "deleted"
    assert objects["e3"]["attributes"]["last"] == "Changed"
    assert detail["counters"] | {} == detail["counters"]
    assert (detail["counters"]["totalAdded"], detail["counters"]["totalUpdated"], detail["counters"]["totalDeleted"]) == (0, 1, 1)
    assert detail["objectCount"] == 9


@pytest.mark.parametrize("path", ["../outside.csv", "link/outside.csv"])
async def test_a_file_path_outside_the_file_roots_is_refused(fresh_dsn: str, root: Path, path: str) -> None:
    outside = root.parent / "outside.csv"
    write_csv(outside, people(1))
    os.symlink(root.parent, root / "link")
    with pytest.raises(RunFailed) as failure:
        await run(fresh_dsn, "FullImport", HR, file_path=str(root / path), file_roots=[str(root)])
    assert failure.value.reason_code == "config_error"
    assert "outside the configured file roots" in str(failure.value)


async def test_no_file_roots_refuses_every_path(fresh_dsn: str, root: Path) -> None:
    write_csv(root / "hr.csv", people(1))
    with pytest.raises(RunFailed, match="no file roots"):
        await run(fresh_dsn, "FullImport", HR, file_path=str(root / "hr.csv"), file_roots=[])


async def test_a_cancel_mid_import_stops_at_a_page_and_marks_nothing_deleted(fresh_dsn: str, root: Path) -> None:
    path = root / "hr.csv"
    write_csv(path, people(50))
    await run(fresh_dsn, "FullImport", HR, file_path=str(path), file_roots=[str(root)], page_size=10)
    write_csv(path, people(500)[100:])  # e1..e100 vanished, 400 new
    recorder = Recorder(cancel_after_checkpoints=2)
    ctx = make_ctx(fresh_dsn, "FullImport", HR, file_path=str(path), file_roots=[str(root)], page_size=10, recorder=recorder)
    with pytest.raises(Cancelled):
        await identity.run(ctx)
    objects = await cs_objects(fresh_dsn, 1)
    assert len(objects) == 50 + 20  # two pages committed
    assert all(o["status"] == "normal" for o in objects.values())
    assert ctx.detail["phases"][2]["status"] == "Skipped"


async def test_export_writes_adds_updates_and_deletes_to_the_file(fresh_dsn: str, root: Path) -> None:
    source, target = root / "hr.csv", root / "out.csv"
    write_csv(source, people(3))
    write_csv(target, [{"id": "e9", "name": "stale", "mail": "x"}])
    out = system(2, "file", {"anchorAttribute": "id"})
    rules = [inbound(1, flows=[flow("employeeId", "id"), flow("first"), flow("last")]),
             outbound(2, flows=[flow("id", "employeeId"), flow("mail", "first", "Lower"),
                                {"target": "name", "sources": ["first", "last"], "separator": " "}])]
    await run(fresh_dsn, "FullImport", HR, file_path=str(source), file_roots=[str(root)])
    await run(fresh_dsn, "FullSynchronisation", HR, rules=rules)
    detail = await run(fresh_dsn, "Export", out, file_path=str(target), file_roots=[str(root)], rules=rules)
    assert detail["counters"]["totalExported"] == 3
    rows = read_csv(target)
    assert rows["e2"] == {"id": "e2", "name": "First2 Last2", "mail": "first2"}
    assert "e9" in rows  # not ours: left alone
    assert await pending(fresh_dsn, 2) == []
    # A change flows out as an update; a removal as a delete.
    changed = people(3)
    changed[0]["last"] = "Renamed"
    write_csv(source, changed[:2])
    await run(fresh_dsn, "FullImport", HR, file_path=str(source), file_roots=[str(root)])
    await run(fresh_dsn, "DeltaSynchronisation", HR, rules=rules)
    assert sorted(p["operation"] for p in await pending(fresh_dsn, 2)) == ["Delete", "Update"]
    await run(fresh_dsn, "Export", out, file_path=str(target), file_roots=[str(root)], rules=rules)
    rows = read_csv(target)
    assert rows["e1"]["name"] == "First1 Renamed"
    assert "e3" not in rows
    assert await pending(fresh_dsn, 2) == []
