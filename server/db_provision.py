"""`syncplane db provision`: the two planes on a PostgreSQL of your own.

With a superuser (or CREATEROLE + CREATEDB) URL, creates the control role and
database and the data role and database, each reachable only by its owner,
with new random passwords, and writes the two URLs into files readable by the
owner only, for `syncplane server --database-url "$(cat …)" --data-store-url
"$(cat …)"`. Running it again keeps the roles and databases and sets new
passwords (rotation). The admin URL is used for this command only.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import structlog

from syncplane.server.db import provision

log = structlog.get_logger(__name__)


def role_url(admin_url: str, user: str, password: str, database: str) -> str:
    """The admin URL's server and options, another user, password and database."""
    parts = urlsplit(admin_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith(("password=", "user=")))
    return urlunsplit((parts.scheme, netloc, "/" + database, query, ""))


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    path.chmod(0o600)


async def provision_planes(
    admin_url: str, out_dir: Path, *, control_role: str = "syncplane_control", control_db: str = "syncplane",
    data_role: str = "syncplane_data", data_db: str = "syncplane_data",
) -> tuple[Path, Path]:
    """Creates (or repairs) both planes; returns the files holding the control and data URLs."""
    passwords = {control_role: secrets.token_urlsafe(32), data_role: secrets.token_urlsafe(32)}
    conn = await asyncpg.connect(admin_url)
    try:
        for role, password in passwords.items():
            await provision.ensure_role(conn, role, password)
        await provision.ensure_database(conn, control_db, control_role)
        await provision.ensure_database(conn, data_db, data_role)
    finally:
        await conn.close()
    control = out_dir / "control-database.url"
    data = out_dir / "data-store.url"
    _write_private(control, role_url(admin_url, control_role, passwords[control_role], control_db))
    _write_private(data, role_url(admin_url, data_role, passwords[data_role], data_db))
    log.info("db.provisioned", control_db=control_db, control_role=control_role, data_db=data_db, data_role=data_role)
    return control, data


async def provision_command(admin_url: str | None, out_dir: Path) -> int:
    if not admin_url:
        print("syncplane db provision: --admin-url is required", file=sys.stderr)
        return 2
    control, data = await provision_planes(admin_url, out_dir)
    print(f"control plane URL in {control}, data store URL in {data} (mode 0600). Start the server with:")
    print(f'  syncplane server --database-url "$(cat {control})" --data-store-url "$(cat {data})"')
    return 0
