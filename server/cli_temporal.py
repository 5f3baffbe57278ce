"""`syncplane temporal-worker`: the command that runs Temporal workers for
syncplane attempts (executor/backends/temporal_worker.py)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from syncplane.temporal_contract import DEFAULT_TASK_QUEUE

COMMAND = "temporal-worker"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private class is generic only in the stubs
    p = sub.add_parser(COMMAND, help="a Temporal worker running syncplane attempts (the `temporal` extra)")
    p.add_argument("--address", default=os.environ.get("SYNCPLANE_TEMPORAL_ADDRESS", "127.0.0.1:7233"),
                   help="Temporal frontend host:port (or SYNCPLANE_TEMPORAL_ADDRESS)")
    p.add_argument("--namespace", default=os.environ.get("SYNCPLANE_TEMPORAL_NAMESPACE", "default"))
    p.add_argument("--task-queue", default=os.environ.get("SYNCPLANE_TEMPORAL_TASK_QUEUE", DEFAULT_TASK_QUEUE),
                   help="the queue to poll: a sync's executionConfig.taskQueue, or the server's default")
    p.add_argument("--server", default=os.environ.get("SYNCPLANE_SERVER", "127.0.0.1:50051"),
                   help="gRPC address of the syncplane control plane (comma-separated replicas allowed)")
    p.add_argument("--token", default=os.environ.get("SYNCPLANE_EXECUTOR_TOKEN"),
                   help="an executor token (or SYNCPLANE_EXECUTOR_TOKEN); never passed through Temporal")
    p.add_argument("--slots", type=int, default=4, help="attempts run at once")
    p.add_argument("--drain-seconds", type=float, default=60.0,
                   help="on SIGTERM, how long running attempts may finish before Temporal retries them elsewhere")


def main(args: argparse.Namespace) -> int:
    if not args.token:
        print("syncplane temporal-worker: --token or SYNCPLANE_EXECUTOR_TOKEN is required", file=sys.stderr)
        return 2
    try:
        from syncplane.executor.backends.temporal_worker import TemporalWorkerConfig, run_worker
    except ImportError as exc:
        print(f"syncplane temporal-worker: {exc}; install the extra: pip install 'syncplane[temporal]'", file=sys.stderr)
        return 2
    config = TemporalWorkerConfig(
        address=args.address, server=args.server, token=args.token, namespace=args.namespace,
        task_queue=args.task_queue, slots=args.slots, drain_seconds=args.drain_seconds,
    )
    return asyncio.run(run_worker(config))


__all__ = ["COMMAND", "add_parser", "main"]
