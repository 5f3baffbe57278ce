"""`syncplane executor`: run one executor process until stopped.

SIGTERM or SIGINT drains it: no new work, running attempts finish, then it
leaves; a second signal stops it at once.
"""

from __future__ import annotations

import asyncio
import signal

import structlog

from syncplane import telemetry
from syncplane.executor.runner import Executor, ExecutorConfig

log = structlog.get_logger(__name__)


async def run_executor(config: ExecutorConfig) -> None:
    # Off unless OTEL_* variables turn it on; then each attempt's spans join the server's trace.
    telemetry.configure("syncplane-executor")
    executor = Executor(config)
    loop = asyncio.get_running_loop()
    signals = {"count": 0}

    def on_signal() -> None:
        signals["count"] += 1
        if signals["count"] == 1:
            asyncio.ensure_future(executor.drain())
        else:
            executor.stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    log.info("executor.starting", executor_id=config.executor_id, server=config.server, group=config.group, slots=config.slots)
    try:
        await executor.run()
    finally:
        telemetry.shutdown()  # flushes the spans still buffered
    log.info("executor.stopped", executor_id=config.executor_id)
