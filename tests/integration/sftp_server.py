"""A real SSH/SFTP server for the file-source tests, run as its own process.

    python -m tests.integration.sftp_server --root DIR --host-key FILE \
        --user NAME --authorized-keys FILE      (password in $SFTP_SERVER_PASSWORD)

It is asyncssh's SSH server with its SFTP subsystem chrooted to `--root`,
listening on a free loopback port; it accepts the one user with either the
password (taken from the environment, so it is not on a command line) or a
key from `--authorized-keys`, and prints `PORT <n>` on stdout
once it listens. It runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

import asyncssh


class _Server(asyncssh.SSHServer):
    """Password and public-key auth for one user."""

    def __init__(self, user: str, password: str) -> None:
        self._user = user
        self._password = password

    def begin_auth(self, username: str) -> bool:
        return True  # every user must authenticate

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == self._user and password == self._password

    def public_key_auth_supported(self) -> bool:
        return True


async def _serve(args: argparse.Namespace) -> None:
    root = args.root.encode()
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[args.host_key],
        authorized_client_keys=args.authorized_keys,
        server_factory=lambda: _Server(args.user, os.environ["SFTP_SERVER_PASSWORD"]),
        sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
        allow_scp=False,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--host-key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--authorized-keys", required=True)
    asyncio.run(_serve(parser.parse_args(argv if argv is not None else sys.argv[1:])))


if __name__ == "__main__":
    main()
