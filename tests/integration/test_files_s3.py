"""The `s3` source against moto's standalone S3 server (a real HTTP server in its
own process, enforcing request signatures) and a real PostgreSQL: objects
under a prefix, incremental by LastModified, Range reads on resume, and
credential failures that never show a secret."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.connectors import files
from syncplane.executor.context import Cancelled, RunContext, RunFailed
from tests.acceptance.wait_support import next_second
from tests.integration.file_servers import S3Server, s3_server  # noqa: F401
from tests.integration.file_support import csv_text, file_entity, jsonl_text, make_ctx, orders
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401

COLUMNS = ["id", "customer", "total"]
ORDERS = {"orders": {"path": "orders/*.csv", "format": "csv", "csv": {"columnTypes": {"id": "integer"}}}}


def _ctx(server: S3Server, bucket: str, dsn: str, entities: list[dict[str, Any]], configs: dict[str, Any], **kw: Any) -> RunContext:
    secrets = kw.pop("secrets", server.secrets)
    config = server.connection_config(bucket, **kw.pop("config", {}))
    return make_ctx("s3", config, secrets, dsn, entities, configs, **kw)


async def _ids(dsn: str, table: str = "orders") -> list[int]:
    return [r[0] for r in await fetch(dsn, f"SELECT id FROM {table} ORDER BY id")]


async def test_objects_under_a_prefix_load_and_incremental_reads_only_new_ones(fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    await s3_server.put(bucket, "exports/orders/b.csv", csv_text(orders(5, 6), COLUMNS).encode())
    await next_second()
    await s3_server.put(bucket, "exports/orders/a.csv", csv_text(orders(1, 4), COLUMNS).encode())
    await s3_server.put(bucket, "exports/orders/readme.md", b"# not orders\n")
    await s3_server.put(bucket, "other/orders/z.csv", csv_text(orders(90, 91), COLUMNS).encode())  # outside the prefix
    config = {"prefix": "exports"}
    first = _ctx(s3_server, bucket, fresh_dsn, [file_entity("orders")], ORDERS, config=config, run_mode="incremental", page_size=3)
    await files.run_s3(first)
    assert await _ids(fresh_dsn) == [1, 2, 3, 4, 5, 6]

    await next_second()
    await s3_server.put(bucket, "exports/orders/c.csv", csv_text(orders(7, 8), COLUMNS).encode())  # added
    changed = [{"id": 1, "customer": "renamed", "total": "1"}, *orders(2, 4)]
    await s3_server.put(bucket, "exports/orders/a.csv", csv_text(changed, COLUMNS).encode())  # uploaded again
    second = _ctx(s3_server, bucket, fresh_dsn, [file_entity("orders")], ORDERS, config=config, run_mode="incremental")
    await files.run_s3(second)

    assert second.rows_read == 4 + 2  # a.csv and c.csv; b.csv is older than the mark
    rows = await fetch(fresh_dsn, "SELECT id, customer FROM orders WHERE id IN (1, 7) ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "renamed"), (7, "customer 7")]
    assert await _ids(fresh_dsn) == list(range(1, 9))


async def test_jsonl_append_event_loads_every_event_once_across_runs(fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    configs = {"events": {"path": "events/**/*.jsonl", "format": "jsonl"}}
    entity = [file_entity("events", mode="append_event", pk=[])]
    await s3_server.put(bucket, "events/2024/01/a.jsonl", jsonl_text([{"id": 1, "kind": "click"}, {"id": 2, "kind": "view"}]).encode())
    await files.run_s3(_ctx(s3_server, bucket, fresh_dsn, entity, configs, run_mode="incremental"))
    again = _ctx(s3_server, bucket, fresh_dsn, entity, configs, run_mode="incremental")
    await files.run_s3(again)
    assert again.rows_read == 0

    await next_second()
    await s3_server.put(bucket, "events/2024/02/b.jsonl", jsonl_text([{"id": 3, "kind": "click", "extra": {"x": 1}}]).encode())
    await files.run_s3(_ctx(s3_server, bucket, fresh_dsn, entity, configs, run_mode="incremental"))

    rows = await fetch(fresh_dsn, "SELECT id, kind, extra::text FROM events ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "click", None), (2, "view", None), (3, "click", '{"x": 1}')]


async def test_a_resume_reads_the_rest_of_an_object_with_a_range_request(fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    await s3_server.put(bucket, "orders/a.csv", csv_text(orders(1, 30), COLUMNS).encode())
    entity = [file_entity("orders", mode="append_event", pk=[])]
    first = _ctx(s3_server, bucket, fresh_dsn, entity, ORDERS, page_size=7, reporter=RecordingReporter(cancel_after_checkpoints=2))
    with pytest.raises(Cancelled):
        await files.run_s3(first)
    assert await _ids(fresh_dsn) == list(range(1, 15))

    second = _ctx(s3_server, bucket, fresh_dsn, entity, ORDERS, page_size=7, root_run_id=first.root_run_id, token=2, attempt=2)
    await files.run_s3(second)
    assert await _ids(fresh_dsn) == list(range(1, 31))
    assert second.rows_read == 16


async def test_a_wrong_secret_key_fails_as_an_auth_error_without_the_secret(fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    await s3_server.put(bucket, "orders/a.csv", csv_text(orders(1, 2), COLUMNS).encode())
    wrong = {"accessKeyId": s3_server.access_key_id, "secretAccessKey": "Wr0ngS3cretKeyValue"}
    with pytest.raises(RunFailed) as failure:
        await files.run_s3(_ctx(s3_server, bucket, fresh_dsn, [file_entity("orders")], ORDERS, secrets=wrong))
    assert failure.value.reason_code == "source_auth_error"
    assert "SignatureDoesNotMatch" in str(failure.value) and "Wr0ngS3cretKeyValue" not in str(failure.value)


async def test_missing_credentials_are_a_config_error(fresh_dsn: str, s3_server: S3Server) -> None:
    bucket = await s3_server.new_bucket()
    with pytest.raises(RunFailed, match="needs secrets.accessKeyId and secrets.secretAccessKey") as failure:
        await files.run_s3(_ctx(s3_server, bucket, fresh_dsn, [file_entity("orders")], ORDERS, secrets={}))
    assert failure.value.reason_code == "config_error"


async def test_a_missing_bucket_fails_naming_it(fresh_dsn: str, s3_server: S3Server) -> None:
    with pytest.raises(RunFailed, match="s3://no-such-bucket/: listing 'orders/\\*.csv': NoSuchBucket") as failure:
        await files.run_s3(_ctx(s3_server, "no-such-bucket", fresh_dsn, [file_entity("orders")], ORDERS))
    assert failure.value.reason_code == "source_error"
