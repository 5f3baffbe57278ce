"""A connector that moves nothing; used by dispatch benchmarks and tests of the
engine itself, where data movement would only add noise."""

from __future__ import annotations

import asyncio

from syncplane.executor.context import RunContext


async def run(ctx: RunContext) -> None:
    delay = float(ctx.spec.get("source", {}).get("config", {}).get("sleepSeconds", 0) or 0)
    ctx.progress(phase="running")
    # Sleep in small steps so a cancel is honoured at a "batch boundary".
    deadline = asyncio.get_running_loop().time() + delay
    while asyncio.get_running_loop().time() < deadline:
        ctx.raise_if_cancelled()
        await asyncio.sleep(min(0.05, deadline - asyncio.get_running_loop().time()))
    ctx.raise_if_cancelled()
