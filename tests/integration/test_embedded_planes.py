"""The embedded PostgreSQL of `syncplane up`: two roles, neither a superuser,
each confined to its own database, SCRAM everywhere, passwords in 0600 files;
a second start on the same data dir works, and a data dir from before the two
roles (trust, one superuser, users' schemas in `syncplane`) is upgraded."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pgserver
import pytest

from syncplane.server.db.migrate import migrate
from syncplane.server.embedded_pg import (
    ADMIN_ROLE,
    CONTROL_DB,
    CONTROL_ROLE,
    DATA_DB,
    DATA_ROLE,
    SECRETS_DIR,
    EmbeddedPostgres,
    Planes,
    ensure_data_database,
)
from syncplane.server.planes import warn_if_shared


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not pytest's tmp dir: pgserver runs postgres as its own system user when we are root,
    # and that user must reach the directory.
    path = Path(tempfile.mkdtemp(prefix="syncplane-test-planes-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _refused(dsn: str, **kw: object) -> BaseException:
    with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError,
                        asyncpg.InsufficientPrivilegeError)) as info:
        conn = await asyncpg.connect(dsn, **kw)
        await conn.close()
    return info.value


async def _check_planes(planes: Planes) -> None:
    for role, database in ((planes.control, CONTROL_DB), (planes.data, DATA_DB)):
        conn = await asyncpg.connect(planes.dsn(role, database))
        try:
            row = await conn.fetchrow(
                "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
            assert tuple(row) == (role.user, False, False, False)
            assert await conn.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database) == role.user
        finally:
            await conn.close()
    # The data role (what executors get) cannot reach the control plane, nor the maintenance DB.
    err = await _refused(planes.dsn(planes.data, CONTROL_DB))
    assert isinstance(err, asyncpg.InsufficientPrivilegeError)
    await _refused(planes.dsn(planes.data, "postgres"))
    await _refused(planes.dsn(planes.control, DATA_DB))
    # SCRAM on the socket: no password, or a wrong one, is refused for every role, the superuser included.
    for role in (ADMIN_ROLE, CONTROL_ROLE, DATA_ROLE):
        no_password = f"postgresql://{role}@/{CONTROL_DB}?host={planes.socket_dir}"
        assert isinstance(await _refused(no_password, password=""), asyncpg.InvalidPasswordError)
        assert isinstance(await _refused(no_password, password="guess"), asyncpg.InvalidPasswordError)
    conn = await asyncpg.connect(planes.admin_dsn)
    try:
        assert await conn.fetchval("SHOW password_encryption") == "scram-sha-256"
        methods = {r["auth_method"] for r in await conn.fetch("SELECT auth_method FROM pg_hba_file_rules")}
        assert methods == {"scram-sha-256"}
        verifiers = await conn.fetch(
            "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1::text[])", [ADMIN_ROLE, CONTROL_ROLE, DATA_ROLE]
        )
        assert len(verifiers) == 3 and all(r["rolpassword"].startswith("SCRAM-SHA-256$") for r in verifiers)
    finally:
        await conn.close()


def _assert_private(data_dir: Path) -> None:
    folder = data_dir / SECRETS_DIR
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == sorted(f"{r}.password" for r in (ADMIN_ROLE, CONTROL_ROLE, DATA_ROLE))
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert len(f.read_text().strip()) >= 32


async def test_two_roles_scram_and_a_second_start(data_dir: Path) -> None:
    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        planes = await pg.provision()
        await _check_planes(planes)
        _assert_private(data_dir)
        conn = await asyncpg.connect(planes.control_dsn)
        try:
            await migrate(conn)
            # What `syncplane up` runs with raises no warning; a superuser on one database would.
            assert await warn_if_shared(conn, planes.control_dsn, planes.data_dsn) == []
        finally:
            await conn.close()
        conn = await asyncpg.connect(planes.admin_dsn)
        try:
            assert await warn_if_shared(conn, planes.admin_dsn, planes.admin_dsn) == [
                "planes.control_role_is_superuser", "planes.data_store_is_control_db"]
        finally:
            await conn.close()
        first = planes
    finally:
        pg.stop()
    # A second start on the same data dir: same passwords, same roles, still SCRAM.
    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        planes = await pg.provision()
        assert (planes.admin, planes.control, planes.data) == (first.admin, first.control, first.data)
        await _check_planes(planes)
        conn = await asyncpg.connect(planes.control_dsn)
        try:
            assert await migrate(conn) == []
        finally:
            await conn.close()
    finally:
        pg.stop()


async def test_a_data_dir_from_before_is_upgraded(data_dir: Path) -> None:
    # The old layout: pgserver's trust auth, one superuser, control plane and users' data in `syncplane`.
    (data_dir / "pg").mkdir()
    old = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    try:
        conn = await asyncpg.connect(old.get_uri())
        try:
            await conn.execute("CREATE DATABASE syncplane")
            await conn.execute("CREATE DATABASE syncplane_demo_source")
        finally:
            await conn.close()
        conn = await asyncpg.connect(old.get_uri("syncplane"))
        try:
            await migrate(conn)
            await conn.execute("""
                CREATE SCHEMA demo;
                CREATE TABLE demo.customers (id bigint PRIMARY KEY, name text);
                INSERT INTO demo.customers VALUES (1, 'Ada'), (2, 'Alan');
                CREATE TABLE public.orders (id serial PRIMARY KEY, total numeric);
                INSERT INTO public.orders (total) VALUES (9.5);
                CREATE SCHEMA idm;
                CREATE TABLE idm.mv_objects (id bigint GENERATED ALWAYS AS IDENTITY, v text);
                INSERT INTO idm.mv_objects (v) VALUES ('x');
            """)
            control_tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'syncplane'")
        finally:
            await conn.close()
        conn = await asyncpg.connect(old.get_uri("syncplane_demo_source"))
        try:
            await conn.execute("CREATE TABLE customers (id int PRIMARY KEY); INSERT INTO customers VALUES (1)")
        finally:
            await conn.close()
    finally:
        old.cleanup()

    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        planes = await pg.provision()
        await _check_planes(planes)
        _assert_private(data_dir)
        # The control plane keeps its tables, now the control role's; nothing else is left there.
        conn = await asyncpg.connect(planes.control_dsn)
        try:
            rows = await conn.fetch("SELECT schemaname, tableowner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
            assert len(rows) == control_tables
            assert {(r["schemaname"], r["tableowner"]) for r in rows} == {("syncplane", CONTROL_ROLE)}
            assert await migrate(conn) == []
        finally:
            await conn.close()
        # Users' schemas moved to the data store, with their rows, owned and writable by the data role.
        conn = await asyncpg.connect(planes.data_dsn)
        try:
            assert [tuple(r) for r in await conn.fetch("SELECT id, name FROM demo.customers ORDER BY id")] == [(1, "Ada"), (2, "Alan")]
            await conn.execute("INSERT INTO public.orders (total) VALUES (1); INSERT INTO idm.mv_objects (v) VALUES ('y')")
            assert await conn.fetchval("SELECT count(*) FROM public.orders") == 2
            owners = {r[0] for r in await conn.fetch(
                "SELECT tableowner FROM pg_tables WHERE schemaname IN ('demo', 'public', 'idm')")}
            assert owners == {DATA_ROLE}
        finally:
            await conn.close()
        # A database the demo made as the superuser is handed to the data role.
        dsn = await ensure_data_database(planes, "syncplane_demo_source")
        conn = await asyncpg.connect(dsn, password=planes.data.password)
        try:
            await conn.execute("INSERT INTO customers VALUES (2)")
        finally:
            await conn.close()
    finally:
        pg.stop()
    # And the upgraded data dir starts again.
    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        await _check_planes(await pg.provision())
    finally:
        pg.stop()


async def test_a_lost_password_file_is_a_clear_error(data_dir: Path) -> None:
    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        await pg.provision()
    finally:
        pg.stop()
    (data_dir / SECRETS_DIR / f"{ADMIN_ROLE}.password").unlink()
    pg = EmbeddedPostgres(data_dir)
    pg.start()
    try:
        with pytest.raises(RuntimeError, match=r"restore .*pg-secrets from a backup"):
            await pg.provision()
    finally:
        pg.stop()
