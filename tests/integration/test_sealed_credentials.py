"""Stored secrets are sealed at rest (real PostgreSQL): what a SELECT or a dump
shows holds no secret, rows from before sealing are sealed at start, a
ciphertext opens only on its own row, and a key rotation re-encrypts every row
while a "running server" (a key ring on the same key file) keeps opening them."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from syncplane.server import sealing
from syncplane.server.db import credentials
from syncplane.server.db import identity as identity_db
from syncplane.server.db import syncs as syncs_db
from syncplane.server.dialects.stored_secrets import move_stored_config_secrets
from syncplane.server.sealing.keys import KEY_FILE_NAME, FileKeys, new_key, parse
from syncplane.server.sealing.ring import KeyRing, SealError
from syncplane.server.sealing.rotate import rotate

SECRETS = {"password": "hunter2-pw", "header:Authorization": "Bearer tok-123", "nested": {"apiKey": "k-456"}}
PLAINTEXTS = ("hunter2-pw", "tok-123", "k-456")


@pytest.fixture
def file_ring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyRing]:
    """The process ring read from a data dir's key file (as a server without SYNCPLANE_SECRET_KEY)."""
    monkeypatch.delenv(sealing.ENV_VAR, raising=False)
    previous = sealing._ring
    ring = sealing.load_ring(tmp_path)
    sealing.install(ring)
    yield ring
    sealing.install(previous)


async def _dump(pool: asyncpg.Pool) -> str:
    """Every column of every credential as text, as pg_dump would show it."""
    rows = await pool.fetch("SELECT c::text AS t FROM syncplane.credentials c")
    return "\n".join(r["t"] for r in rows)


async def test_a_stored_credential_shows_names_but_no_secret(pool: asyncpg.Pool) -> None:
    cid = await credentials.insert_credential(pool, SECRETS)
    dump = await _dump(pool)
    for plain in PLAINTEXTS:
        assert plain not in dump
    row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
    assert row["secrets"] == {} and row["key_id"] == sealing.ring().primary.id
    assert await credentials.secret_keys(pool, cid) == sorted(SECRETS)
    assert credentials.open_row(cid, row["key_id"], row["sealed"], row["secrets"]) == SECRETS


async def test_merge_keeps_the_other_secrets_sealed(pool: asyncpg.Pool) -> None:
    cid = await credentials.insert_credential(pool, {"a": "1", "b": "2"})
    async with pool.acquire() as conn:
        await credentials.merge_credential(conn, cid, {"c": "3-secret"}, ["a"])
    row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
    assert "3-secret" not in await _dump(pool)
    assert credentials.open_row(cid, row["key_id"], row["sealed"], row["secrets"]) == {"b": "2", "c": "3-secret"}
    assert list(row["names"]) == ["b", "c"]


async def test_clear_rows_from_before_sealing_are_sealed_once(pool: asyncpg.Pool) -> None:
    cid = uuid.uuid4()
    await pool.execute(
        "INSERT INTO syncplane.credentials (id, secrets, names) VALUES ($1, $2, '{password}')", cid, {"password": "old-clear-pw"}
    )
    assert "old-clear-pw" in await _dump(pool)
    assert await credentials.seal_clear_rows(pool) == 1
    assert await credentials.seal_clear_rows(pool) == 0
    assert "old-clear-pw" not in await _dump(pool)
    row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
    assert credentials.open_row(cid, row["key_id"], row["sealed"], row["secrets"]) == {"password": "old-clear-pw"}


async def test_a_ciphertext_copied_onto_another_row_does_not_open(pool: asyncpg.Pool) -> None:
    a = await credentials.insert_credential(pool, {"password": "a-pw"})
    b = await credentials.insert_credential(pool, {"password": "b-pw"})
    await pool.execute(
        "UPDATE syncplane.credentials SET sealed = (SELECT sealed FROM syncplane.credentials WHERE id = $1) WHERE id = $2", a, b
    )
    row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", b)
    with pytest.raises(SealError):
        credentials.open_row(b, row["key_id"], row["sealed"], row["secrets"])


async def test_the_claim_hands_over_opened_secrets_by_role(pool: asyncpg.Pool) -> None:
    source = await credentials.insert_credential(pool, {"password": "src-pw"})
    claimed = json.loads(await pool.fetchval(
        "SELECT jsonb_build_object('source', jsonb_build_object('id', c.id, 'keyId', c.key_id, "
        "'sealed', encode(c.sealed, 'hex'), 'clear', c.secrets))::text FROM syncplane.credentials c WHERE id = $1",
        source,
    ))
    assert credentials.open_roles(claimed) == {"source": {"password": "src-pw"}}


async def test_the_key_file_is_made_owner_only_at_first_start(tmp_path: Path, file_ring: KeyRing) -> None:
    path = tmp_path / KEY_FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert [k.id for k in parse(path.read_text(), "file")] == [file_ring.primary.id]


async def test_rotation_reseals_every_row_and_a_running_ring_keeps_opening(
    pool: asyncpg.Pool, tmp_path: Path, file_ring: KeyRing
) -> None:
    old_id = file_ring.primary.id
    ids = [await credentials.insert_credential(pool, {"password": f"pw-{i}"}) for i in range(250)]
    clear = uuid.uuid4()
    await pool.execute("INSERT INTO syncplane.credentials (id, secrets) VALUES ($1, $2)", clear, {"password": "clear-pw"})
    # A second server on the same data dir, started before the rotation.
    running = KeyRing(FileKeys(tmp_path / KEY_FILE_NAME))

    rotation = await rotate(pool, tmp_path)

    assert rotation.dropped_key_ids == [old_id] and rotation.new_key_id != old_id
    assert rotation.resealed == len(ids) + 1
    assert await pool.fetchval("SELECT count(*) FROM syncplane.credentials WHERE key_id IS DISTINCT FROM $1",
                               rotation.new_key_id) == 0
    assert [k.id for k in parse((tmp_path / KEY_FILE_NAME).read_text(), "file")] == [rotation.new_key_id]
    assert (tmp_path / KEY_FILE_NAME).stat().st_mode & 0o777 == 0o600
    dump = await _dump(pool)
    assert "pw-7" not in dump and "clear-pw" not in dump
    # The running ring meets a key it does not hold, re-reads the file and opens.
    assert running.key_ids == [old_id]
    for cid, expected in ((ids[0], "pw-0"), (ids[-1], "pw-249"), (clear, "clear-pw")):
        row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
        assert running.open(cid, row["key_id"], bytes(row["sealed"])) == {"password": expected}
    # And what it seals from now on is under the new key.
    assert running.seal(uuid.uuid4(), {"x": "y"})[0] == rotation.new_key_id


async def test_rotation_to_a_given_key(pool: asyncpg.Pool, tmp_path: Path, file_ring: KeyRing) -> None:
    cid = await credentials.insert_credential(pool, {"token": "t-1"})
    raw = new_key()
    rotation = await rotate(pool, tmp_path, raw)
    assert rotation.new_key_id == parse(base64.b64encode(raw).decode(), "k")[0].id
    row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
    assert row["key_id"] == rotation.new_key_id
    assert credentials.open_row(cid, row["key_id"], row["sealed"], row["secrets"]) == {"token": "t-1"}


async def test_secrets_stored_in_readable_config_before_are_moved_once(pool: asyncpg.Pool) -> None:
    credential = await credentials.insert_credential(pool, {"token": "kept"})
    connection = await syncs_db.insert_connection(
        pool, "old", "http_api",
        {"dsn": "postgresql://u:conn-pw@h/db", "headers": {"Authorization": "Bearer old-tok", "Accept": "*/*"}},
        credential, None,
    )
    sync_id = uuid.uuid4()
    await pool.execute(
        "INSERT INTO syncplane.syncs (id, connection_id, name, provider_key, destination_config)"
        " VALUES ($1, $2, 'old', 'http_api', $3)",
        sync_id, connection.id, {"dsn": "postgresql://u@h/wh?password=dest-pw", "schema": "raw"},
    )
    definition = await pool.fetchval("SELECT id FROM syncplane.idm_connector_definitions WHERE connector = 'sql'")
    cs_credential = await credentials.insert_credential(pool, {})
    cs_id = await identity_db.insert_connected_system(
        pool, "hr", None, definition, {"dsn": "postgresql://idm:idm-pw@h/hr", "table": "public.people"}, cs_credential
    )

    assert await move_stored_config_secrets(pool) == 3
    assert await move_stored_config_secrets(pool) == 0

    readable = "\n".join(r["t"] for r in await pool.fetch(
        "SELECT c.config::text AS t FROM syncplane.connections c UNION ALL SELECT s.destination_config::text FROM syncplane.syncs s"
        " UNION ALL SELECT i.settings::text FROM syncplane.idm_connected_systems i"
    )) + await _dump(pool)
    for plain in ("conn-pw", "old-tok", "dest-pw", "idm-pw"):
        assert plain not in readable

    async def opened(cid: uuid.UUID) -> dict[str, object]:
        row = await pool.fetchrow("SELECT * FROM syncplane.credentials WHERE id = $1", cid)
        return credentials.open_row(cid, row["key_id"], row["sealed"], row["secrets"])

    assert await opened(credential) == {"token": "kept", "password": "conn-pw", "header:Authorization": "Bearer old-tok"}
    sync = await pool.fetchrow("SELECT * FROM syncplane.syncs WHERE id = $1", sync_id)
    assert sync["destination_config"] == {"dsn": "postgresql://u@h/wh", "schema": "raw"}
    assert await opened(sync["credential_id"]) == {"password": "dest-pw"}
    assert await opened(cs_credential) == {"password": "idm-pw"}
    assert (await pool.fetchval("SELECT settings FROM syncplane.idm_connected_systems WHERE id = $1", cs_id))["dsn"] == (
        "postgresql://idm@h/hr"
    )
