"""`syncplane secrets rotate-key`: every stored secret re-encrypted under a new key,
with servers running.

With the data dir's key file: the new key is put first in the file (servers
notice the file changed before their next seal, and re-read it when they meet
a ciphertext under a key they do not hold), every row is sealed anew under it,
each in its own short statement that checks the row still holds what was read,
pass after pass until none is left under an old key; then the old keys are
dropped from the file and one last pass catches a row a server sealed with the
old key while the file changed under it.

With SYNCPLANE_SECRET_KEY the operator owns the keys: put the new key first in
it on every server (a rolling restart), run rotate-key, then remove the old key.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import structlog

from syncplane.server.db import credentials
from syncplane.server.sealing.keys import (
    ENV_VAR,
    KEY_FILE_NAME,
    FileKeys,
    Key,
    KeyConfigError,
    StaticKeys,
    decode,
    key_id,
    new_key,
    parse,
    write_key_file,
)
from syncplane.server.sealing.ring import KeyRing

log = structlog.get_logger(__name__)

#: A writer sealing under an old key faster than passes reseal is a bug, not a race: stop there.
MAX_PASSES = 50


@dataclass
class Rotation:
    new_key_id: str
    dropped_key_ids: list[str] = field(default_factory=list)
    resealed: int = 0
    passes: int = 0


async def reseal_all(db: asyncpg.Connection | asyncpg.Pool, ring: KeyRing, rotation: Rotation) -> None:
    """Passes until no credential is left under another key than the ring's primary."""
    for _ in range(MAX_PASSES):
        report = await credentials.reseal_pass(db, ring)
        rotation.resealed += report.resealed
        rotation.passes += 1
        log.info("secrets.reseal_pass", resealed=report.resealed, raced=report.raced)
        if await credentials.count_not_under(db, ring.primary.id) == 0:
            return
    raise RuntimeError(f"credentials still sealed under an old key after {MAX_PASSES} passes")


async def rotate(db: asyncpg.Connection | asyncpg.Pool, data_dir: Path, new: bytes | None = None) -> Rotation:
    env = os.environ.get(ENV_VAR)
    if env:
        if new is not None:
            raise KeyConfigError(
                f"{ENV_VAR} is set: put the new key first in it on every server, then run rotate-key without --new-key-file"
            )
        keys = parse(env, ENV_VAR)
        rotation = Rotation(keys[0].id)
        await reseal_all(db, KeyRing(StaticKeys(keys)), rotation)
        return rotation
    path = data_dir / KEY_FILE_NAME
    old = FileKeys(path).load()
    raw = new if new is not None else new_key()
    fresh = Key(key_id(raw), raw)
    if any(k.id == fresh.id for k in old):
        raise KeyConfigError(f"{path}: the new key is already held")
    rotation = Rotation(fresh.id, [k.id for k in old])
    ring = KeyRing(StaticKeys([fresh, *old]))
    write_key_file(path, [fresh, *old])
    log.info("secrets.key_added", key_id=fresh.id, path=str(path))
    await reseal_all(db, ring, rotation)
    write_key_file(path, [fresh])
    log.info("secrets.old_keys_dropped", key_ids=rotation.dropped_key_ids)
    # This process still holds the old keys: a row a server sealed with one just
    # before it saw the new file is resealed here.
    await reseal_all(db, ring, rotation)
    return rotation


async def rotate_key_command(database_url: str | None, data_dir: Path, new_key_file: Path | None) -> int:
    from syncplane.server.db.pool import connect

    try:
        new = decode(new_key_file.read_text(), str(new_key_file)).raw if new_key_file else None
    except (OSError, KeyConfigError) as exc:
        print(f"syncplane secrets rotate-key: {exc}", file=sys.stderr)
        return 2
    pg = None
    if not database_url:
        if not (data_dir / "pg").exists():
            print(
                "syncplane secrets rotate-key: --database-url or SYNCPLANE_DATABASE_URL is required "
                f"(or --data-dir of a `syncplane up` with its embedded PostgreSQL; {data_dir / 'pg'} does not exist)",
                file=sys.stderr,
            )
            return 2
        from syncplane.server.embedded_pg import EmbeddedPostgres

        pg = EmbeddedPostgres(data_dir)
        pg.start()
        database_url = (await pg.provision()).control_dsn
    try:
        conn = await connect(database_url)
        try:
            rotation = await rotate(conn, data_dir, new)
        finally:
            await conn.close()
    except KeyConfigError as exc:
        print(f"syncplane secrets rotate-key: {exc}", file=sys.stderr)
        return 2
    finally:
        if pg is not None:
            pg.stop()
    dropped = ", ".join(rotation.dropped_key_ids) or "none (SYNCPLANE_SECRET_KEY: remove the old key from it yourself)"
    print(
        f"secrets rotated: key {rotation.new_key_id}; {rotation.resealed} credential(s) re-encrypted "
        f"in {rotation.passes} pass(es); old key(s) dropped: {dropped}",
        flush=True,
    )
    return 0
