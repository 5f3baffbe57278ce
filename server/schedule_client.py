"""`syncplane schedule run NAME|ID [--wait]`: starts an identity schedule and,
with --wait, follows its execution (a watch stream) drawing each group and its
steps with a progress bar, as `run-profile execute --wait` draws one activity."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, TextIO

import grpc

from syncplane.identity.v1 import schedules_pb2 as spb
from syncplane.identity.v1 import schedules_service_pb2 as pb
from syncplane.identity.v1 import schedules_service_pb2_grpc as pb_grpc

ACTIVE = frozenset({"Queued", "InProgress"})
SUCCESSFUL = frozenset({"Complete"})
#: Exit code when --timeout runs out before the execution ends.
EXIT_TIMEOUT = 2
BAR_WIDTH = 20


class ResolveError(Exception):
    """A name that names no schedule, or several."""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                server_args: Callable[[argparse.ArgumentParser], None]) -> None:
    schedule = sub.add_parser("schedule", help="identity schedules (client; administrator)")
    schedule_sub = schedule.add_subparsers(dest="action", required=True)
    run = schedule_sub.add_parser("run", help="run a schedule now; --wait shows its groups and steps live")
    run.add_argument("schedule", metavar="NAME|ID")
    run.add_argument("--wait", action="store_true", help="follow the execution; exit 0 only when it completes")
    run.add_argument("--timeout", type=float, default=None, metavar="S", help="stop waiting after S seconds (exit 2)")
    server_args(run)


def _bar(step: spb.ScheduleExecutionStep) -> str:
    percent = step.percent_complete if step.HasField("percent_complete") else 0.0
    filled = int(round(BAR_WIDTH * min(100.0, percent) / 100.0))
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


def render(execution: spb.ScheduleExecution) -> list[str]:
    """The execution's lines: a header, then per group its steps with a bar,
    "X of Y objects" and percent (each only when known)."""
    p = execution.progress
    lines = [f"{execution.status:<17} group {p.current_step_number} of {p.total_steps}"
             + (f"  {execution.error_message}" if execution.HasField("error_message") else "")]
    for number, group in enumerate(p.steps, start=1):
        lines.append(f"  group {number} (stepIndex {group.step_index}{', parallel' if group.is_parallel else ''}):"
                     f" {group.status}")
        for step in (s for s in execution.steps if s.step_index == group.step_index):
            name = step.name if step.HasField("name") else "step"
            where = f" ({step.connected_system_name})" if step.HasField("connected_system_name") else ""
            parts = [f"    {name + where:<34}", f"{step.status:<22}", _bar(step)]
            if step.objects_to_process:
                parts.append(f"{step.objects_processed:,} of {step.objects_to_process:,} objects")
            elif step.objects_processed:
                parts.append(f"{step.objects_processed:,} objects")
            if step.HasField("percent_complete"):
                parts.append(f"{step.percent_complete:5.1f}%")
            if step.HasField("error_message"):
                parts.append(f"error: {step.error_message}")
            lines.append("  ".join(parts))
    return lines


class Board:
    """Redraws the block of lines in a terminal; prints the block when it changed otherwise."""

    def __init__(self, out: TextIO = sys.stderr) -> None:
        self.out = out
        self._tty = out.isatty()
        self._last: list[str] = []

    def show(self, execution: spb.ScheduleExecution) -> None:
        lines = render(execution)
        if lines == self._last:
            return
        if self._tty and self._last:
            self.out.write(f"\x1b[{len(self._last)}F\x1b[J")  # up to the block's start, clear below
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._last = lines


class ScheduleClient:
    def __init__(self, target: str, api_key: str | None) -> None:
        self._channel = grpc.aio.insecure_channel(target)
        self.md = [("x-api-key", api_key)] if api_key else []
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

    async def follow(self, execution_id: str, board: Board) -> spb.ScheduleExecution:
        """Watches the execution until it ends; reconnects when the stream breaks."""
        last: spb.ScheduleExecution | None = None
        failures = 0
        while True:
            try:
                async for execution in self.executions.WatchScheduleExecution(
                        pb.WatchScheduleExecutionRequest(id=execution_id), metadata=self.md):
                    last = execution
                    failures = 0
                    board.show(execution)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE or failures >= 10:
                    raise
                failures += 1
                await asyncio.sleep(min(5.0, 0.5 * 2**failures))
                continue
            if last is not None and last.status not in ACTIVE and last.HasField("completed_at"):
                return last


async def run_command(args: Any) -> int:
    client = ScheduleClient(args.server, args.api_key)
    try:
        schedule_id = await client.schedule_id(args.schedule)
        reply = await client.schedules.RunSchedule(pb.RunScheduleRequest(id=schedule_id), metadata=client.md)
        print(f"{reply.message} Execution {reply.execution_id}.", file=sys.stderr)
        if not args.wait:
            print(reply.execution_id)
            return 0
        return await _wait(client, reply.execution_id, args.timeout)
    except ResolveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except grpc.aio.AioRpcError as exc:
        print(f"error: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        await client.close()


async def _wait(client: ScheduleClient, execution_id: str, timeout: float | None) -> int:
    board = Board()
    started = time.monotonic()
    try:
        final = await asyncio.wait_for(client.follow(execution_id, board), timeout)
    except TimeoutError:
        print(f"timed out after {time.monotonic() - started:.0f} s; execution {execution_id} goes on "
              "(see GET /api/v1/schedule-executions/{id})", file=sys.stderr)
        return EXIT_TIMEOUT
    print(f"execution {execution_id} {final.status}", file=sys.stderr)
    return 0 if final.status in SUCCESSFUL else 1


def main_async(args: Any) -> int:
    return asyncio.run(run_command(args))
