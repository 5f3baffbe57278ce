"""Fixtures shared by the whole suite: one real PostgreSQL per test session.

The server is pgserver's embedded PostgreSQL unless SYNCPLANE_TEST_DATABASE_URL
names another one (it must allow CREATE DATABASE).
"""

from __future__ import annotations

import base64
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from syncplane.server.db.dsn import with_database

# The egress policy refuses loopback by default; the suite's fake HTTP, SFTP,
# S3 and LDAP servers (and the test PostgreSQL) listen on loopback. Set at
# import, so every server and executor subprocess inherits it.
os.environ.setdefault("SYNCPLANE_EGRESS_ALLOW", "127.0.0.0/8,::1,localhost")
# Stored secrets are sealed: every server of the session (in process or not,
# replicas on one database included) seals and opens with this one key. A test
# of the key file starts its server with SYNCPLANE_SECRET_KEY="" and a data dir.
os.environ.setdefault("SYNCPLANE_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture(scope="session")
def pg_root_dsn() -> Iterator[str]:
    url = os.environ.get("SYNCPLANE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pgserver

    # Not pytest's tmp dir: pgserver runs postgres as its own system user
    # when we are root, and that user must reach the socket directory.
    data_dir = tempfile.mkdtemp(prefix="syncplane-test-pg-")
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


async def _create_database(root_dsn: str) -> str:
    name = "t_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(root_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_database(root_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(root_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def fresh_dsn(pg_root_dsn: str) -> AsyncIterator[str]:
    """A DSN of a new, empty database, dropped after the test."""
    name = await _create_database(pg_root_dsn)
    try:
        yield with_database(pg_root_dsn, name)
    finally:
        await _drop_database(pg_root_dsn, name)


@pytest.fixture(scope="module")
async def module_dsn(pg_root_dsn: str) -> AsyncIterator[str]:
    """A new, empty database shared by one test module (its one stack), dropped after it."""
    name = await _create_database(pg_root_dsn)
    try:
        yield with_database(pg_root_dsn, name)
    finally:
        await _drop_database(pg_root_dsn, name)


@pytest.fixture
async def second_dsn(pg_root_dsn: str) -> AsyncIterator[str]:
    """Another new database on the same server (e.g. a source beside a destination)."""
    name = await _create_database(pg_root_dsn)
    try:
        yield with_database(pg_root_dsn, name)
    finally:
        await _drop_database(pg_root_dsn, name)
