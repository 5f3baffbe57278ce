"""Real file servers for the `sftp` and `s3` source tests, each its own process
on a loopback port (no mocks):

- `SftpServer`: asyncssh's SSH/SFTP server (`tests/integration/sftp_server.py`)
  with a generated host key, rooted in a temporary directory, accepting one
  user by password or by a generated client key. Tests put files straight
  into its root directory (the server's disk) and set their times with
  `os.utime`.
- `S3Server`: moto's standalone server (`python -m moto.server`), a real HTTP
  server speaking the S3 API, with request signing enforced: an IAM user and
  its access key are made first (moto lets the first requests through
  unauthenticated, `INITIAL_NO_AUTH_ACTION_COUNT`), and every later request
  must be signed with that key.

Both are started once per test session; each test works in a directory or a
bucket of its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import botocore.session
import pytest
from aiobotocore.session import get_session
from botocore.config import Config

SFTP_USER = "sync"
SFTP_PASSWORD = "sftp-pa55word-never-logged"
S3_REGION = "us-east-1"
#: Requests moto serves before it enforces signatures: create the user, its policy, its key.
_S3_SETUP_REQUESTS = 3


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class SftpServer:
    """A running SFTP server (see the module docstring).

    Attributes:
        port: its loopback port.
        root: the directory it serves as "/".
        host_key: its public host key, OpenSSH format.
        client_key: a private key (OpenSSH format) it accepts for SFTP_USER.
    """

    port: int
    root: Path
    host_key: str
    client_key: str
    process: subprocess.Popen[bytes]

    def connection_config(self, **extra: Any) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": self.port, "username": SFTP_USER, "hostKey": self.host_key, **extra}

    def new_dir(self) -> Path:
        """A fresh, empty directory under the root (one per test)."""
        path = self.root / f"t{uuid.uuid4().hex[:12]}"
        path.mkdir()
        return path


def start_sftp_server(workdir: Path, root: Path | None = None) -> SftpServer:
    """An SFTP server serving `root` (default: a new `workdir/root`); its keys are made in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    if root is None:
        root = workdir / "root"
        root.mkdir()
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(str(workdir / "host_key"))
    client_key.write_public_key(str(workdir / "authorized_keys"))
    process = subprocess.Popen(
        [
            sys.executable, "-m", "tests.integration.sftp_server", "--root", str(root),
            "--host-key", str(workdir / "host_key"), "--user", SFTP_USER,
            "--authorized-keys", str(workdir / "authorized_keys"),
        ],
        stdout=subprocess.PIPE,
        env={**os.environ, "SFTP_SERVER_PASSWORD": SFTP_PASSWORD},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("PORT "):
        _stop(process)
        raise RuntimeError(f"the SFTP server did not start: {line!r}")
    return SftpServer(
        port=int(line.split()[1]),
        root=root,
        host_key=host_key.export_public_key().decode().strip(),
        client_key=client_key.export_private_key().decode(),
        process=process,
    )


@dataclass
class S3Server:
    """A running moto server (see the module docstring).

    Attributes:
        endpoint: its URL.
        access_key_id, secret_access_key: the one key it accepts.
    """

    endpoint: str
    access_key_id: str
    secret_access_key: str
    process: subprocess.Popen[bytes]

    def connection_config(self, bucket: str, **extra: Any) -> dict[str, Any]:
        return {"bucket": bucket, "endpointUrl": self.endpoint, "region": S3_REGION, "addressingStyle": "path", **extra}

    @property
    def secrets(self) -> dict[str, str]:
        return {"accessKeyId": self.access_key_id, "secretAccessKey": self.secret_access_key}

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        async with get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=S3_REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}),
        ) as s3:
            yield s3

    async def new_bucket(self) -> str:
        name = f"t{uuid.uuid4().hex[:12]}"
        async with self.client() as s3:
            await s3.create_bucket(Bucket=name)
        return name

    async def put(self, bucket: str, key: str, body: bytes) -> None:
        async with self.client() as s3:
            await s3.put_object(Bucket=bucket, Key=key, Body=body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_s3_user(endpoint: str) -> tuple[str, str]:
    """The IAM user (allowed all of S3) and access key the server will demand.

    botocore's synchronous client: a session fixture runs outside the event loop."""
    iam = botocore.session.get_session().create_client(
        "iam", endpoint_url=endpoint, region_name=S3_REGION, aws_access_key_id="setup", aws_secret_access_key="setup"
    )
    try:
        iam.create_user(UserName="syncplane")
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="syncplane", PolicyName="s3", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="syncplane")["AccessKey"]
    finally:
        iam.close()
    return key["AccessKeyId"], key["SecretAccessKey"]


def start_s3_server(workdir: Path) -> S3Server:
    port = _free_port()
    log = open(workdir / "moto.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(_S3_SETUP_REQUESTS)},
    )
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                raise RuntimeError(f"moto did not start: {(workdir / 'moto.log').read_text()[-2000:]}") from None
            time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    key_id, secret = _make_s3_user(endpoint)
    return S3Server(endpoint=endpoint, access_key_id=key_id, secret_access_key=secret, process=process)


@pytest.fixture(scope="session")
def sftp_server() -> Iterator[SftpServer]:
    with tempfile.TemporaryDirectory(prefix="syncplane-sftp-") as workdir:
        server = start_sftp_server(Path(workdir))
        try:
            yield server
        finally:
            _stop(server.process)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with tempfile.TemporaryDirectory(prefix="syncplane-s3-") as workdir:
        server = start_s3_server(Path(workdir))
        try:
            yield server
        finally:
            _stop(server.process)


def write_file(path: Path, text: str, mtime: float | None = None) -> Path:
    """Writes a file on the SFTP server's disk, with the given modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path
