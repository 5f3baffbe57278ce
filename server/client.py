"""Client commands over gRPC: `syncplane syncs ...`, `runs ...`, `api-keys ...`, `executor-tokens ...`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, TextIO

import grpc
from google.protobuf import json_format

from syncplane.admin.v1 import service_pb2 as admin_pb
from syncplane.admin.v1 import service_pb2_grpc as admin_grpc
from syncplane.syncs.v1 import messages_pb2 as mpb
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc


def _print(message: Any) -> None:
    print(json.dumps(json_format.MessageToDict(message), indent=2))


class ProgressLine:
    """One self-rewriting terminal line: phase, rows, rate, elapsed, status."""

    def __init__(self, out: TextIO = sys.stderr) -> None:
        self.out = out
        self.start = time.monotonic()
        self.rate = 0.0
        self._tty = out.isatty()

    def render(self, run: mpb.SyncRun) -> str:
        summary = json_format.MessageToDict(run.summary)
        rows = int(summary.get("rowsWritten", 0))
        now = time.monotonic()
        # Average over the whole run: steadier to read than the last interval.
        self.rate = rows / (now - self.start) if now > self.start else 0.0
        phase = summary.get("phase") or run.status
        elapsed = int(now - self.start)
        width = 20
        if run.status == "succeeded":
            bar = "#" * width
        else:  # no total is known up front: a moving marker shows liveness
            pos = int((now - self.start) * 4) % width
            bar = "-" * pos + "=" + "-" * (width - pos - 1)
        return (
            f"[{bar}] attempt {run.attempt_number} {run.status:<10} phase {phase:<10} "
            f"rows {rows:>12,}  {self.rate:>10,.0f} rows/s  elapsed {elapsed // 60:02d}:{elapsed % 60:02d}"
        )

    def show(self, run: mpb.SyncRun) -> None:
        line = self.render(run)
        if self._tty:
            self.out.write("\r" + line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def done(self) -> None:
        if self._tty:
            self.out.write("\n")
            self.out.flush()


class Client:
    def __init__(self, target: str, api_key: str | None) -> None:
        self._channel = grpc.aio.insecure_channel(target)
        self._metadata = [("x-api-key", api_key)] if api_key else []
        self.syncs = syncs_grpc.SyncsServiceStub(self._channel)
        self.connections = syncs_grpc.ConnectionsServiceStub(self._channel)
        self.admin = admin_grpc.AdminServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    @property
    def md(self) -> list[tuple[str, str]]:
        return self._metadata

    async def watch_until_done(self, run_id: str, progress: ProgressLine) -> mpb.SyncRun:
        """Follows a run, and its automatic next attempts, until one ends."""
        while True:
            last: mpb.SyncRun | None = None
            async for run in self.syncs.WatchSyncRun(pb.WatchSyncRunRequest(run_id=run_id), metadata=self.md):
                last = run
                progress.show(run)
            assert last is not None
            if last.status == "failed" and last.HasField("next_attempt_run_id"):
                progress.done()
                print(
                    f"attempt {last.attempt_number} ended ({last.result_reason_code}); "
                    f"resuming as run {last.next_attempt_run_id}",
                    file=progress.out,
                )
                run_id = last.next_attempt_run_id
                continue
            progress.done()
            return last


async def run_command(args: Any) -> int:
    client = Client(args.server, args.api_key)
    try:
        return await _dispatch(client, args)
    except grpc.aio.AioRpcError as exc:
        print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        await client.close()


async def _dispatch(client: Client, args: Any) -> int:
    md = client.md
    area, action = args.area, args.action
    if area == "syncs" and action == "list":
        _print(await client.syncs.ListSyncs(pb.ListSyncsRequest(limit=args.limit), metadata=md))
    elif area == "syncs" and action == "get":
        _print(await client.syncs.GetSync(pb.GetSyncRequest(sync_id=args.id), metadata=md))
    elif area == "syncs" and action == "trigger":
        run = await client.syncs.TriggerSync(pb.TriggerSyncRequest(sync_id=args.id, run_mode=args.run_mode), metadata=md)
        if not args.wait:
            _print(run)
            return 0
        print(f"run {run.id} queued", file=sys.stderr)
        final = await client.watch_until_done(run.id, ProgressLine())
        summary = json_format.MessageToDict(final.summary)
        print(
            f"run {final.id} {final.status} ({final.result_reason_code}); "
            f"{int(summary.get('rowsWritten', 0)):,} rows written"
            + (f"; error: {final.error}" if final.HasField("error") else ""),
            file=sys.stderr,
        )
        return 0 if final.status == "succeeded" else 1
    elif area == "runs" and action == "get":
        _print(await client.syncs.GetSyncRun(pb.GetSyncRunRequest(run_id=args.id), metadata=md))
    elif area == "runs" and action == "list":
        _print(await client.syncs.ListSyncRuns(pb.ListSyncRunsRequest(sync_id=args.id, limit=args.limit), metadata=md))
    elif area == "runs" and action == "cancel":
        req = pb.CancelSyncRunRequest(run_id=args.id)
        if args.reason:
            req.reason = args.reason
        _print(await client.syncs.CancelSyncRun(req, metadata=md))
    elif area == "runs" and action == "retry":
        _print(await client.syncs.RetrySyncRun(pb.RetrySyncRunRequest(run_id=args.id), metadata=md))
    elif area == "runs" and action == "watch":
        final = await client.watch_until_done(args.id, ProgressLine())
        return 0 if final.status == "succeeded" else 1
    elif area == "connections" and action == "list":
        _print(await client.connections.ListConnections(pb.ListConnectionsRequest(), metadata=md))
    elif area == "api-keys" and action == "create":
        _print(await client.admin.CreateApiKey(admin_pb.CreateApiKeyRequest(name=args.name, role=args.role), metadata=md))
    elif area == "api-keys" and action == "list":
        _print(await client.admin.ListApiKeys(admin_pb.ListApiKeysRequest(), metadata=md))
    elif area == "api-keys" and action == "revoke":
        await client.admin.RevokeApiKey(admin_pb.RevokeApiKeyRequest(id=args.id), metadata=md)
        print(f"api key {args.id} revoked", file=sys.stderr)
    elif area == "executor-tokens" and action == "create":
        _print(await client.admin.CreateExecutorToken(admin_pb.CreateExecutorTokenRequest(name=args.name), metadata=md))
    elif area == "executor-tokens" and action == "list":
        _print(await client.admin.ListExecutorTokens(admin_pb.ListExecutorTokensRequest(), metadata=md))
    elif area == "executor-tokens" and action == "revoke":
        await client.admin.RevokeExecutorToken(admin_pb.RevokeExecutorTokenRequest(id=args.id), metadata=md)
        print(f"executor token {args.id} revoked", file=sys.stderr)
    else:  # argparse keeps us from here
        raise SystemExit(f"unknown command {area} {action}")
    return 0


def main_async(args: Any) -> int:
    return asyncio.run(run_command(args))
