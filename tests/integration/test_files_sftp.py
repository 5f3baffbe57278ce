"""The `sftp` source against a real SSH/SFTP server process (asyncssh's, rooted
in a temporary directory) and a real PostgreSQL: CSV and JSON Lines, the three
loads, incremental by modification time, schema evolution, resume at a byte
offset, and authentication failures that never show a secret."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from syncplane.executor.connectors import files
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from tests.integration.file_servers import SFTP_PASSWORD, SftpServer, sftp_server, start_sftp_server, write_file  # noqa: F401
from tests.integration.file_support import csv_text, file_entity, jsonl_text, make_ctx, orders
from tests.integration.pg_support import RecordingReporter, close_pools, execute, fetch  # noqa: F401

COLUMNS = ["id", "customer", "total"]
ORDERS = {"orders": {"path": "orders/*.csv", "format": "csv", "csv": {"columnTypes": {"id": "integer"}}}}
DAY = 86_400
T0 = 1_700_000_000


def _ctx(server: SftpServer, root: Path, dsn: str, entities: list[dict[str, Any]], configs: dict[str, Any], **kw: Any) -> RunContext:
    secrets = kw.pop("secrets", {"password": SFTP_PASSWORD})
    config = server.connection_config(root=f"/{root.name}", **kw.pop("config", {}))
    return make_ctx("sftp", config, secrets, dsn, entities, configs, **kw)


async def _orders(dsn: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await fetch(dsn, "SELECT id, customer, total FROM orders ORDER BY id")]


def _expected(first: int, last: int) -> list[tuple[Any, ...]]:
    return [(r["id"], r["customer"], r["total"]) for r in orders(first, last)]


async def test_csv_files_upsert_in_modification_order(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    # The newer file (by time, not by name) holds the newer version of order 3.
    write_file(root / "orders/b.csv", csv_text(orders(1, 5), COLUMNS), T0)
    write_file(root / "orders/a.csv", csv_text([*orders(6, 8), {"id": 3, "customer": "moved, \"again\"\nline 2", "total": "9"}], COLUMNS), T0 + DAY)
    write_file(root / "orders/notes.txt", "not an order\n", T0)
    write_file(root / "orders/old/c.csv", csv_text(orders(50, 51), COLUMNS), T0)  # not matched: another directory

    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, page_size=2)
    await files.run_sftp(ctx)

    expected = _expected(1, 8)
    expected[2] = (3, 'moved, "again"\nline 2', "9")
    assert await _orders(fresh_dsn) == expected
    assert ctx.rows_read == 9 and ctx.rows_written == 9  # order 3 twice: inserted, then updated


async def test_private_key_auth_and_a_verified_host_key(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    write_file(root / "orders/a.csv", csv_text(orders(1, 3), COLUMNS), T0)
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, secrets={"privateKey": sftp_server.client_key})
    await files.run_sftp(ctx)
    assert await _orders(fresh_dsn) == _expected(1, 3)


async def test_a_wrong_password_fails_as_an_auth_error_without_the_secret(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, secrets={"password": "wr0ng-Secret-pw"})
    with pytest.raises(RunFailed) as failure:
        await files.run_sftp(ctx)
    assert failure.value.reason_code == "source_auth_error"
    assert "authentication failed" in str(failure.value) and "wr0ng-Secret-pw" not in str(failure.value)


async def test_a_host_key_that_does_not_match_refuses_the_server(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    other_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq1gvTmtR1aBNEd0BdsYp0uhLj6+XyAWXUYMiv5ABCD"
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, config={"hostKey": other_key})
    with pytest.raises(RunFailed, match="host key does not match") as failure:
        await files.run_sftp(ctx)
    assert failure.value.reason_code == "source_auth_error"


async def test_an_unreachable_server_is_a_resumable_failure(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, config={"port": 1, "timeoutSeconds": 3})
    with pytest.raises(RunFailed) as failure:
        await files.run_sftp(ctx)
    assert failure.value.reason_code == "source_unavailable"


async def test_incremental_reads_only_files_modified_since_the_last_run(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    a = write_file(root / "orders/a.csv", csv_text(orders(1, 4), COLUMNS), T0)
    write_file(root / "orders/b.csv", csv_text(orders(5, 7), COLUMNS), T0 + 10)
    write_file(root / "orders/c.csv", csv_text(orders(8, 9), COLUMNS), T0 + 20)
    first = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, run_mode="incremental")
    await files.run_sftp(first)
    assert first.rows_read == 9

    unchanged = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, run_mode="incremental")
    await files.run_sftp(unchanged)
    assert unchanged.rows_read == 2  # only c.csv, at the mark's own time (the closed boundary)

    write_file(root / "orders/d.csv", csv_text(orders(10, 11), COLUMNS), T0 + 30)  # added
    a.write_text(csv_text([{"id": 1, "customer": "renamed", "total": "0.50"}, *orders(2, 4)], COLUMNS))  # touched
    second = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS, run_mode="incremental")
    await files.run_sftp(second)

    assert second.rows_read == 2 + 2 + 4  # c (boundary), d (added), a (modified); never b
    expected = _expected(1, 11)
    expected[0] = (1, "renamed", "0.50")
    assert await _orders(fresh_dsn) == expected


async def test_incremental_append_loads_each_file_version_once(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    events = {"events": {"path": "events/**/*.jsonl", "format": "jsonl"}}
    entity = [file_entity("events", mode="append_event", pk=[])]
    write_file(root / "events/2024/01/a.jsonl", jsonl_text([{"id": 1}, {"id": 2}]), T0)
    write_file(root / "events/2024/01/b.jsonl", jsonl_text([{"id": 3}]), T0 + 5)
    first = _ctx(sftp_server, root, fresh_dsn, entity, events, run_mode="incremental")
    await files.run_sftp(first)

    again = _ctx(sftp_server, root, fresh_dsn, entity, events, run_mode="incremental")
    await files.run_sftp(again)
    assert again.rows_read == 0  # b.jsonl at the boundary was loaded already: skipped by path

    write_file(root / "events/2024/02/c.jsonl", jsonl_text([{"id": 4}]), T0 + 5)  # same second as the mark, new
    write_file(root / "events/b.jsonl.tmp", jsonl_text([{"id": 99}]), T0 + 9)  # not matched
    third = _ctx(sftp_server, root, fresh_dsn, entity, events, run_mode="incremental")
    await files.run_sftp(third)

    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM events ORDER BY id")]
    assert ids == [1, 2, 3, 4]


async def test_a_new_field_becomes_a_nullable_column(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    configs = {"people": {"path": "people/", "format": "jsonl"}}
    write_file(root / "people/1.jsonl", jsonl_text([{"id": 1, "name": "ann"}, {"id": 2, "name": "bob"}]), T0)
    write_file(root / "people/2.jsonl", jsonl_text([{"id": 3, "name": "cy", "email": "cy@x", "tags": ["a"]}]), T0 + 1)
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("people")], configs, page_size=2)
    await files.run_sftp(ctx)

    rows = await fetch(fresh_dsn, "SELECT id, name, email, tags::text FROM people ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "ann", None, None), (2, "bob", None, None), (3, "cy", "cy@x", '["a"]')]
    nullable = await fetch(
        fresh_dsn, "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'email'"
    )
    assert nullable[0][0] == "YES"


async def test_replace_swaps_in_exactly_the_files_rows(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    await execute(fresh_dsn, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total text)")
    await execute(fresh_dsn, "INSERT INTO orders VALUES (100, 'stale', '1'), (2, 'stale', '1')")
    write_file(root / "orders/a.csv", csv_text(orders(1, 3), COLUMNS), T0)
    ctx = _ctx(sftp_server, root, fresh_dsn, [file_entity("orders", mode="replace")], ORDERS, page_size=2)
    await files.run_sftp(ctx)
    assert await _orders(fresh_dsn) == _expected(1, 3)


async def test_file_columns_record_where_each_row_came_from(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    write_file(root / "orders/a.csv", csv_text(orders(1, 1), COLUMNS), T0)
    configs = {"orders": {**ORDERS["orders"], "fileColumns": True}}
    await files.run_sftp(_ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], configs))
    rows = await fetch(fresh_dsn, "SELECT id, _file_path, _file_modified_at FROM orders")
    assert [tuple(r) for r in rows] == [(1, "orders/a.csv", "2023-11-14T22:13:20.000000Z")]


async def test_a_resumed_attempt_continues_mid_file_at_the_committed_offset(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    write_file(root / "orders/a.csv", csv_text(orders(1, 25), COLUMNS), T0)
    write_file(root / "orders/b.csv", csv_text(orders(26, 40), COLUMNS), T0 + 1)
    entity = [file_entity("orders", mode="append_event", pk=[])]  # a record loaded twice shows as a duplicate id
    reporter = RecordingReporter(cancel_after_checkpoints=2)
    first = _ctx(sftp_server, root, fresh_dsn, entity, ORDERS, page_size=10, reporter=reporter)
    with pytest.raises(Cancelled):
        await files.run_sftp(first)
    committed = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM orders ORDER BY id")]
    assert committed == list(range(1, 21))
    position = reporter.checkpoints[-1]["position"]
    assert (position["file"]["path"], position["line"], position["complete"]) == ("orders/a.csv", 21, False)

    second = _ctx(sftp_server, root, fresh_dsn, entity, ORDERS, page_size=10, root_run_id=first.root_run_id, token=2, attempt=2)
    await files.run_sftp(second)

    ids = [r[0] for r in await fetch(fresh_dsn, "SELECT id FROM orders ORDER BY id")]
    assert ids == list(range(1, 41))
    assert second.rows_read == 20  # read from the offset, not from the start of a.csv


async def test_a_malformed_file_fails_naming_file_and_line(fresh_dsn: str, sftp_server: SftpServer) -> None:
    root = sftp_server.new_dir()
    write_file(root / "orders/a.csv", "id,customer,total\n1,x,2\n2,\"unclosed,3\n", T0)
    with pytest.raises(RunFailed, match="orders/a.csv line 3: a quoted field is not closed") as failure:
        await files.run_sftp(_ctx(sftp_server, root, fresh_dsn, [file_entity("orders")], ORDERS))
    assert failure.value.reason_code == "source_error"


class _KillServerAfter(RecordingReporter):
    """Kills the SFTP server process (SIGKILL) once `after` checkpoints were committed."""

    def __init__(self, server: SftpServer, after: int) -> None:
        super().__init__()
        self.server = server
        self.after = after

    def report_checkpoint(self, ctx: Any, state: dict[str, Any]) -> None:
        super().report_checkpoint(ctx, state)
        if len(self.checkpoints) == self.after:
            self.server.process.kill()
            self.server.process.wait()


async def test_a_server_lost_mid_file_is_resumable_and_the_resume_continues_at_the_offset(
    fresh_dsn: str, tmp_path: Path
) -> None:
    rows = 60_000
    first_server = start_sftp_server(tmp_path / "first")
    root = first_server.root / "data"
    write_file(root / "orders/a.csv", csv_text(orders(1, rows), COLUMNS), T0)
    entity = [file_entity("orders", mode="append_event", pk=[])]
    try:
        first = _ctx(first_server, root, fresh_dsn, entity, ORDERS, page_size=500, reporter=_KillServerAfter(first_server, 3))
        with pytest.raises(RunFailed) as failure:
            await files.run_sftp(first)
    finally:
        first_server.process.kill()
    assert failure.value.reason_code == "source_unavailable", failure.value
    committed = len(await fetch(fresh_dsn, "SELECT 1 FROM orders"))
    assert 1_500 <= committed < rows

    second_server = start_sftp_server(tmp_path / "second", root=first_server.root)
    try:
        second = _ctx(second_server, root, fresh_dsn, entity, ORDERS, page_size=500, root_run_id=first.root_run_id, token=2, attempt=2)
        await files.run_sftp(second)
    finally:
        second_server.process.kill()
    counts = await fetch(fresh_dsn, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM orders")
    assert tuple(counts[0]) == (rows, rows, 1, rows)
    assert second.rows_read == rows - committed


class _FreezeServerAfter(_KillServerAfter):
    """Freezes the SFTP server process (SIGSTOP) once `after` checkpoints were committed."""

    def report_checkpoint(self, ctx: Any, state: dict[str, Any]) -> None:
        RecordingReporter.report_checkpoint(self, ctx, state)
        if len(self.checkpoints) == self.after:
            os.kill(self.server.process.pid, signal.SIGSTOP)


async def test_a_frozen_server_fails_the_attempt_as_resumable_within_the_timeout(fresh_dsn: str, tmp_path: Path) -> None:
    server = start_sftp_server(tmp_path)
    root = server.root / "data"
    write_file(root / "orders/a.csv", csv_text(orders(1, 60_000), COLUMNS), T0)
    entity = [file_entity("orders", mode="append_event", pk=[])]
    ctx = _ctx(server, root, fresh_dsn, entity, ORDERS, page_size=500, reporter=_FreezeServerAfter(server, 2),
               config={"timeoutSeconds": 2})
    started = time.monotonic()
    try:
        with pytest.raises(RunFailed) as failure:
            await asyncio.wait_for(files.run_sftp(ctx), 30)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.process.kill()
    assert failure.value.reason_code == "source_unavailable", failure.value
    assert time.monotonic() - started < 15
