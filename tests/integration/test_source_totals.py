"""The totals a source reports before reading, beside its progress (the CLI's "X/Y rows" and ETA):
PostgreSQL counts the rows the read will visit (exact, or the planner's estimate for a large or slow
read); SFTP and S3 report the bytes of the files to read, and the bytes read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from syncplane.executor.connectors import files, postgres
from syncplane.executor.context import RunContext
from syncplane.executor.sources import pg_count
from tests.integration.file_servers import SFTP_PASSWORD, S3Server, SftpServer, s3_server, sftp_server, write_file  # noqa: F401
from tests.integration.file_support import csv_text, file_entity, orders
from tests.integration.file_support import make_ctx as make_file_ctx
from tests.integration.pg_support import (  # noqa: F401 (close_pools is an autouse fixture)
    ORDERS_DDL,
    RecordingReporter,
    close_pools,
    entity,
    execute,
    make_ctx,
    seed_orders,
)

COLUMNS = ["id", "customer", "total"]
ORDERS = {"orders": {"path": "orders/*.csv", "format": "csv", "csv": {"columnTypes": {"id": "integer"}}}}


@dataclass
class TotalsReporter(RecordingReporter):
    """Also records each entity's counters as reported: (rows written, total, estimated, bytes read, bytes total)."""

    seen: dict[str, list[tuple[int, int | None, bool, int, int | None]]] = field(default_factory=dict)

    def report_progress(self, ctx: RunContext) -> None:
        super().report_progress(ctx)
        for name, c in ctx.entities.items():
            self.seen.setdefault(name, []).append(
                (c.rows_written, c.rows_total, c.rows_total_estimated, c.bytes_read, c.bytes_total))


async def test_postgres_counts_the_rows_before_the_first_batch(fresh_dsn: str, second_dsn: str) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 2345)
    query = {"entityKey": "big_orders", "binding": {"tableName": "big_orders", "primaryKeyColumns": ["id"],
                                                     "loadMode": "upsert"}}
    reporter = TotalsReporter()
    ctx = make_ctx(source, dest, [entity("orders", pk=["id"]), query], page_size=1000, reporter=reporter,
                   source_config={"queries": {"big_orders": "SELECT * FROM orders WHERE id > 2000"}})

    await postgres.run(ctx)

    first_counted = next(s for s in reporter.seen["orders"] if s[1] is not None)
    assert first_counted[:3] == (0, 2345, False), "exact, and known before any row was written"
    assert ctx.summary()["entities"]["orders"]["rowsTotal"] == 2345
    assert "rowsTotalEstimated" not in ctx.summary()["entities"]["orders"]
    assert ctx.entities["big_orders"].rows_total == 345  # a query entity: its own rows

    # Incremental by cursor: only what the read after the mark visits.
    await execute(source, "UPDATE orders SET updated_at = updated_at + interval '1 day' WHERE id <= 10")
    cursor = [entity("orders", pk=["id"], cursor="updated_at")]
    await postgres.run(make_ctx(source, dest, cursor, run_mode="incremental"))
    again = make_ctx(source, dest, cursor, run_mode="incremental")
    await execute(source, "UPDATE orders SET updated_at = updated_at + interval '2 days' WHERE id <= 3")
    await postgres.run(again)
    # Orders 1-3 moved past the mark, and order 10 sits on it (an upsert reads the boundary again).
    assert again.entities["orders"].rows_total == again.rows_written == 4


async def test_postgres_reports_the_planners_estimate_for_a_read_too_large_or_slow_to_count(
    fresh_dsn: str, second_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, dest = second_dsn, fresh_dsn
    await execute(source, ORDERS_DDL)
    await seed_orders(source, 1200)
    await execute(source, "ANALYZE orders")
    monkeypatch.setattr(pg_count, "COUNT_EXACT_UP_TO", 1000)  # "large": above 1,000 rows
    ctx = make_ctx(source, dest, [entity("orders", pk=["id"])])
    await postgres.run(ctx)
    assert ctx.entities["orders"].rows_total == 1200 and ctx.entities["orders"].rows_total_estimated
    assert ctx.summary()["entities"]["orders"]["rowsTotalEstimated"] is True

    # A count slower than its timeout is cancelled; the estimate stands in and the run goes on.
    monkeypatch.setattr(pg_count, "COUNT_EXACT_UP_TO", 10_000_000)
    monkeypatch.setattr(pg_count, "COUNT_TIMEOUT_MS", 20)
    slow = {"queries": {"slow": "SELECT id, total FROM orders WHERE id <= 100 AND pg_sleep(0.002) IS NOT NULL"}}
    ctx = make_ctx(source, dest, [entity("slow", pk=["id"])], source_config=slow)
    await postgres.run(ctx)
    assert ctx.rows_written == 100
    assert ctx.entities["slow"].rows_total is not None and ctx.entities["slow"].rows_total_estimated


async def test_files_report_the_bytes_to_read_and_read(fresh_dsn: str, sftp_server: SftpServer, s3_server: S3Server) -> None:
    root = sftp_server.new_dir()
    a, b = csv_text(orders(1, 40), COLUMNS), csv_text(orders(41, 45), COLUMNS)
    write_file(root / "orders/a.csv", a, 1_700_000_000)
    write_file(root / "orders/b.csv", b, 1_700_000_100)
    write_file(root / "orders/skip.txt", "not matched\n", 1_700_000_000)
    size = len(a.encode()) + len(b.encode())
    reporter = TotalsReporter()
    config = sftp_server.connection_config(root=f"/{Path(root).name}")
    ctx = make_file_ctx("sftp", config, {"password": SFTP_PASSWORD}, fresh_dsn, [file_entity("orders")], ORDERS,
                        page_size=10, reporter=reporter)
    await files.run_sftp(ctx)
    seen = reporter.seen["orders"]
    assert next(s for s in seen if s[4] is not None)[3:] == (0, size), "the total is known before a byte is read"
    assert ctx.entities["orders"].bytes_read == size and ctx.rows_written == 45
    summary: dict[str, Any] = ctx.summary()["entities"]["orders"]
    assert (summary["bytesTotal"], summary["bytesRead"]) == (size, size) and "rowsTotal" not in summary

    bucket = await s3_server.new_bucket()
    await s3_server.put(bucket, "orders/a.csv", a.encode())
    s3 = make_file_ctx("s3", s3_server.connection_config(bucket), s3_server.secrets, fresh_dsn,
                       [file_entity("orders", table="orders_s3")], ORDERS)
    await files.run_s3(s3)
    assert (s3.entities["orders"].bytes_total, s3.entities["orders"].bytes_read) == (len(a.encode()), len(a.encode()))
