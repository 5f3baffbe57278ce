"""A real OpenLDAP server for the LDAP connector's tests.

`slapd` (Debian's package; `scripts/install_slapd.sh`, run by `make test`)
starts in the foreground on a free loopback port with a generated slapd.conf
and an mdb database in a temporary directory, holding dc=example,dc=org with
ou=people and ou=groups. No slapd is a failure with the reason, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from ldap3 import Connection, Server

BASE = "dc=example,dc=org"
ADMIN = f"cn=admin,{BASE}"
PASSWORD = "secret"
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")


@dataclass(frozen=True)
class Slapd:
    host: str
    port: int

    def connection(self) -> Connection:
        conn = Connection(Server(self.host, port=self.port), user=ADMIN, password=PASSWORD, auto_bind=True)
        return conn

    def settings(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "bindDn": ADMIN, "objectClasses": {"person": "inetOrgPerson"},
                "anchorAttribute": "entryUUID", "rdnAttribute": "uid"}


def _binary() -> str:
    path = shutil.which("slapd") or ("/usr/sbin/slapd" if os.path.exists("/usr/sbin/slapd") else None)
    if path is None:
        pytest.fail("slapd is not installed: run scripts/install_slapd.sh (make test does) — the LDAP tests need a real server",
                    pytrace=False)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(directory: str) -> str:
    includes = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS)
    return f"""{includes}
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {directory}/slapd.pid
sizelimit unlimited
database mdb
suffix "{BASE}"
rootdn "{ADMIN}"
rootpw {PASSWORD}
directory {directory}/db
maxsize 268435456
index objectClass eq
index entryUUID eq
"""


def _seed(server: Slapd) -> None:
    conn = server.connection()
    conn.add(BASE, ["dcObject", "organization"], {"dc": "example", "o": "Example"})
    for ou in ("people", "groups"):
        conn.add(f"ou={ou},{BASE}", "organizationalUnit", {"ou": ou})
    conn.unbind()


@pytest.fixture
def slapd() -> Iterator[Slapd]:
    binary = _binary()
    directory = tempfile.mkdtemp(prefix="syncplane-slapd-")
    os.makedirs(f"{directory}/db")
    with open(f"{directory}/slapd.conf", "w") as handle:
        handle.write(_config(directory))
    port = _free_port()
    process = subprocess.Popen(
        [binary, "-h", f"ldap://127.0.0.1:{port}/", "-f", f"{directory}/slapd.conf", "-d", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    server = Slapd("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                pytest.fail(f"slapd exited with {process.returncode}: {output[-2000:]}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("slapd did not listen within 15 s", pytrace=False)
                time.sleep(0.05)
        _seed(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
