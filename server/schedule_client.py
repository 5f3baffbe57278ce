"""`syncplane schedule list|executions|run`: identity schedules over gRPC.

`schedule run NAME|ID --wait` follows the execution (a watch stream) with the live progress of the
other --wait commands (server/cli_progress.py): a header (status, group n of m, elapsed), then one
line per step with its status and objects (X of Y, rate, ETA while it runs), redrawn in place on a
terminal and cut to its width, or printed as plain lines when they change elsewhere. Lists print
tables, or the API's JSON with --output json (as does `run`: the run's answer, or with --wait the
ended execution).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import grpc

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.identity.v1 import schedules_service_pb2 as pb
from syncplane.identity.v1 import schedules_service_pb2_grpc as pb_grpc
from syncplane.server import cli_output as out
from syncplane.server.cli_output import Column
from syncplane.server.cli_progress import Line, ProgressBoard, duration
from syncplane.server.cli_session import Following, rpc_failure, run_client

ACTIVE = frozenset({"Queued", "InProgress"})
SUCCESSFUL = frozenset({"Complete"})
#: Step statuses that are over (schedules.proto's ScheduleExecutionStep.status).
STEP_ENDED = frozenset({"Completed", "Completed with Warning", "Failed", "Cancelled", "Not run"})
#: Exit code when --timeout runs out before the execution ends.
EXIT_TIMEOUT = 2

SCHEDULE_COLUMNS = (
    Column("ID", "id"), Column("NAME", "name", wrap=True),
    Column("TRIGGER", "cronExpression", lambda v: v or "manual", drop=3),
    Column("ENABLED", "isEnabled", lambda v: "yes" if v else "no"),
    Column("STEPS", "stepCount", out.count, justify="right", drop=4),
    Column("LAST", "lastExecutionStatus", out.status, drop=1),
    Column("NEXT RUN", "nextRunTime", out.when, drop=2),
)
EXECUTION_COLUMNS = (
    Column("EXECUTION", "id"), Column("SCHEDULE", "scheduleName", wrap=True, drop=3),
    Column("STATUS", "status", out.status),
    Column("GROUPS", "totalSteps", out.count, justify="right", drop=4),
    Column("QUEUED", "queuedAt", out.when, drop=1), Column("COMPLETED", "completedAt", out.when, drop=2),
)


class ResolveError(Exception):
    """A name that names no schedule, or several."""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                server_args: Callable[[argparse.ArgumentParser], None]) -> None:
    schedule = sub.add_parser("schedule", help="identity schedules (client; administrator)")
    schedule_sub = schedule.add_subparsers(dest="action", required=True)
    listing = schedule_sub.add_parser("list", help="list schedules")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--page-size", type=int, default=50)
    out.add_output_arg(listing)
    server_args(listing)
    executions = schedule_sub.add_parser("executions", help="list executions, newest first (of one schedule if named)")
    executions.add_argument("schedule", metavar="NAME|ID", nargs="?")
    executions.add_argument("--page", type=int, default=1)
    executions.add_argument("--page-size", type=int, default=25)
    out.add_output_arg(executions)
    server_args(executions)
    run = schedule_sub.add_parser("run", help="run a schedule now; --wait shows its steps live")
    run.add_argument("schedule", metavar="NAME|ID")
    run.add_argument("--wait", action="store_true", help="follow the execution; exit 0 only when it completes")
    run.add_argument("--timeout", type=float, default=None, metavar="S", help="stop waiting after S seconds (exit 2)")
    # Without --wait the table form is the execution id alone (for $(...)); json: the API's answer.
    out.add_output_arg(run)
    server_args(run)


def header(execution: spb.ScheduleExecution, elapsed: float) -> str:
    """Status, the group running of how many, elapsed, and the execution's error when it has one."""
    p = execution.progress
    parts = [f"execution {execution.id[:8]}" if execution.id else "execution", execution.status,
             f"group {p.current_step_number} of {p.total_steps}", f"elapsed {duration(elapsed)}"]
    if execution.HasField("error_message"):
        parts.append(execution.error_message)
    return "  ".join(parts)


def step_lines(execution: spb.ScheduleExecution) -> list[Line]:
    """One line per step, in group order: "<group>. <name> (<system>)", its status, and its objects
    (X of Y when the activity counted them) once it has started."""
    groups = {g.step_index: number for number, g in enumerate(execution.progress.steps, start=1)}
    lines: list[Line] = []
    for step in sorted(execution.steps, key=lambda s: groups.get(s.step_index, s.step_index + 1)):
        name = step.name if step.HasField("name") else "step"
        where = f" ({step.connected_system_name})" if step.HasField("connected_system_name") else ""
        # Steps of one group (run side by side) share its number.
        key = f"{groups.get(step.step_index, step.step_index + 1)}. {name}{where}"
        ended = step.status in STEP_ENDED
        note = step.status + (f": {step.error_message}" if step.HasField("error_message") else "")
        if step.status in ("Waiting", "Queued") or (ended and not step.objects_processed):
            lines.append(Line(key, 0, None, False, note, "", finished=ended))
        else:
            total = step.objects_to_process or None
            lines.append(Line(key, step.objects_processed, total, False, note, "objects", finished=ended))
    return lines


class ScheduleClient:
    def __init__(self, target: str, api_key: str | None) -> None:
        self.target = target
        self._channel = grpc.aio.insecure_channel(target)
        api_key = api_key or os.environ.get("SYNCPLANE_API_KEY")
        self.md = [("x-api-key", api_key)] if api_key else []
        self.following = Following()  # what --wait follows, for the Ctrl-C message
        self.schedules = pb_grpc.SchedulesServiceStub(self._channel)
        self.executions = pb_grpc.ScheduleExecutionsServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def schedule_id(self, ref: str) -> str:
        try:
            return str(uuid.UUID(ref))
        except ValueError:
            pass
        page, matches = 1, []
        while True:
            reply = await self.schedules.ListSchedules(
                pb.ListSchedulesRequest(page=page, page_size=100, search=ref), metadata=self.md)
            matches += [s.id for s in reply.items if s.name.lower() == ref.lower()]
            if not reply.has_next_page:
                break
            page += 1
        if not matches:
            raise ResolveError(f"no schedule is named '{ref}'")
        if len(matches) > 1:
            raise ResolveError(f"{len(matches)} schedules are named '{ref}'; use an id")
        return matches[0]

    async def follow(self, execution_id: str, board: ProgressBoard) -> spb.ScheduleExecution:
        """Watches the execution until it ends; reconnects when the stream breaks."""
        last: spb.ScheduleExecution | None = None
        failures = 0
        started = time.monotonic()
        while True:
            try:
                async for execution in self.executions.WatchScheduleExecution(
                        pb.WatchScheduleExecutionRequest(id=execution_id), metadata=self.md):
                    last = execution
                    failures = 0
                    board.update(header(execution, time.monotonic() - started), step_lines(execution))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE or failures >= 10:
                    raise
                failures += 1
                await asyncio.sleep(min(5.0, 0.5 * 2**failures))
                continue
            if last is not None and last.status not in ACTIVE and last.HasField("completed_at"):
                return last


async def run_command(args: Any, client: ScheduleClient) -> int:
    try:
        return await _dispatch(client, args)
    except ResolveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except grpc.aio.AioRpcError as exc:
        return rpc_failure(exc, client.target)
    finally:
        await client.close()


async def _dispatch(client: ScheduleClient, args: Any) -> int:
    md = client.md

    def more(body: dict[str, Any]) -> str | None:
        return f"page {args.page}; --page {args.page + 1} for more" if body.get("hasNextPage") else None

    if args.action == "list":
        reply = await client.schedules.ListSchedules(
            pb.ListSchedulesRequest(page=args.page, page_size=args.page_size), metadata=md)
        out.emit(reply, args, "items", SCHEDULE_COLUMNS, empty="no schedules", footer=more)
        return 0
    if args.action == "executions":
        req = pb.ListScheduleExecutionsRequest(page=args.page, page_size=args.page_size)
        if args.schedule:
            req.schedule_id = await client.schedule_id(args.schedule)
        reply = await client.executions.ListScheduleExecutions(req, metadata=md)
        out.emit(reply, args, "items", EXECUTION_COLUMNS, empty="no executions", footer=more)
        return 0
    schedule_id = await client.schedule_id(args.schedule)
    reply = await client.schedules.RunSchedule(pb.RunScheduleRequest(id=schedule_id), metadata=md)
    print(f"{reply.message} Execution {reply.execution_id}.", file=sys.stderr)
    if not args.wait:
        if args.output == out.JSON:
            out.print_json(reply)
        else:
            print(reply.execution_id)
        return 0
    return await _wait(client, reply.execution_id, args.timeout, json_out=args.output == out.JSON)


async def _wait(client: ScheduleClient, execution_id: str, timeout: float | None, *, json_out: bool = False) -> int:
    board = ProgressBoard()
    started = time.monotonic()
    client.following = Following(f"execution {execution_id}",
                                 f"POST /api/v1/schedule-executions/{execution_id}/cancel (REST)")
    try:
        final = await asyncio.wait_for(client.follow(execution_id, board), timeout)
    except TimeoutError:
        board.close()
        print(f"timed out after {time.monotonic() - started:.0f} s; execution {execution_id} goes on "
              "(see GET /api/v1/schedule-executions/{id})", file=sys.stderr)
        return EXIT_TIMEOUT
    finally:
        board.close()  # `following` stays: after Ctrl-C, the message says what was being followed
    if json_out:
        out.print_json(final)
    print(f"execution {execution_id} {final.status}"
          + (f": {final.error_message}" if final.HasField("error_message") else ""), file=sys.stderr)
    return 0 if final.status in SUCCESSFUL else 1


def main_async(args: Any) -> int:
    clients: list[ScheduleClient] = []  # made inside the loop; read after Ctrl-C stopped it

    async def main() -> int:
        clients.append(ScheduleClient(args.server, args.api_key))
        return await run_command(args, clients[0])

    return run_client(main, lambda: clients[0].following if clients else Following())
