"""Client commands of the sync-jobs dialect over gRPC: `syncplane jobs list|run`, `syncplane job-runs
list|get|cancel|watch`. JSON output keeps the dialect's snake_case names (as its REST API writes them)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import grpc
from google.protobuf import json_format

from syncplane.jobs.v1 import messages_pb2 as mpb
from syncplane.jobs.v1 import service_pb2 as pb
from syncplane.jobs.v1 import service_pb2_grpc as jobs_grpc
from syncplane.server import cli_output as out
from syncplane.server.cli_output import Column
from syncplane.server.cli_progress import Line, ProgressBoard, duration
from syncplane.server.cli_session import Following, rpc_failure, run_client

JOBS_COMMANDS = ("jobs", "job-runs")
RUN_STATUSES = out.string_enum(pb.ListSyncJobRunsRequest, "status")
ENDED = frozenset({"completed", "failed", "stopped"})

JOB_COLUMNS = (
    Column("ID", "id"), Column("INTEGRATION", "integration_name", drop=1), Column("LABEL", "label", wrap=True),
    Column("RESOURCES", "resources", lambda v: str(len(v or [])), justify="right", drop=3),
    Column("CREATED", "created_at", out.when, drop=2),
)
RUN_COLUMNS = (
    Column("RUN", "id"), Column("STATUS", "status", out.status), Column("SYNC JOB", "sync_job_id", drop=4),
    Column("DAEMON", "daemon_id", drop=5), Column("STARTED", "started_at", out.when, drop=2),
    Column("FINISHED", "finished_at", out.when, drop=3), Column("ERROR", "error", wrap=True, drop=1),
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                server_args: Any) -> None:
    """`jobs` and `job-runs` (server_args adds --server and --api-key to a parser)."""
    jobs = sub.add_parser("jobs", help="sync jobs (client; sync-jobs dialect)")
    jobs_sub = jobs.add_subparsers(dest="action", required=True)
    j_list = jobs_sub.add_parser("list", help="the sync jobs, newest first")
    j_list.add_argument("--integration", default=None, help="only the jobs of this integration name")
    j_list.add_argument("--limit", type=int, default=50)
    out.add_output_arg(j_list)
    j_run = jobs_sub.add_parser("run", help="start a run of a sync job for an integrated account; --wait follows it")
    j_run.add_argument("id", help="sync job id")
    j_run.add_argument("--account", required=True, metavar="ID", help="integrated account id")
    j_run.add_argument("--args", default="{}", metavar="JSON", help="the run's arguments, a JSON object")
    j_run.add_argument("--daemon-group", default=None, metavar="KEY", help="daemon group to run it (default group: default)")
    j_run.add_argument("--error-handling", choices=("fail_fast", "ignore"), default=None,
                       help="stop at the first record error, or go on (the server's default: ignore)")
    j_run.add_argument("--wait", action="store_true", help="follow the run; exit non-zero unless it completes")

    runs = sub.add_parser("job-runs", help="sync job runs (client; sync-jobs dialect)")
    runs_sub = runs.add_subparsers(dest="action", required=True)
    r_list = runs_sub.add_parser("list", help="runs of every sync job, newest first")
    r_list.add_argument("--status", choices=RUN_STATUSES, default=None, help="only runs in this status")
    r_list.add_argument("--sync-job", default=None, metavar="ID", help="only the runs of this sync job")
    r_list.add_argument("--limit", type=int, default=25)
    out.add_output_arg(r_list)
    r_get = runs_sub.add_parser("get", help="one run, with its resource statistics")
    r_get.add_argument("id")
    r_cancel = runs_sub.add_parser("cancel", help="stop a run (a running one at its next batch)")
    r_cancel.add_argument("id")
    r_watch = runs_sub.add_parser("watch", help="follow a run until it ends")
    r_watch.add_argument("id")
    for p in (j_list, j_run, r_list, r_get, r_cancel, r_watch):
        server_args(p)


class JobsClient:
    def __init__(self, target: str, api_key: str | None) -> None:
        self.target = target
        self._channel = grpc.aio.insecure_channel(target)
        api_key = api_key or os.environ.get("SYNCPLANE_API_KEY")
        self.md = [("x-api-key", api_key)] if api_key else []
        self.jobs = jobs_grpc.SyncJobsServiceStub(self._channel)
        self.runs = jobs_grpc.SyncJobRunsServiceStub(self._channel)
        self.following = Following()

    async def close(self) -> None:
        await self._channel.close()

    async def previous_counts(self, run: mpb.SyncJobRun) -> dict[str, int]:
        """Records fetched per resource by the sync job's newest earlier completed run: the estimates."""
        reply = await self.runs.ListSyncJobRuns(
            pb.ListSyncJobRunsRequest(sync_job_id=run.sync_job_id, status="completed", limit=5), metadata=self.md)
        for earlier in reply.result:
            if earlier.id != run.id:
                return {key: line.done for key, line in _resource_counts(earlier).items()}
        return {}

    async def watch(self, run_id: str) -> mpb.SyncJobRun:
        first = await self.runs.GetSyncJobRun(pb.GetSyncJobRunRequest(id=run_id), metadata=self.md)
        estimates = await self.previous_counts(first)
        self.following = Following(f"sync job run {run_id}", f"syncplane job-runs cancel {run_id}")
        board = ProgressBoard()
        started = time.monotonic()
        last = first
        try:
            async for run in self.runs.WatchSyncJobRun(pb.WatchSyncJobRunRequest(id=run_id), metadata=self.md):
                last = run
                board.update(_header(run, time.monotonic() - started), _lines(run, estimates))
        finally:
            # Not cleared here: after Ctrl-C, the message says what was being followed.
            board.close()
        return last


def _resource_counts(run: mpb.SyncJobRun) -> dict[str, Line]:
    """resource_stats (resource -> method -> counters) as one line per resource and method."""
    stats = json_format.MessageToDict(run.resource_stats, preserving_proto_field_name=True)
    lines: dict[str, Line] = {}
    for resource, methods in stats.items():
        for method, counters in (methods or {}).items():
            key = f"{resource} {method}"
            lines[key] = Line(key, int(counters.get("fetched", 0)), unit="records",
                              note=f"{int(counters['errors'])} errors" if counters.get("errors") else "")
    return lines


def _lines(run: mpb.SyncJobRun, estimates: dict[str, int]) -> list[Line]:
    ended = run.status in ENDED
    lines = []
    for key, line in _resource_counts(run).items():
        total = estimates.get(key)
        lines.append(Line(key, line.done, total, total is not None, line.note, line.unit, finished=ended))
    return lines


def _header(run: mpb.SyncJobRun, elapsed: float) -> str:
    parts = [f"sync job run {run.id[:8]}", run.status]
    if run.HasField("daemon_id"):
        parts.append(f"daemon {run.daemon_id}")
    if run.HasField("rate_limited_until") and run.status == "rate_limited":
        parts.append(f"until {run.rate_limited_until}")
    parts.append(f"elapsed {duration(elapsed)}")
    return "  ".join(parts)


def _json(message: Any) -> None:
    out.print_json(json_format.MessageToDict(message, preserving_proto_field_name=True))


def _emit(message: Any, args: argparse.Namespace, columns: tuple[Column, ...], empty: str) -> None:
    if args.output == out.JSON:
        _json(message)
        return
    body = json_format.MessageToDict(message, preserving_proto_field_name=True)
    more = "more: the API's next_cursor (--output json)" if body.get("next_cursor") else None
    out.print_table(body.get("result", []), columns, empty=empty, footer=more)


async def _dispatch(client: JobsClient, args: argparse.Namespace) -> int:
    md = client.md
    if args.area == "jobs" and args.action == "list":
        req = pb.ListSyncJobsRequest(limit=args.limit)
        if args.integration:
            req.integration_name = args.integration
        _emit(await client.jobs.ListSyncJobs(req, metadata=md), args, JOB_COLUMNS, "no sync jobs")
        return 0
    if args.area == "jobs" and args.action == "run":
        try:
            run_args = json.loads(args.args)
        except json.JSONDecodeError as exc:
            print(f"error: --args is not JSON: {exc}", file=sys.stderr)
            return 2
        if not isinstance(run_args, dict):
            print("error: --args must be a JSON object", file=sys.stderr)
            return 2
        create = pb.CreateSyncJobRunRequest(sync_job_id=args.id, integrated_account_id=args.account)
        create.args.update(run_args)
        if args.daemon_group:
            create.daemon_group_key = args.daemon_group
        if args.error_handling:
            create.error_handling = args.error_handling
        run = await client.runs.CreateSyncJobRun(create, metadata=md)
        if not args.wait:
            _json(run)
            return 0
        print(f"sync job run {run.id} created", file=sys.stderr)
        return _finished(await client.watch(run.id))
    if args.action == "list":
        req_runs = pb.ListSyncJobRunsRequest(limit=args.limit)
        if args.status:
            req_runs.status = args.status
        if args.sync_job:
            req_runs.sync_job_id = args.sync_job
        _emit(await client.runs.ListSyncJobRuns(req_runs, metadata=md), args, RUN_COLUMNS, "no sync job runs")
    elif args.action == "get":
        _json(await client.runs.GetSyncJobRun(pb.GetSyncJobRunRequest(id=args.id), metadata=md))
    elif args.action == "cancel":
        await client.runs.DeleteSyncJobRun(pb.DeleteSyncJobRunRequest(id=args.id), metadata=md)
        print(f"sync job run {args.id} stopping", file=sys.stderr)
    elif args.action == "watch":
        return _finished(await client.watch(args.id))
    return 0


def _finished(run: mpb.SyncJobRun) -> int:
    fetched = sum(line.done for line in _resource_counts(run).values())
    print(f"sync job run {run.id} {run.status}; {fetched:,} records fetched"
          + (f"; error: {run.error}" if run.HasField("error") else ""), file=sys.stderr)
    return 0 if run.status == "completed" else 1


def main_async(args: argparse.Namespace) -> int:
    clients: list[JobsClient] = []

    async def main() -> int:
        client = JobsClient(args.server, args.api_key)
        clients.append(client)
        try:
            return await _dispatch(client, args)
        except grpc.aio.AioRpcError as exc:
            return rpc_failure(exc, client.target)
        finally:
            await client.close()

    return run_client(main, lambda: clients[0].following if clients else Following())
