"""The LDAP connector against a real slapd: schema, full and delta import, export with a failing item retried."""

from __future__ import annotations

from pathlib import Path

from ldap3 import MODIFY_REPLACE

from tests.acceptance.wait_support import next_second
from tests.integration.identity_support import (
    cs_objects,
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
from tests.integration.slapd_support import BASE, PASSWORD, Slapd, slapd  # noqa: F401 - fixture

SECRETS = {"password": PASSWORD}
PARTITION = {"id": 1, "name": BASE, "externalId": BASE}


def directory(server: Slapd, cs_id: int = 1) -> dict:
    return system(cs_id, "ldap", server.settings(), name="Directory")


def add_people(server: Slapd, *uids: str) -> None:
    conn = server.connection()
    for uid in uids:
        assert conn.add(f"uid={uid},ou=people,{BASE}", "inetOrgPerson",
                        {"uid": uid, "cn": f"{uid} cn", "sn": f"{uid} sn", "mail": f"{uid}@example.org"}), conn.result
    conn.unbind()


async def test_import_schema_lists_naming_contexts_ous_and_object_types(fresh_dsn: str, slapd: Slapd) -> None:
    detail = await run(fresh_dsn, "ImportSchema", directory(slapd), secrets=SECRETS)
    assert detail["partitions"] == [{"name": BASE, "externalId": BASE}]
    assert {c["externalId"] for c in detail["containers"]} == {f"ou=people,{BASE}", f"ou=groups,{BASE}"}
    [person] = detail["objectTypes"]
    names = {a["name"]: a for a in person["attributes"]}
    assert person["name"] == "person" and person["anchor"] == "entryUUID"
    assert {"uid", "mail", "sn", "cn"} <= set(names)
    assert names["displayName"]["multiValued"] is False


async def test_full_import_pages_through_the_partition_and_marks_deleted_entries(fresh_dsn: str, slapd: Slapd) -> None:
    add_people(slapd, *[f"u{i}" for i in range(25)])
    detail = await run(fresh_dsn, "FullImport", directory(slapd), secrets=SECRETS, partition=PARTITION, page_size=10)
    objects = await cs_objects(fresh_dsn, 1)
    assert len(objects) == 25 and detail["counters"]["totalAdded"] == 25
    by_uid = {o["attributes"]["uid"]: o for o in objects.values()}
    assert by_uid["u3"]["external_id"] == f"uid=u3,ou=people,{BASE}"
    assert by_uid["u3"]["attributes"]["mail"] == "u3@example.org"
    conn = slapd.connection()
    conn.delete(f"uid=u3,ou=people,{BASE}")
    conn.unbind()
    again = await run(fresh_dsn, "FullImport", directory(slapd), secrets=SECRETS, partition=PARTITION, page_size=10)
    assert (again["counters"]["totalAdded"], again["counters"]["totalUpdated"], again["counters"]["totalDeleted"]) == (0, 0, 1)
    statuses = {o["attributes"]["uid"]: o["status"] for o in (await cs_objects(fresh_dsn, 1)).values()}
    assert statuses["u3"] == "deleted" and statuses["u4"] == "normal"


async def test_delta_import_sees_changes_since_the_watermark_and_deletes_by_anchor_scan(
    fresh_dsn: str, slapd: Slapd
) -> None:
    add_people(slapd, "a", "b", "c")
    await run(fresh_dsn, "FullImport", directory(slapd), secrets=SECRETS, partition=PARTITION)
    await next_second()  # modifyTimestamp has one-second resolution: later changes get a later stamp
    conn = slapd.connection()
    conn.modify(f"uid=a,ou=people,{BASE}", {"mail": [(MODIFY_REPLACE, ["new@example.org"])]})
    conn.delete(f"uid=b,ou=people,{BASE}")
    conn.unbind()
    add_people(slapd, "d")
    detail = await run(fresh_dsn, "DeltaImport", directory(slapd), secrets=SECRETS, partition=PARTITION)
    counters = detail["counters"]
    assert (counters["totalAdded"], counters["totalUpdated"], counters["totalDeleted"]) == (1, 1, 1)
    # Only the changed entries were read as changes (a and d), not c.
    phases = {p["key"]: p["status"] for p in detail["phases"]}
    assert phases == {"connect": "Completed", "import": "Completed", "deletions": "Completed"}
    by_uid = {o["attributes"]["uid"]: o for o in (await cs_objects(fresh_dsn, 1)).values()}
    assert by_uid["a"]["attributes"]["mail"] == "new@example.org"
    assert by_uid["b"]["status"] == "deleted" and by_uid["d"]["status"] == "normal"


async def test_export_adds_updates_and_deletes_entries_and_retries_a_failed_add(
    fresh_dsn: str, slapd: Slapd, tmp_path: Path
) -> None:
    hr = system(5, "file", {"anchorAttribute": "id"})
    rules = [
        inbound(5, flows=[flow("employeeId", "id"), flow("first"), flow("last"), flow("ou")]),
        outbound(1, template="uid={uid},ou={ou},dc=example,dc=org",
                 flows=[flow("uid", "employeeId", "Lower"), flow("sn", "last"), flow("givenName", "first"),
                        flow("ou"), {"target": "cn", "sources": ["first", "last"], "separator": " "}]),
    ]
    # e3's container does not exist yet: its add fails and stays pending.
    write_csv(tmp_path / "hr.csv", [{"id": "E1", "first": "Ada", "last": "L", "ou": "people"},
                                    {"id": "E2", "first": "Bob", "last": "M", "ou": "people"},
                                    {"id": "E3", "first": "Cy", "last": "N", "ou": "staff"}])
    csv_run = {"file_path": str(tmp_path / "hr.csv"), "file_roots": [str(tmp_path)]}
    await run(fresh_dsn, "FullImport", hr, **csv_run)
    await run(fresh_dsn, "FullSynchronisation", hr, rules=rules)
    detail = await run(fresh_dsn, "Export", directory(slapd), secrets=SECRETS, partition=PARTITION, rules=rules)
    assert detail["counters"]["totalExported"] == 2 and detail["counters"]["totalErrors"] == 1
    assert "No such object" in detail["itemErrors"][0]["error"] or "noSuchObject" in detail["itemErrors"][0]["error"]
    conn = slapd.connection()
    conn.search(f"uid=e1,ou=people,{BASE}", "(objectClass=*)", attributes=["cn", "sn", "entryUUID"])
    [entry] = conn.entries
    assert str(entry.cn) == "Ada L"
    objects = await cs_objects(fresh_dsn, 1)
    assert str(entry.entryUUID) in objects  # the new entry's anchor was read back and confirmed
    [left] = await pending(fresh_dsn, 1)
    assert (left["operation"], left["attempts"], left["external_id"]) == ("Add", 1, "uid=e3,ou=staff,dc=example,dc=org")
    # The container appears; the next export retries and succeeds.
    conn.add(f"ou=staff,{BASE}", "organizationalUnit", {"ou": "staff"})
    retried = await run(fresh_dsn, "Export", directory(slapd), secrets=SECRETS, partition=PARTITION, rules=rules)
    assert retried["counters"]["totalExported"] == 1 and await pending(fresh_dsn, 1) == []
    # An update and a deprovision.
    write_csv(tmp_path / "hr.csv", [{"id": "E1", "first": "Ada", "last": "Lovelace", "ou": "people"},
                                    {"id": "E3", "first": "Cy", "last": "N", "ou": "staff"}])
    await run(fresh_dsn, "FullImport", hr, **csv_run)
    await run(fresh_dsn, "DeltaSynchronisation", hr, rules=rules)
    final = await run(fresh_dsn, "Export", directory(slapd), secrets=SECRETS, partition=PARTITION, rules=rules)
    assert (final["counters"]["totalUpdated"], final["counters"]["totalDeleted"]) == (1, 1)
    conn.search(f"ou=people,{BASE}", "(objectClass=inetOrgPerson)", attributes=["uid", "sn"])
    assert {str(e.uid): str(e.sn) for e in conn.entries} == {"e1": "Lovelace"}
    conn.unbind()
    # A full import of the directory afterwards finds what the export confirmed: no changes.
    reimport = await run(fresh_dsn, "FullImport", directory(slapd), secrets=SECRETS, partition=PARTITION)
    assert reimport["counters"]["totalAdded"] == 0 and reimport["counters"]["totalDeleted"] == 0
    assert len(await metaverse(fresh_dsn)) == 2
