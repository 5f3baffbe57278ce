"""Plans and source files for the `sftp` / `s3` connector tests (servers: `file_servers`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from syncplane.executor.context import RunContext
from tests.integration.pg_support import RecordingReporter

SYNC_ID = "33333333-3333-3333-3333-333333333333"


def file_entity(key: str, *, table: str | None = None, pk: list[str] | None = None, mode: str = "upsert") -> dict[str, Any]:
    return {
        "entityKey": key,
        "binding": {"tableName": table or key, "primaryKeyColumns": ["id"] if pk is None else pk, "loadMode": mode},
    }


def make_ctx(
    provider: str,
    config: dict[str, Any],
    secrets: dict[str, Any],
    dest_dsn: str,
    entities: list[dict[str, Any]],
    configs: dict[str, dict[str, Any]],
    *,
    run_mode: str = "full",
    page_size: int = 1000,
    root_run_id: str | None = None,
    token: int = 1,
    attempt: int = 1,
    reporter: RecordingReporter | None = None,
) -> RunContext:
    """A RunContext as an executor gets it: connection config merged with sourceConfig, secrets apart."""
    run_id = str(uuid.uuid4())
    return RunContext(
        run_id=run_id,
        root_run_id=root_run_id or run_id,
        token=token,
        attempt_number=attempt,
        kind="sync",
        spec={
            "syncId": SYNC_ID,
            "runMode": run_mode,
            "pageSize": page_size,
            "source": {"provider": provider, "config": {**config, "entities": configs}},
            "entities": entities,
            "destination": {"schema": "public"},
        },
        secrets={"source": secrets, "destinationDsn": dest_dsn},
        checkpoint={},
        reporter=reporter or RecordingReporter(),
    )


def csv_text(rows: list[dict[str, Any]], columns: list[str], delimiter: str = ",") -> str:
    """CSV with a header; values are written as given (quoted when they hold a delimiter, quote or newline)."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        if any(c in text for c in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(columns)] + [delimiter.join(cell(r.get(c)) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def jsonl_text(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def orders(first: int, last: int, **extra: Any) -> list[dict[str, Any]]:
    """Orders `first`..`last`: id, customer, total (text in CSV), plus `extra` fields."""
    return [{"id": i, "customer": f"customer {i}", "total": f"{i * 1.5:.2f}", **extra} for i in range(first, last + 1)]
