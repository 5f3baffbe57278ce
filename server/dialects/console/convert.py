"""Rows of server/db/console.py as ConsoleService messages."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import asyncpg

from syncplane.console.v1 import service_pb2 as pb
from syncplane.server.dialects.syncs.convert import ts

#: The engine's subject kinds by the dialect that owns them, as the console names dialects.
DIALECT_KINDS = {"syncs": "sync", "identity": "identity", "jobs": "sync_job"}
KIND_DIALECTS = {kind: dialect for dialect, kind in DIALECT_KINDS.items()}


def console_run(row: asyncpg.Record) -> pb.ConsoleRun:
    msg = pb.ConsoleRun(
        run_id=str(row["id"]),
        dialect=KIND_DIALECTS.get(row["subject_kind"], row["subject_kind"]),
        subject_id=str(row["subject_id"]),
        title=row["title"] or "",
        status=row["status"],
        attempt_number=row["attempt_number"],
        error=row["error"] or "",
        executor_id=row["executor_id"] or "",
        execution_backend=row["execution_backend"],
        root_run_id=str(row["root_run_id"]),
    )
    for name in ("created_at", "started_at", "completed_at", "updated_at"):
        if row[name] is not None:
            getattr(msg, name).CopyFrom(ts(row[name]))
    return msg


def executor_run(row: asyncpg.Record) -> pb.ExecutorRun:
    return pb.ExecutorRun(
        run_id=str(row["id"]),
        dialect=KIND_DIALECTS.get(row["subject_kind"], row["subject_kind"]),
        subject_id=str(row["subject_id"]),
        title=row["title"] or "",
        status=row["status"],
    )


def encode_cursor(row: asyncpg.Record) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID] | None:
    """The (created_at, id) a page continues after; None when `cursor` is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, ident = raw.partition("|")
        created = datetime.fromisoformat(at)
        if created.tzinfo is None:
            return None
        return created, uuid.UUID(ident)
    except ValueError:
        return None
