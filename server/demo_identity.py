"""The identity demo of `syncplane up --demo`: an HR CSV, an account table as the
target system, synchronisation rules and run profiles ready to execute.
Idempotent. (An LDAP target needs a running slapd; the demo keeps to what one
machine always has: a file and PostgreSQL.)"""

from __future__ import annotations

import csv
from pathlib import Path

import asyncpg
import structlog

from syncplane.server.db import credentials
from syncplane.server.db import identity as db
from syncplane.server.db import syncs as credentials_db
from syncplane.server.embedded_pg import ensure_database

log = structlog.get_logger(__name__)

DEMO_DIRECTORY_DB = "syncplane_demo_directory"
HR_NAME = "HR CSV"
DIRECTORY_NAME = "Directory (SQL)"
FILE_DEF, SQL_DEF = 1, 4  # seeded by migration 0004
DEPARTMENTS = ("Finance", "Engineering", "Sales", "People")
FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Donald")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Perlman", "Knuth")


def write_hr_csv(path: Path, people: int = 200) -> None:
    """employeeId, firstName, lastName, department, email, status (every 10th has left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employeeId", "firstName", "lastName", "department", "email", "status"])
        for i in range(1, people + 1):
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
            writer.writerow([f"E{i:04d}", first, last, DEPARTMENTS[i % len(DEPARTMENTS)],
                             f"{first.lower()}.{last.lower()}{i}@example.org", "left" if i % 10 == 0 else "active"])


async def _target_table(dsn: str, password: str | None = None) -> None:
    conn = await asyncpg.connect(dsn, password=password)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS accounts ("
            " login text PRIMARY KEY, display_name text, department text, email text)"
        )
    finally:
        await conn.close()


INBOUND = {
    "csObjectType": "person", "mvObjectType": "person", "projectToMetaverse": True,
    "joinRules": [{"csAttribute": "employeeId", "mvAttribute": "employeeId"}],
    "attributeFlows": [
        {"target": "employeeId", "source": "employeeId"}, {"target": "firstName", "source": "firstName", "transform": "Trim"},
        {"target": "lastName", "source": "lastName", "transform": "Trim"}, {"target": "department", "source": "department"},
        {"target": "email", "source": "email", "transform": "Lower"}, {"target": "status", "source": "status"},
    ],
}
OUTBOUND = {
    "csObjectType": "person", "mvObjectType": "person",
    "scope": [{"attribute": "status", "operator": "Equals", "value": "active"}],
    "provisionToConnectedSystem": True, "deprovisionWhenOutOfScope": True,
    "attributeFlows": [
        {"target": "login", "source": "employeeId"},
        {"target": "display_name", "sources": ["firstName", "lastName"], "separator": " "},
        {"target": "department", "source": "department"}, {"target": "email", "source": "email"},
    ],
}


async def _follow_directory(pool: asyncpg.Pool, cs_id: int, directory_dsn: str, password: str | None) -> None:
    """The directory system keeps up with where its database is and who writes it (a data dir
    from before the two roles stored the superuser's DSN)."""
    async with pool.acquire() as conn, conn.transaction():
        cs = await db.get_connected_system(conn, cs_id)
        if cs is None:
            return
        if cs.settings.get("dsn") != directory_dsn:
            settings = {**cs.settings, "dsn": directory_dsn}
            await db.update_connected_system(conn, cs_id, cs.name, cs.description, settings, cs.status)
        if password:
            await credentials.merge_credential(conn, cs.credential_id, {"password": password})


async def install_identity(
    pool: asyncpg.Pool, root_dsn: str, files_dir: Path, directory_db: str = DEMO_DIRECTORY_DB,
    password: str | None = None,
) -> dict[str, int]:
    """Creates the demo systems if missing; returns their ids by name."""
    csv_path = (files_dir / "hr.csv").resolve()
    if not csv_path.exists():
        write_hr_csv(csv_path)
    directory_dsn = await ensure_database(root_dsn, directory_db, password=password)
    await _target_table(directory_dsn, password)
    existing = {name: await db.connected_system_id_by_name(pool, name) for name in (HR_NAME, DIRECTORY_NAME)}
    if all(existing.values()):
        await _follow_directory(pool, existing[DIRECTORY_NAME], directory_dsn, password)  # type: ignore[arg-type]  # all() above proved it is not None
        return {k: v for k, v in existing.items() if v is not None}
    async with pool.acquire() as conn, conn.transaction():
        hr = await db.insert_connected_system(
            conn, HR_NAME, "The HR system's daily export", FILE_DEF,
            {"filePath": str(csv_path), "anchorAttribute": "employeeId", "objectType": "person"},
            await credentials_db.insert_credential(conn, {}),
        )
        directory = await db.insert_connected_system(
            conn, DIRECTORY_NAME, "Accounts table of the demo directory", SQL_DEF,
            {"dsn": directory_dsn, "table": "public.accounts", "anchorColumn": "login", "objectType": "person"},
            # The embedded data role's password: write-only secrets, never the settings.
            await credentials_db.insert_credential(conn, {"password": password} if password else {}),
        )
        await db.insert_sync_rule(conn, hr, "HR people in", "Inbound", True, 1, INBOUND)
        await db.insert_sync_rule(conn, directory, "Accounts out", "Outbound", True, 1, OUTBOUND)
        for cs_id, name, run_type in [
            (hr, "Full Import", "FullImport"), (hr, "Full Sync", "FullSynchronisation"),
            (hr, "Delta Sync", "DeltaSynchronisation"), (directory, "Export", "Export"),
            (directory, "Full Import", "FullImport"), (directory, "Full Sync", "FullSynchronisation"),
        ]:
            await db.insert_run_profile(conn, cs_id, name, run_type, 100, None, None)
    log.info("demo.identity_installed", hr_id=hr, directory_id=directory, csv=str(csv_path))
    return {HR_NAME: hr, DIRECTORY_NAME: directory}


__all__ = ["install_identity", "write_hr_csv", "HR_NAME", "DIRECTORY_NAME"]
