"""Client commands of the identity dialect over gRPC:
`syncplane run-profile execute|list`, `syncplane connected-systems list`,
`syncplane activities get`."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import grpc

from syncplane.identity.v1 import messages_pb2 as mpb
from syncplane.identity.v1 import service_pb2 as pb
from syncplane.identity.v1 import service_pb2_grpc as identity_grpc
from syncplane.server import cli_output as out
from syncplane.server.cli_output import Column
from syncplane.server.cli_progress import Line, ProgressBoard
from syncplane.server.cli_session import Following, rpc_failure, run_client

SUCCESSFUL = frozenset({"Complete", "CompleteWithWarning"})
TERMINAL = frozenset({"Complete", "CompleteWithWarning", "CompleteWithError", "FailedWithError", "Cancelled"})
#: Exit code when --timeout runs out before the activity ends.
EXIT_TIMEOUT = 2


class ResolveError(Exception):
    """A name or id that names nothing (or more than one thing)."""


def render(p: mpb.ActivityProgress) -> str:
    """One status line: status, phase "Step n of m", "X of Y objects", percent,
    objects/s and time remaining (each part only when known)."""
    parts = [f"{p.status:<19}"]
    if p.total_phases:
        if p.HasField("current_phase_number"):
            step = f"Step {p.current_phase_number} of {p.total_phases}"
        elif p.status in TERMINAL:
            step = f"Step {p.total_phases} of {p.total_phases}"
        else:
            step = f"{p.total_phases} steps"
        label = next((ph.name for ph in p.phases if ph.key == p.current_phase or ph.name == p.current_phase), p.current_phase)
        parts.append(step + (f" ({label})" if label else ""))
    if p.objects_to_process:
        parts.append(f"{p.objects_processed:,} of {p.objects_to_process:,} objects")
    else:
        parts.append(f"{p.objects_processed:,} objects")
    if p.HasField("percent_complete"):
        parts.append(f"{p.percent_complete:5.1f}%")
    parts.append(f"{p.objects_per_second:,.1f} objects/s")
    if p.HasField("estimated_seconds_remaining") and p.status not in TERMINAL:
        parts.append(f"{_duration(p.estimated_seconds_remaining)} remaining")
    parts.append(f"elapsed {_duration(p.elapsed_seconds)}")
    if p.total_errors:
        parts.append(f"{p.total_errors} error(s)")
    return "  ".join(parts)


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def step_lines(p: mpb.ActivityProgress) -> list[Line]:
    """One line per step (phase): its status; the current one with its objects, rate and ETA."""
    lines = []
    for number, phase in enumerate(p.phases, start=1):
        current = phase.key == p.current_phase or phase.name == p.current_phase
        key = f"{number}. {phase.name or phase.key}"
        if current and p.status not in TERMINAL:
            total = p.objects_to_process or None
            lines.append(Line(key, p.objects_processed, total, False, phase.status, "objects"))
        else:
            done = phase.status in ("Completed", "Skipped", "Failed")
            lines.append(Line(key, 0, None, False, phase.status, "", finished=done))
    return lines


class IdentityClient:
    def __init__(self, target: str, api_key: str | None) -> None:
        self.target = target
        self._channel = grpc.aio.insecure_channel(target)
        api_key = api_key or os.environ.get("SYNCPLANE_API_KEY")
        self.md = [("x-api-key", api_key)] if api_key else []
        self.following = Following()  # what --wait follows, for the Ctrl-C message
        self.sync = identity_grpc.SynchronisationServiceStub(self._channel)
        self.activities = identity_grpc.ActivitiesServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def connected_system_id(self, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        page, matches = 1, []
        while True:
            reply = await self.sync.ListConnectedSystems(pb.ListConnectedSystemsRequest(page=page, page_size=100), metadata=self.md)
            matches += [cs.id for cs in reply.items if cs.name.lower() == ref.lower()]
            if not reply.has_next_page:
                break
            page += 1
        if not matches:
            raise ResolveError(f"no connected system is named '{ref}'")
        return matches[0]

    async def run_profile_id(self, cs_id: int, ref: str) -> int:
        if ref.isdigit():
            return int(ref)
        reply = await self.sync.ListRunProfiles(pb.ListRunProfilesRequest(connected_system_id=cs_id), metadata=self.md)
        matches = [rp.id for rp in reply.items if rp.name.lower() == ref.lower()]
        if not matches:
            raise ResolveError(f"connected system {cs_id} has no run profile named '{ref}'")
        if len(matches) > 1:
            raise ResolveError(f"connected system {cs_id} has {len(matches)} run profiles named '{ref}'; use an id")
        return matches[0]

    async def follow(self, activity_id: str, board: ProgressBoard) -> mpb.ActivityProgress:
        """Watches the activity until it ends; reconnects when the stream breaks."""
        last: mpb.ActivityProgress | None = None
        failures = 0
        while True:
            try:
                async for p in self.activities.WatchActivity(pb.WatchActivityRequest(id=activity_id), metadata=self.md):
                    last = p
                    failures = 0
                    board.update(render(p), step_lines(p))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE or failures >= 10:
                    raise
                failures += 1
                await asyncio.sleep(min(5.0, 0.5 * 2**failures))
                continue
            if last is not None and last.status in TERMINAL:
                return last


_print = out.print_json

CONNECTED_SYSTEM_COLUMNS = (
    Column("ID", "id", justify="right"), Column("NAME", "name", wrap=True), Column("CONNECTOR", "connectorName"),
    Column("STATUS", "status", out.status), Column("OBJECTS", "objectCount", out.count, justify="right"),
    Column("CREATED", "created", out.when),
)
RUN_PROFILE_COLUMNS = (
    Column("ID", "id", justify="right"), Column("NAME", "name", wrap=True), Column("RUN TYPE", "runType"),
    Column("PAGE SIZE", "pageSize", justify="right"), Column("PARTITION", "partitionName"),
)


async def run_command(args: Any, client: IdentityClient) -> int:
    try:
        return await _dispatch(client, args)
    except ResolveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except grpc.aio.AioRpcError as exc:
        return rpc_failure(exc, client.target)
    finally:
        await client.close()


async def _dispatch(client: IdentityClient, args: Any) -> int:
    md = client.md
    if args.area == "connected-systems":
        reply = await client.sync.ListConnectedSystems(
            pb.ListConnectedSystemsRequest(page=args.page, page_size=args.page_size), metadata=md)
        def more(body: dict[str, Any]) -> str | None:
            return f"page {args.page}; --page {args.page + 1} for more" if body.get("hasNextPage") else None

        out.emit(reply, args, "items", CONNECTED_SYSTEM_COLUMNS, empty="no connected systems", footer=more)
        return 0
    if args.area == "activities":
        _print(await client.activities.GetActivity(pb.GetActivityRequest(id=args.id), metadata=md))
        return 0
    cs_id = await client.connected_system_id(args.connected_system)
    if args.action == "list":
        reply = await client.sync.ListRunProfiles(pb.ListRunProfilesRequest(connected_system_id=cs_id), metadata=md)
        out.emit(reply, args, "items", RUN_PROFILE_COLUMNS, empty="no run profiles")
        return 0
    rp_id = await client.run_profile_id(cs_id, args.run_profile)
    reply = await client.sync.ExecuteRunProfile(
        pb.ExecuteRunProfileRequest(connected_system_id=cs_id, run_profile_id=rp_id), metadata=md)
    if not args.wait:
        _print(reply)
        return 0
    print(f"{reply.message} Activity {reply.activity_id}, task {reply.task_id}.", file=sys.stderr)
    for warning in reply.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return await _wait(client, reply.activity_id, args.timeout, reply.task_id)


async def _wait(client: IdentityClient, activity_id: str, timeout: float | None, task_id: str) -> int:
    board = ProgressBoard()
    started = time.monotonic()
    client.following = Following(f"activity {activity_id}", f"POST /api/v1/worker-tasks/{task_id}/cancel (REST)")
    try:
        final = await asyncio.wait_for(client.follow(activity_id, board), timeout) if timeout else await client.follow(activity_id, board)
    except TimeoutError:
        board.close()
        print(f"timed out after {time.monotonic() - started:.0f} s; activity {activity_id} is still running "
              "(it goes on: see GET /api/v1/activities/{id})", file=sys.stderr)
        return EXIT_TIMEOUT
    finally:
        board.close()  # `following` stays: after Ctrl-C, the message says what was being followed
    activity = await client.activities.GetActivity(pb.GetActivityRequest(id=activity_id), metadata=client.md)
    summary = f"activity {activity_id} {activity.status}: {activity.message}"
    if activity.HasField("error_message"):
        summary += f"; error: {activity.error_message}"
    if activity.HasField("warning_message"):
        summary += f"; warnings: {activity.warning_message}"
    print(summary, file=sys.stderr)
    return 0 if final.status in SUCCESSFUL else 1


def main_async(args: Any) -> int:
    clients: list[IdentityClient] = []  # made inside the loop; read after Ctrl-C stopped it

    async def main() -> int:
        clients.append(IdentityClient(args.server, args.api_key))
        return await run_command(args, clients[0])

    return run_client(main, lambda: clients[0].following if clients else Following())
