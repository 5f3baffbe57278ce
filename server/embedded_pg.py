"""The embedded PostgreSQL (pgserver) under a data directory, with two planes.

Used when no database URL is given, so a fresh machine needs no PostgreSQL
installed. The server process owns it and stops it on exit.

Two planes, two roles: the control plane's database (`syncplane`) is owned by
and reachable only with the role `syncplane_control`; the data store
(`syncplane_data`, the database executors write into) only with the role
`syncplane_data`. Neither is a superuser. The superuser `postgres` is used
only here, to provision. Every connection needs a password (SCRAM) on the
socket and on TCP: pgserver's initdb trusts every local connection, so its
pg_hba.conf is replaced. The three passwords are generated at first start
into `<data dir>/pg-secrets/` (0700, files 0600).

A data dir from before (trust, one superuser, users' schemas in `syncplane`)
is upgraded on its next start: roles created, the control schema handed to the
control role, users' schemas moved into the data store, pg_hba.conf replaced.

pgserver itself never connects (pg_ctl -w watches postmaster.pid, and stop
sends a signal), so a second start on the same data dir works under SCRAM.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import asyncpg
import structlog

from syncplane.server.db import provision
from syncplane.server.db.dsn import with_database

log = structlog.get_logger(__name__)

ADMIN_ROLE = "postgres"
CONTROL_ROLE = "syncplane_control"
DATA_ROLE = "syncplane_data"
CONTROL_DB = "syncplane"
DATA_DB = "syncplane_data"
SECRETS_DIR = "pg-secrets"
#: The first line of a pg_hba.conf that syncplane wrote; anything else is replaced.
HBA_MARKER = "# syncplane: password (SCRAM) authentication for every connection"
HBA = f"""{HBA_MARKER}
# Written by syncplane at start; edits are kept as long as this first line stays.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  scram-sha-256
host    all       all   127.0.0.1/32   scram-sha-256
host    all       all   ::1/128        scram-sha-256
"""


@dataclass(frozen=True)
class Role:
    user: str
    password: str


@dataclass(frozen=True)
class Planes:
    """How to reach each plane of the embedded PostgreSQL."""

    socket_dir: str
    admin: Role
    control: Role
    data: Role
    #: Where pgserver listens on TCP instead of a socket (Windows); socket_dir is then the host.
    port: int | None = None

    def dsn(self, role: Role, database: str, *, password: bool = True) -> str:
        auth = quote(role.user, safe="") + (":" + quote(role.password, safe="") if password else "")
        if self.port is not None:
            return f"postgresql://{auth}@{self.socket_dir}:{self.port}/{quote(database, safe='')}"
        return f"postgresql://{auth}@/{quote(database, safe='')}?{urlencode({'host': self.socket_dir})}"

    @property
    def control_dsn(self) -> str:
        return self.dsn(self.control, CONTROL_DB)

    @property
    def data_dsn(self) -> str:
        return self.dsn(self.data, DATA_DB)

    @property
    def admin_dsn(self) -> str:
        return self.dsn(self.admin, "postgres")


def _password_file(folder: Path, role: str) -> str:
    """The role's password from its file, generated (0600) when missing."""
    path = folder / f"{role}.password"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        value = path.read_text().strip()
        if not value:
            raise RuntimeError(f"{path} is empty; restore it from a backup of the data dir") from None
        return value
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.path = (data_dir / "pg").resolve()
        self.secrets_dir = (data_dir / SECRETS_DIR).resolve()
        self._server = None

    def start(self) -> None:
        with warnings.catch_warnings():
            # platformdirs, imported by pgserver, warns when XDG_RUNTIME_DIR is unset (a root shell, a
            # container) and falls back to /tmp/runtime-<uid>; pgserver keeps nothing there that matters.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            import pgserver

            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._server = pgserver.get_server(self.path, cleanup_mode="stop")
        log.info("embedded_pg.started", data_dir=str(self.path))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded_pg.stopped")

    @property
    def hba_path(self) -> Path:
        return self.path / "pg_hba.conf"

    def hba_is_ours(self) -> bool:
        try:
            return self.hba_path.read_text().splitlines()[:1] == [HBA_MARKER]
        except FileNotFoundError:
            return False

    def _passwords(self) -> tuple[Role, Role, Role]:
        had_admin = (self.secrets_dir / f"{ADMIN_ROLE}.password").exists()
        if self.hba_is_ours() and not had_admin:
            raise RuntimeError(
                f"{self.hba_path} requires passwords but {self.secrets_dir}/{ADMIN_ROLE}.password is missing:"
                f" restore {self.secrets_dir} from a backup of the data dir (or start from an empty data dir)"
            )
        self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.secrets_dir.chmod(0o700)
        return tuple(  # type: ignore[return-value]  # exactly three roles, built from a 3-tuple
            Role(role, _password_file(self.secrets_dir, role)) for role in (ADMIN_ROLE, CONTROL_ROLE, DATA_ROLE)
        )

    def _write_hba(self) -> None:
        """Replaces pg_hba.conf, owned (like all of PGDATA) by whoever runs postgres."""
        owner = self.path.stat()
        tmp = self.hba_path.with_name("pg_hba.conf.syncplane")
        tmp.write_text(HBA)
        tmp.chmod(0o600)
        if os.geteuid() == 0:
            os.chown(tmp, owner.st_uid, owner.st_gid)
        tmp.replace(self.hba_path)

    async def provision(self) -> Planes:
        """Roles, databases and SCRAM; idempotent, and upgrades a data dir from before."""
        assert self._server is not None, "start() first"
        admin, control, data = self._passwords()
        info = self._server.get_postmaster_info()
        if info.socket_dir is not None:
            planes = Planes(str(info.socket_dir), admin, control, data)
        else:
            planes = Planes(str(info.hostname), admin, control, data, port=info.port)
        upgrading = not self.hba_is_ours()
        conn = await asyncpg.connect(planes.admin_dsn)
        try:
            await provision.set_superuser_password(conn, ADMIN_ROLE, admin.password)
            await provision.ensure_role(conn, CONTROL_ROLE, control.password)
            await provision.ensure_role(conn, DATA_ROLE, data.password)
            await provision.ensure_database(conn, CONTROL_DB, CONTROL_ROLE)
            await provision.ensure_database(conn, DATA_DB, DATA_ROLE)
            await provision.lock_database(conn, "postgres")
        finally:
            await conn.close()
        await self._upgrade_control_db(planes)
        if upgrading:
            self._write_hba()
            conn = await asyncpg.connect(planes.admin_dsn)
            try:
                await provision.require_scram(conn)
            finally:
                await conn.close()
            log.info("embedded_pg.scram_required", hba=str(self.hba_path))
        return planes

    async def _upgrade_control_db(self, planes: Planes) -> None:
        """A data dir from before kept everything in `syncplane`: the control schema goes to the
        control role, every other schema moves to the data store. A no-op once done."""
        conn = await asyncpg.connect(planes.dsn(planes.admin, CONTROL_DB))
        try:
            await provision.hand_over_schema(conn, "syncplane", CONTROL_ROLE)
            moving = await provision.user_schemas(conn, ["syncplane"])
            if not moving:
                return
            log.warning("embedded_pg.moving_schemas", schemas=moving, to=DATA_DB)
            self._copy_schemas(planes, moving)
            for schema in moving:
                await provision.drop_schema(conn, schema)
            log.info("embedded_pg.schemas_moved", schemas=moving, to=DATA_DB)
        finally:
            await conn.close()

    @staticmethod
    def _where(planes: Planes) -> list[str]:
        return ["-h", planes.socket_dir, *(["-p", str(planes.port)] if planes.port is not None else [])]

    def _copy_schemas(self, planes: Planes, schemas: list[str]) -> None:
        """pg_dump | psql, restored by the data role (so it owns what it gets), in one transaction."""
        from pgserver._commands import POSTGRES_BIN_PATH

        selected = [f"--schema={s}" for s in schemas]
        # Passwords go in the environment of these two commands only, never on a command line.
        dump = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_dump"), "--no-owner", "--no-privileges", *selected,
             *self._where(planes), "-U", ADMIN_ROLE, "-d", CONTROL_DB],
            env={**os.environ, "PGPASSWORD": planes.admin.password}, capture_output=True, check=False,
        )
        if dump.returncode != 0:
            raise RuntimeError(f"moving {schemas} to {DATA_DB}: pg_dump failed: {dump.stderr.decode(errors='replace')}")
        # Dumping `public` re-creates it: the data store already has one.
        script = dump.stdout.replace(b"\nCREATE SCHEMA public;\n", b"\n")
        restore = subprocess.run(
            [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
             *self._where(planes), "-U", DATA_ROLE, "-d", DATA_DB],
            input=script, env={**os.environ, "PGPASSWORD": planes.data.password}, capture_output=True, check=False,
        )
        if restore.returncode != 0:
            raise RuntimeError(
                f"moving {schemas} to {DATA_DB}: restoring failed (nothing was dropped from {CONTROL_DB}):"
                f" {restore.stderr.decode(errors='replace')}"
            )


async def ensure_data_database(planes: Planes, name: str) -> str:
    """A database of the data role beside the data store (the demo's); what a data dir from
    before created there as the superuser is handed to the data role. Returns its DSN
    without the password."""
    await ensure_database(planes.admin_dsn, name, owner=DATA_ROLE)
    conn = await asyncpg.connect(planes.dsn(planes.admin, name))
    try:
        for schema in await provision.user_schemas(conn, []):
            await provision.hand_over_schema(conn, schema, DATA_ROLE)
    finally:
        await conn.close()
    return planes.dsn(planes.data, name, password=False)


async def ensure_database(root_dsn: str, name: str, *, password: str | None = None, owner: str | None = None) -> str:
    """Creates database `name` if missing (owned by `owner` when given); returns its DSN
    (without the password, which stays the caller's to pass on)."""
    conn = await asyncpg.connect(root_dsn, password=password)
    try:
        if owner is not None:
            await provision.ensure_database(conn, name, owner)
        else:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                except asyncpg.DuplicateDatabaseError:
                    pass
    finally:
        await conn.close()
    return with_database(root_dsn, name)
