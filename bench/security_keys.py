"""Security: keys. How long a revoked API key lives on, and how the throttle answers a key guesser.

    .venv/bin/python -m bench.security_keys [--rounds 20] [--wrong 200] [--dsn DSN]

Two server replicas (A and B, each with its REST gateway) on one PostgreSQL.
Each round makes a viewer key on one replica, has the other replica verify it
(a REST read, so the key sits in its cache) and open a gRPC WatchSyncRun with
it, then revokes it on the first. It times, from the DELETE being sent, until
(1) the other replica refuses the key (REST, polled back to back) and (2) its
open watch stream ends UNAUTHENTICATED. Rounds alternate which replica revokes.
Prints the median, p90 and max of both, and the load average.

Then `--wrong` distinct wrong keys are sent back to back to one replica's REST
API: how many got 401 before the first 429, how many 429s, the `Retry-After`
and the wall time. The poll that covers a lost NOTIFY is timed in-process: a
KeyStore that does not LISTEN, told of a revocation only by its 0.5 s poll. Writes bench/out/security_keys.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import grpc

from bench.common import create_database, embedded_postgres, percentile
from bench.fault_support import load_average, write_report
from syncplane.server.auth.keys import API_KEY, VIEWER, KeyStore, credential_id
from syncplane.server.auth.throttle import WINDOW_SECONDS
from syncplane.server.db.pool import create_pool
from syncplane.syncs.v1 import service_pb2 as pb
from syncplane.syncs.v1 import service_pb2_grpc as syncs_grpc
from tests.acceptance.conftest import make_source
from tests.acceptance.faults import create_sync
from tests.acceptance.harness import Stack


async def _refused_after(session: aiohttp.ClientSession, stack: Stack, key: str, t0: float) -> float:
    while True:
        async with session.get(stack.base + "/api/v1/syncs", headers={"X-API-Key": key}) as resp:
            await resp.read()
            # 429 too: the bench's own refusals count as failures for its client address.
            if resp.status in (401, 429):
                return time.perf_counter() - t0


async def _stream_ended_after(call: Any, t0: float) -> float:
    try:
        while True:
            if await call.read() is grpc.aio.EOF:
                raise RuntimeError("the watch ended without an error")
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise
    return time.perf_counter() - t0


async def _round(revoker: Stack, observer: Stack, channel: grpc.aio.Channel, run_id: str, session: aiohttp.ClientSession) -> tuple[float, float]:
    created = await revoker.post("/api/v1/admin/api-keys", {"name": "bench", "role": "viewer"}, expect=201)
    key, key_id = created["secret"], created["apiKey"]["id"]
    async with session.get(observer.base + "/api/v1/syncs", headers={"X-API-Key": key}) as resp:
        assert resp.status == 200, resp.status
    call = syncs_grpc.SyncsServiceStub(channel).WatchSyncRun(pb.WatchSyncRunRequest(run_id=run_id), metadata=(("x-api-key", key),))
    first = await call.read()
    assert first is not grpc.aio.EOF
    t0 = time.perf_counter()
    refused = asyncio.create_task(_refused_after(session, observer, key, t0))
    ended = asyncio.create_task(_stream_ended_after(call, t0))
    await revoker.request("DELETE", f"/api/v1/admin/api-keys/{key_id}", expect=204)
    return await asyncio.wait_for(refused, 30), await asyncio.wait_for(ended, 30)


async def _poll_fallback(dsn: str, rounds: int) -> list[float]:
    """The path for a lost NOTIFY: a KeyStore that does not LISTEN, only polls (every POLL_SECONDS, as a
    server does), learning of a revocation made through another store; time until its stream event fires."""
    pool_a, pool_b = await create_pool(dsn), await create_pool(dsn)
    store_a, store_b = KeyStore(pool_a), KeyStore(pool_b)
    poll = asyncio.create_task(store_b.watch_revocations())
    delays: list[float] = []
    try:
        for _ in range(rounds):
            row, secret = await store_a.create_api_key("bench-poll", VIEWER)
            assert await store_b.verify_api_key(secret) is not None
            with store_b.live.track(credential_id(API_KEY, secret)) as revoked:
                t0 = time.perf_counter()
                await store_a.revoke_api_key(row["id"])
                await asyncio.wait_for(revoked.wait(), 30)
                delays.append(time.perf_counter() - t0)
    finally:
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
        await pool_a.close()
        await pool_b.close()
    return delays


async def _throttle(stack: Stack, count: int) -> dict[str, Any]:
    statuses: list[int] = []
    retry_after: set[str] = set()
    async with aiohttp.ClientSession() as session:
        t0 = time.perf_counter()
        for i in range(count):
            async with session.get(stack.base + "/api/v1/syncs", headers={"X-API-Key": f"sp_guess_{i:06d}"}) as resp:
                await resp.read()
                statuses.append(resp.status)
                if resp.status == 429:
                    retry_after.add(resp.headers.get("Retry-After", "-"))
        elapsed = time.perf_counter() - t0
    first_429 = statuses.index(429) if 429 in statuses else len(statuses)
    return {
        "sent": count, "401_before_429": first_429, "401_total": statuses.count(401),
        "429_total": statuses.count(429), "other": len(statuses) - statuses.count(401) - statuses.count(429),
        "retry_after": ",".join(sorted(retry_after)) or "-", "seconds": elapsed,
    }


async def main(rounds: int, wrong: int, dsn: str | None) -> None:
    with embedded_postgres(dsn) as root:
        db = await create_database(root, "bench_security_keys")
        source = await create_database(root, "bench_security_keys_source")
        await make_source(source, 10)
        log_dir = Path(tempfile.mkdtemp(prefix="syncplane-bench-logs-"))
        # The watched run's source is the local PostgreSQL: let the egress policy allow loopback.
        env = {"SYNCPLANE_LOG_LEVEL": "WARNING", "SYNCPLANE_EGRESS_ALLOW": "127.0.0.0/8,::1,localhost"}
        a = Stack(database_url=db, log_dir=log_dir, env=env)
        await a.start(executors=0)
        b = a.replica("server-b")
        await b.start_server()
        try:
            sync_id = await create_sync(a, source, table="orders", dest_table="orders_copy")
            run = await a.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})  # stays pending: no executors
            refused: list[float] = []
            ended: list[float] = []
            async with aiohttp.ClientSession() as session:
                channels = {id(a): grpc.aio.insecure_channel(a.grpc_target), id(b): grpc.aio.insecure_channel(b.grpc_target)}
                try:
                    for i in range(rounds):
                        revoker, observer = (a, b) if i % 2 == 0 else (b, a)
                        r, e = await _round(revoker, observer, channels[id(observer)], run["id"], session)
                        refused.append(r)
                        ended.append(e)
                finally:
                    for channel in channels.values():
                        await channel.close()
            load = load_average()
            polled = await _poll_fallback(db, max(3, rounds // 4))
            # Each round's refusal was a failure from this client: let the bucket refill first.
            await asyncio.sleep(WINDOW_SECONDS)
            throttle = await _throttle(b, wrong)
        finally:
            await b.stop()
            await a.stop()

    def ms(values: list[float]) -> str:
        return (f"median {statistics.median(values) * 1000:.1f} ms, p90 {percentile(values, 90) * 1000:.1f} ms, "
                f"max {max(values) * 1000:.1f} ms")

    report = "\n".join([
        "# Security: keys",
        "",
        f"Revocation, {rounds} rounds alternating A→B / B→A (load average {load}):",
        f"- other replica refuses the key (REST): {ms(refused)}",
        f"- open gRPC watch on the other replica ends UNAUTHENTICATED: {ms(ended)}",
        f"- without NOTIFY (a KeyStore that only polls, {len(polled)} rounds): {ms(polled)}",
        "",
        f"Throttle, {throttle['sent']} distinct wrong keys back to back on one replica's REST API:",
        f"- 401 before the first 429: {throttle['401_before_429']} (401 in all: {throttle['401_total']}), "
        f"429: {throttle['429_total']}, other: {throttle['other']}, Retry-After: {throttle['retry_after']}, "
        f"{throttle['seconds']:.2f} s",
    ])
    print(report)
    write_report("security_keys", report)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--wrong", type=int, default=200)
    parser.add_argument("--dsn", help="a PostgreSQL to use (default: an embedded one)")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.wrong, args.dsn))
