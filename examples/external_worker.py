"""An outside worker for syncplane's `external` execution backend, over plain HTTP.

It claims pending runs of `external` syncs (optionally of one queue: a sync's
`executionConfig.queue`), runs each with syncplane's own connector code (the
same code, fence and checkpoint as a native executor), sends a heartbeat with
its progress, checkpoints and its own run reference and link every half
second, and finishes the attempt. An orchestrator (an Airflow task, a Dagster
op, a cron job) runs this, or its own version of it: the four REST calls below
are the whole contract (docs/external-worker.md).

    python examples/external_worker.py --server http://127.0.0.1:8080 \
        --token "$SYNCPLANE_EXECUTOR_TOKEN" --queue nightly

If it dies mid-run its heartbeats stop, the lease runs out, and syncplane ends
the attempt `heartbeat_timeout` and queues the next one (it resumes from the
destination's checkpoint) for the next claim.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from typing import Any

import httpx

from syncplane.executor.connectors import registry
from syncplane.executor.context import RunContext
from syncplane.executor.execute import execute

ATTEMPTS = "/api/v1/external/attempts"
OUTCOMES = {"succeeded": "ATTEMPT_OUTCOME_SUCCEEDED", "failed": "ATTEMPT_OUTCOME_FAILED", "cancelled": "ATTEMPT_OUTCOME_CANCELLED"}
FAILED_PRECONDITION = 9  # google.rpc.Code: the attempt is no longer this worker's


class Stale(Exception):
    """syncplane refused the attempt's token: a newer attempt owns the run."""


class Reporter:
    """Where the connector's checkpoints wait for the next heartbeat."""

    def __init__(self) -> None:
        self.checkpoints: list[dict[str, Any]] = []

    def report_progress(self, ctx: RunContext) -> None:
        pass  # counters are read from ctx at each heartbeat

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints.append(state)


async def call(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(path, json=body)
    if response.status_code == 400 and response.json().get("code") == FAILED_PRECONDITION:
        raise Stale(response.json().get("message", ""))
    response.raise_for_status()
    return dict(response.json())


def backend(ctx: RunContext, ref: str, url: str) -> dict[str, Any]:
    """This worker's own view of the run, shown on it in syncplane."""
    return {
        "backendRunRef": ref, "backendRunUrl": url,
        "backendStatus": {"worker": socket.gethostname(), "pid": os.getpid(), "phase": ctx.phase},
    }


async def heartbeat(http: httpx.AsyncClient, ctx: RunContext, reporter: Reporter, ref: str, url: str) -> bool:
    """One heartbeat (renews the lease); True when a cancel was requested."""
    body: dict[str, Any] = {
        "attemptToken": str(ctx.token),
        "phase": ctx.phase, "message": ctx.message,
        "rowsRead": str(ctx.rows_read), "rowsWritten": str(ctx.rows_written),
        **backend(ctx, ref, url),
    }
    checkpoint = reporter.checkpoints[0] if reporter.checkpoints else None
    if checkpoint is not None:
        body["checkpoint"] = checkpoint
    answer = await call(http, f"{ATTEMPTS}/{ctx.run_id}/heartbeat", body)
    if checkpoint is not None:
        reporter.checkpoints.pop(0)
    return bool(answer.get("cancelRequested"))


#: syncplane's connectors, imported once at start (not on the first attempt's clock).
CONNECTORS = registry()


async def run_one(
    http: httpx.AsyncClient, plan: dict[str, Any], ref: str, url: str, busy: set[str], slot_freed: asyncio.Event
) -> str:
    """Runs one claimed attempt; it leaves `busy` (its slot is free) once its
    connector is done, while its result is still being sent."""
    reporter = Reporter()
    ctx = RunContext(
        run_id=plan["runId"], root_run_id=plan.get("rootRunId") or plan["runId"], token=int(plan["attemptToken"]),
        attempt_number=int(plan.get("attemptNumber", 1)), kind=plan["kind"], spec=plan.get("spec") or {},
        secrets=plan.get("secrets") or {}, checkpoint=plan.get("checkpoint") or {}, reporter=reporter,
    )
    work = asyncio.create_task(execute(ctx, CONNECTORS.get(plan["connector"])))
    try:
        # The claim started the lease: the first heartbeat is due half a second in.
        while not (await asyncio.wait([work], timeout=0.5))[0]:
            try:
                if await heartbeat(http, ctx, reporter, ref, url) and not ctx.cancel_event.is_set():
                    print(f"run {ctx.run_id}: cancel requested", flush=True)
                    ctx.cancel_reason = "cancel requested"
                    ctx.cancel_event.set()  # the connector stops at its next batch boundary
            except Stale:
                work.cancel()  # the destination's fence keeps any late write out
                return "abandoned"
            except httpx.HTTPError as exc:  # syncplane away for a moment: keep working
                print(f"heartbeat failed: {exc!r}", flush=True)
        ended = work.result()
    finally:
        busy.discard(ctx.run_id)
        slot_freed.set()
        if not work.done():
            work.cancel()
    if ended is None:
        return "fenced"
    result = {
        "attemptToken": str(ctx.token), "outcome": OUTCOMES[ended.outcome],
        "error": ended.error, "reasonCode": ended.reason_code, "summary": ctx.summary(), **backend(ctx, ref, url),
    }
    # syncplane may be restarting: the result is retried within the lease's reach
    # (a finish sent twice is answered twice); if it never lands, the lease runs
    # out and the next attempt resumes from the destination's checkpoint.
    for delay in (0, 0.2, 0.5, 1, 2, 4, 8):
        await asyncio.sleep(delay)
        try:
            while reporter.checkpoints:  # the last checkpoints before the result
                await heartbeat(http, ctx, reporter, ref, url)
            await call(http, f"{ATTEMPTS}/{ctx.run_id}/finish", result)
            return ended.outcome
        except httpx.HTTPError as exc:
            print(f"finish failed: {exc!r}", flush=True)
    return "unrecorded"


async def main(args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {args.token}"}
    running: set[asyncio.Task[None]] = set()
    busy: set[str] = set()  # runs whose connector is running: one slot each
    slot_freed = asyncio.Event()
    count = 0
    # A claim may wait `--wait` seconds for work: the read timeout leaves room for it.
    timeout = httpx.Timeout(10, read=args.wait + 10)
    async with httpx.AsyncClient(base_url=args.server, headers=headers, timeout=timeout) as http:

        async def attempt(plan: dict[str, Any], ref: str) -> None:
            try:
                outcome = await run_one(http, plan, ref, args.run_url.format(ref=ref), busy, slot_freed)
                print(f"run {plan['runId']} attempt {plan['attemptToken']}: {outcome}", flush=True)
            except (Stale, httpx.HTTPError) as exc:
                print(f"run {plan['runId']}: {exc!r}", flush=True)

        while True:
            free = args.slots - len(busy)
            if free <= 0:
                slot_freed.clear()
                await slot_freed.wait()  # every slot busy: claim again when one frees
                continue
            try:
                # A long poll: syncplane answers as soon as a run is queued, or after --wait seconds.
                body = await call(http, f"{ATTEMPTS}:claim", {
                    "workerId": args.worker_id, "queue": args.queue, "max": free, "waitSeconds": args.wait,
                })
            except httpx.HTTPError as exc:
                print(f"claim failed: {exc!r}", flush=True)
                await asyncio.sleep(1)  # syncplane away for a moment
                continue
            for plan in body.get("attempts", []):
                count += 1
                busy.add(plan["runId"])
                print(f"claimed run {plan['runId']} attempt {plan['attemptToken']}", flush=True)
                task = asyncio.create_task(attempt(plan, f"{args.worker_id}-{count}"))
                running.add(task)
                task.add_done_callback(running.discard)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", default=os.environ.get("SYNCPLANE_URL", "http://127.0.0.1:8080"))
    p.add_argument("--token", default=os.environ.get("SYNCPLANE_EXECUTOR_TOKEN"), help="an executor token")
    p.add_argument("--queue", default="", help="claim only runs of this queue (default: any)")
    p.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}")
    p.add_argument("--slots", type=int, default=1, help="attempts run at once")
    p.add_argument("--wait", type=float, default=20.0,
                   help="seconds a claim waits for work when nothing is pending (syncplane waits at most 30)")
    p.add_argument("--run-url", default="", help="this orchestrator's link for a run, {ref} filled in")
    args = p.parse_args()
    if not args.token:
        p.error("an executor token is needed (--token or SYNCPLANE_EXECUTOR_TOKEN)")
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
