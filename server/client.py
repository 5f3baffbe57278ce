"""Client commands over gRPC: `syncplane syncs ...`, `runs ...`, `api-keys ...`, `executor-tokens ...`.

Lists print tables (server/cli_output.py), JSON with --output json; `--wait` shows a live line per
entity (server/cli_progress.py) with its total: counted by the source (postgres), the bytes of the
files to read (sftp, s3), or else estimated from the previous run of the sync.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import grpc
from google.protobuf import json_format

from syncplane.admin.v1 import service_pb2 as admin_pb
from syncplane.admin.v1 import service_pb2_grpc as admin_grpc
from syncplane.server import cli_output as out
from syncplane.server.cli_output import Column
from syncplane.server.cli_progress import Line, ProgressBoard, duration, short
from syncplane.server.cli_session import Following, rpc_failure, run_client
from syncplane.syncs.v1 import messages_pb2 as mpb
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc


class Client:
    def __init__(self, target: str, api_key: str | None) -> None:
        self.target = target
        self._channel = grpc.aio.insecure_channel(target)
        api_key = api_key or os.environ.get("SYNCPLANE_API_KEY")
        self._metadata = [("x-api-key", api_key)] if api_key else []
        self.following = Following()  # what --wait follows, for the Ctrl-C message
        self.syncs = syncs_grpc.SyncsServiceStub(self._channel)
        self.connections = syncs_grpc.ConnectionsServiceStub(self._channel)
        self.admin = admin_grpc.AdminServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    @property
    def md(self) -> list[tuple[str, str]]:
        return self._metadata

    async def watch_until_done(self, run_id: str) -> mpb.SyncRun:
        """Follows a run, and its automatic next attempts, until one ends: one line per entity."""
        first = await self.syncs.GetSyncRun(pb.GetSyncRunRequest(run_id=run_id), metadata=self.md)
        sync = await self.syncs.GetSync(pb.GetSyncRequest(sync_id=first.sync_id), metadata=self.md)
        estimates = await self.previous_counts(first)
        board = ProgressBoard()
        started = time.monotonic()
        try:
            while True:
                self.following = Following(f"run {run_id}", f"syncplane runs cancel {run_id}")
                last: mpb.SyncRun | None = None
                async for run in self.syncs.WatchSyncRun(pb.WatchSyncRunRequest(run_id=run_id), metadata=self.md):
                    last = run
                    board.update(run_header(run, time.monotonic() - started), entity_lines(run, sync.entities, estimates))
                assert last is not None
                if last.status == "failed" and last.HasField("next_attempt_run_id"):
                    board.update(
                        f"attempt {last.attempt_number} ended ({last.result_reason_code}); "
                        f"resuming as run {last.next_attempt_run_id}", [],
                    )
                    run_id = last.next_attempt_run_id
                    continue
                return last
        finally:
            # Not cleared here: after Ctrl-C, the message says what was being followed.
            board.close()  # what --wait follows, for the Ctrl-C message

    async def previous_counts(self, run: mpb.SyncRun) -> dict[str, int]:
        """Rows per entity of the newest earlier successful run of the sync in the same run mode:
        the estimated totals of this one."""
        reply = await self.syncs.ListSyncRuns(pb.ListSyncRunsRequest(sync_id=run.sync_id, limit=25), metadata=self.md)
        for earlier in reply.runs:
            if earlier.id != run.id and earlier.status == "succeeded" and earlier.run_mode == run.run_mode:
                entities = json_format.MessageToDict(earlier.summary).get("entities") or {}
                return {name: int(e.get("rowsWritten", 0)) for name, e in entities.items() if isinstance(e, dict)}
        return {}


def run_header(run: mpb.SyncRun, elapsed: float) -> str:
    summary = json_format.MessageToDict(run.summary)
    phase = summary.get("phase")
    parts = [f"run {run.id[:8]}", f"attempt {run.attempt_number}", run.status]
    if phase and phase != run.status:
        parts.append(f"phase {phase}")
    parts += [f"{int(summary.get('rowsWritten', 0)):,} rows", f"elapsed {duration(elapsed)}"]
    return "  ".join(parts)


def entity_lines(run: mpb.SyncRun, entities: Any, estimates: dict[str, int]) -> list[Line]:
    """One line per entity: those the run reported, and those of the sync not started yet."""
    summary = json_format.MessageToDict(run.summary)
    reported: dict[str, Any] = summary.get("entities") or {}
    finished = run.status in ("succeeded", "failed", "cancelled")
    lines: list[Line] = []
    for name in [*reported, *(e for e in entities if e not in reported)]:
        counters = reported.get(name) or {}
        done = int(counters.get("rowsWritten", 0))
        note = str(counters.get("phase") or ("" if counters else "not run" if finished else "waiting"))
        ended = finished or note in ("done", "complete")
        # A source that counted its rows says so (exactly, or its own estimate); a source of files
        # knows the bytes it will read; else the previous run's count is the estimate.
        counted = counters.get("rowsTotal")
        if counted is None and counters.get("bytesTotal") is not None and not ended:
            rows_note = f"{short(done)} rows" if note == "loading" else note
            lines.append(Line(name, int(counters.get("bytesRead", 0)), int(counters["bytesTotal"]), False, rows_note,
                              unit="bytes"))
            continue
        total = int(counted) if counted is not None else estimates.get(name)
        estimated = bool(counters.get("rowsTotalEstimated")) if counted is not None else total is not None
        lines.append(Line(name, done, total, estimated, note, finished=ended))
    return lines


SYNC_COLUMNS = (
    Column("ID", "id"), Column("NAME", "name", wrap=True), Column("STATUS", "status", out.status),
    Column("PROVIDER", "providerKey", drop=2), Column("TRIGGER", "triggerMode", drop=3),
    Column("LAST SUCCESS", "lastSuccessAt", out.when, drop=1),
)
RUN_COLUMNS = (
    Column("RUN", "id"), Column("STATUS", "status", out.status),
    Column("ROWS", "summary.rowsWritten", out.count, justify="right", drop=2),
    Column("CREATED", "createdAt", out.when, drop=3), Column("SYNC", "syncId", drop=5),
    Column("ATT", "attemptNumber", justify="right", drop=6), Column("MODE", "runMode", drop=7),
    Column("REASON", "resultReasonCode", drop=4),
)
CONNECTION_COLUMNS = (
    Column("ID", "id"), Column("NAME", "name", wrap=True), Column("PROVIDER", "providerKey", drop=2),
    Column("CREATED", "createdAt", out.when, drop=1),
)
API_KEY_COLUMNS = (
    Column("ID", "id"), Column("NAME", "name", wrap=True), Column("ROLE", "role"), Column("PREFIX", "prefix", drop=3),
    Column("CREATED", "createdAt", out.when, drop=2), Column("REVOKED", "revokedAt", out.when, drop=1),
)
TOKEN_COLUMNS = (
    Column("ID", "id"), Column("NAME", "name", wrap=True),
    Column("CREATED", "createdAt", out.when, drop=2), Column("REVOKED", "revokedAt", out.when, drop=1),
)


async def run_command(args: Any, client: Client) -> int:
    try:
        return await _dispatch(client, args)
    except grpc.aio.AioRpcError as exc:
        return rpc_failure(exc, client.target)
    finally:
        await client.close()


async def _dispatch(client: Client, args: Any) -> int:
    md = client.md
    area, action = args.area, args.action
    if area == "syncs" and action == "list":
        reply = await client.syncs.ListSyncs(pb.ListSyncsRequest(limit=args.limit), metadata=md)
        out.emit(reply, args, "syncs", SYNC_COLUMNS, empty="no syncs", footer=out.page_footer)
    elif area == "syncs" and action == "get":
        out.print_json(await client.syncs.GetSync(pb.GetSyncRequest(sync_id=args.id), metadata=md))
    elif area == "syncs" and action == "trigger":
        run = await client.syncs.TriggerSync(pb.TriggerSyncRequest(sync_id=args.id, run_mode=args.run_mode), metadata=md)
        if not args.wait:
            out.print_json(run)
            return 0
        print(f"run {run.id} queued", file=sys.stderr)
        return _finished(await client.watch_until_done(run.id))
    elif area == "runs" and action == "get":
        out.print_json(await client.syncs.GetSyncRun(pb.GetSyncRunRequest(run_id=args.id), metadata=md))
    elif area == "runs" and action == "list":
        if args.id:
            if args.status:
                print("error: --status lists runs across syncs; leave out the sync id", file=sys.stderr)
                return 2
            reply = await client.syncs.ListSyncRuns(
                pb.ListSyncRunsRequest(sync_id=args.id, limit=args.limit, offset=args.offset), metadata=md)
        else:
            reply = await client.syncs.ListRuns(
                pb.ListRunsRequest(status=args.status or [], limit=args.limit, offset=args.offset), metadata=md)
        out.emit(reply, args, "runs", RUN_COLUMNS, empty="no runs", footer=out.page_footer)
    elif area == "runs" and action == "cancel":
        req = pb.CancelSyncRunRequest(run_id=args.id)
        if args.reason:
            req.reason = args.reason
        out.print_json(await client.syncs.CancelSyncRun(req, metadata=md))
    elif area == "runs" and action == "retry":
        out.print_json(await client.syncs.RetrySyncRun(pb.RetrySyncRunRequest(run_id=args.id), metadata=md))
    elif area == "runs" and action == "watch":
        return _finished(await client.watch_until_done(args.id))
    elif area == "connections" and action == "list":
        reply = await client.connections.ListConnections(pb.ListConnectionsRequest(), metadata=md)
        out.emit(reply, args, "connections", CONNECTION_COLUMNS, empty="no connections", footer=out.page_footer)
    elif area == "api-keys" and action == "create":
        out.print_json(await client.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(name=args.name, role=args.role), metadata=md))
    elif area == "api-keys" and action == "list":
        reply = await client.admin.ListApiKeys(admin_pb.ListApiKeysRequest(), metadata=md)
        out.emit(reply, args, "apiKeys", API_KEY_COLUMNS, empty="no API keys")
    elif area == "api-keys" and action == "revoke":
        await client.admin.RevokeApiKey(admin_pb.RevokeApiKeyRequest(id=args.id), metadata=md)
        print(f"api key {args.id} revoked", file=sys.stderr)
    elif area == "executor-tokens" and action == "create":
        out.print_json(await client.admin.CreateExecutorToken(admin_pb.CreateExecutorTokenRequest(name=args.name), metadata=md))
    elif area == "executor-tokens" and action == "list":
        reply = await client.admin.ListExecutorTokens(admin_pb.ListExecutorTokensRequest(), metadata=md)
        out.emit(reply, args, "executorTokens", TOKEN_COLUMNS, empty="no executor tokens")
    elif area == "executor-tokens" and action == "revoke":
        await client.admin.RevokeExecutorToken(admin_pb.RevokeExecutorTokenRequest(id=args.id), metadata=md)
        print(f"executor token {args.id} revoked", file=sys.stderr)
    else:  # argparse keeps us from here
        raise SystemExit(f"unknown command {area} {action}")
    return 0


def _finished(final: mpb.SyncRun) -> int:
    summary = json_format.MessageToDict(final.summary)
    reason = "" if final.result_reason_code in ("", "completed") else f" ({final.result_reason_code})"
    print(
        f"run {final.id} {final.status}{reason}: {int(summary.get('rowsWritten', 0)):,} rows written"
        + (f"; error: {final.error}" if final.HasField("error") else ""),
        file=sys.stderr,
    )
    return 0 if final.status == "succeeded" else 1


def main_async(args: Any) -> int:
    clients: list[Client] = []  # made inside the loop; read after Ctrl-C stopped it

    async def main() -> int:
        clients.append(Client(args.server, args.api_key))
        return await run_command(args, clients[0])

    return run_client(main, lambda: clients[0].following if clients else Following())
