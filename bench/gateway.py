"""Gateway: the same GET (one sync) through REST and through gRPC, in one run.

    python -m bench.gateway [--seconds 5] [--concurrency 16]

Both clients are Python asyncio clients in this process, with the same
concurrency, against one server process; the ratio is what matters.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import grpc

from bench.common import create_database, embedded_postgres, running_stack
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc
from tests.acceptance.harness import ADMIN_KEY


async def _load(call: Callable[[], Awaitable[None]], seconds: float, concurrency: int) -> float:
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await call()
            count += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - t0)


async def main(seconds: float, concurrency: int) -> dict[str, float]:
    with embedded_postgres() as root:
        control = await create_database(root, "bench_gateway")
        async with running_stack(control, executors=0, slots=1) as stack:
            conn = await stack.post("/api/v1/connections", {"name": "c", "providerKey": "postgres", "config": {"dsn": "postgresql://x@h/db"}}, expect=201)
            sync = await stack.post("/api/v1/syncs", {"connectionId": conn["id"], "name": "bench", "entities": ["a", "b"]}, expect=201)
            url = f"{stack.base}/api/v1/syncs/{sync['id']}"
            md = [("x-api-key", ADMIN_KEY)]
            connector = aiohttp.TCPConnector(limit=concurrency)
            async with aiohttp.ClientSession(connector=connector, headers={"X-API-Key": ADMIN_KEY}) as http, \
                    grpc.aio.insecure_channel(stack.grpc_target) as channel:
                stub = service_pb2_grpc.SyncsServiceStub(channel)
                request = pb.GetSyncRequest(sync_id=sync["id"])

                async def rest() -> None:
                    async with http.get(url) as resp:
                        assert resp.status == 200
                        await resp.read()

                async def rpc() -> None:
                    await stub.GetSync(request, metadata=md)

                await _load(rest, 1.0, concurrency)  # warm-up
                await _load(rpc, 1.0, concurrency)
                grpc_rps = await _load(rpc, seconds, concurrency)
                rest_rps = await _load(rest, seconds, concurrency)
    return {"rest_rps": rest_rps, "grpc_rps": grpc_rps, "ratio": rest_rps / grpc_rps}


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    r = asyncio.run(main(args.seconds, args.concurrency))
    print("| REST req/s | gRPC req/s | REST / gRPC |")
    print("|---|---|---|")
    print(f"| {r['rest_rps']:.0f} | {r['grpc_rps']:.0f} | {r['ratio']:.2f} |")


if __name__ == "__main__":
    cli()
