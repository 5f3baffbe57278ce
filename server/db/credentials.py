"""Write-only secrets (`syncplane.credentials`), sealed at rest.

Every write seals a credential's secrets whole under the process's key ring
(server.sealing); only their names stay readable. Reads that need the values
(the dispatcher handing a run its secrets, the webhook deliverer signing) open
them in Python with `open_row`: SQL never sees a key.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from syncplane.server import sealing
from syncplane.server.db.connection import Conn
from syncplane.server.db.queries import load

Q = load("credentials")
Executor = Conn | asyncpg.Pool


def _sealed(row_id: uuid.UUID, secrets: Mapping[str, Any]) -> tuple[list[str], str, bytes]:
    kid, blob = sealing.ring().seal(row_id, dict(secrets))
    return sorted(secrets), kid, blob


def open_row(row_id: uuid.UUID, key_id: str | None, sealed: bytes | None, clear: Mapping[str, Any] | None) -> dict[str, Any]:
    """The secrets of a stored row (a row from before sealing is still clear)."""
    if key_id is None or sealed is None:
        return dict(clear or {})
    return sealing.ring().open(row_id, key_id, bytes(sealed))


def open_roles(claimed: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The secrets of a claimed run by role, from the claim's sealed rows
    ({role: {id, keyId, sealed (hex), clear}}, see runs.sql claim_runs)."""
    out: dict[str, dict[str, Any]] = {}
    for role, stored in (claimed or {}).items():
        sealed = bytes.fromhex(stored["sealed"]) if stored.get("sealed") else None
        out[role] = open_row(uuid.UUID(stored["id"]), stored.get("keyId"), sealed, stored.get("clear"))
    return out


async def insert_credential(db: Executor, secrets: Mapping[str, Any]) -> uuid.UUID:
    row_id = uuid.uuid4()
    return await db.fetchval(Q["insert_credential"], row_id, *_sealed(row_id, secrets))


async def update_credential(db: Executor, credential_id: uuid.UUID, secrets: Mapping[str, Any]) -> None:
    await db.execute(Q["update_credential"], credential_id, *_sealed(credential_id, secrets))


async def merge_credential(
    conn: Conn, credential_id: uuid.UUID, set_: Mapping[str, Any], remove: Sequence[str] = ()
) -> None:
    """Sets some secrets and removes others, keeping the rest (read, open, change, seal)."""
    async with conn.transaction():
        row = await conn.fetchrow(Q["lock_credential"], credential_id)
        if row is None:
            return
        secrets = open_row(row["id"], row["key_id"], row["sealed"], row["secrets"])
        for name in remove:
            secrets.pop(name, None)
        secrets.update(set_)
        await conn.execute(Q["update_credential"], credential_id, *_sealed(credential_id, secrets))


async def secret_keys(db: Executor, credential_id: uuid.UUID | None) -> list[str]:
    if credential_id is None:
        return []
    return list(await db.fetchval(Q["secret_keys"], credential_id) or [])


async def delete_credential(db: Executor, credential_id: uuid.UUID) -> None:
    await db.execute(Q["delete_credential"], credential_id)


@dataclass
class ResealReport:
    resealed: int = 0
    #: Rows changed by someone else between read and write (looked at again next pass).
    raced: int = 0


async def reseal_pass(db: Executor, ring: sealing.KeyRing, batch: int = 100) -> ResealReport:
    """One pass over every credential not sealed under the ring's primary key
    (clear rows included): each is opened and sealed anew in its own statement,
    only if it still holds what was read. Servers keep running meanwhile."""
    report = ResealReport()
    primary = ring.primary.id
    after = uuid.UUID(int=0)
    while True:
        rows = await db.fetch(Q["not_under_key"], primary, after, batch)
        if not rows:
            return report
        for row in rows:
            after = row["id"]
            if row["key_id"] is None:
                secrets = dict(row["secrets"] or {})
            else:
                secrets = ring.open(row["id"], row["key_id"], bytes(row["sealed"]))
            kid, blob = ring.seal(row["id"], secrets)
            done = await db.fetchval(
                Q["reseal"], row["id"], kid, blob, sorted(secrets), row["key_id"], row["sealed"], row["secrets"]
            )
            if done is None:
                report.raced += 1
            else:
                report.resealed += 1


async def count_not_under(db: Executor, key_id: str) -> int:
    return await db.fetchval(Q["count_not_under_key"], key_id)


async def seal_clear_rows(db: Executor) -> int:
    """Seals every credential still clear (from before sealing), idempotently;
    returns how many. Runs at server start; replicas starting together each seal
    a row at most once (the statement checks the row is still clear)."""
    ring = sealing.ring()
    sealed = 0
    while True:
        rows = await db.fetch(Q["clear_rows"], 100)
        if not rows:
            return sealed
        for row in rows:
            secrets = dict(row["secrets"] or {})
            kid, blob = ring.seal(row["id"], secrets)
            done = await db.fetchval(Q["reseal"], row["id"], kid, blob, sorted(secrets), None, None, row["secrets"])
            sealed += done is not None
