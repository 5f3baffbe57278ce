"""Fault: the network between an executor and the server is cut (through a TCP proxy).

Each executor dials the server through its own `TcpProxy`. While the running
executor is paused at a failpoint (after a random number of committed batches,
or just assigned), its link is either reset and refused (a cut cable that
answers with RST), reset but reconnectable at once (a blip), or stalled
(packets silently dropped, nobody sees a reset); short (until the server saw
the stream end, or half a lease for a stall) or long (until the server failed
the attempt). Afterwards: the executor is connected again and alive (a crash
fails the test), no two attempts of a run ever loaded at the same time
(executor logs) nor were two runs of one sync active at once (run rows), a
superseded attempt was stopped on its executor, and the destination holds
exactly the source rows.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.acceptance.faults import (
    ActiveRunMonitor,
    Failpoints,
    append_rows_check,
    assert_exact_rows,
    attempts_overlap,
    create_sync,
    describe,
    executor_crash,
    fault_rng,
    fault_stack,
    log_events,
    make_source,
    run_chain,
    table_rows,
    wait_for,
)
from tests.acceptance.tcp_proxy import TcpProxy

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 500  # 40 batches


async def test_tcp_proxy_cut_stall_restore() -> None:
    """The proxy itself: forwards, resets, refuses, stalls and restores."""
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    proxy = await TcpProxy("127.0.0.1", server.sockets[0].getsockname()[1]).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.read(4), 2) == b"ping"

        proxy.stall()
        writer.write(b"held")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(4), 0.3)
        proxy.resume()
        assert await asyncio.wait_for(reader.read(4), 2) == b"held"

        assert await proxy.cut() == 1
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            data = await asyncio.wait_for(reader.read(4), 2)
            if not data:
                raise ConnectionResetError("EOF")
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", proxy.port)

        await proxy.restore()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"back")
        assert await asyncio.wait_for(reader.read(4), 2) == b"back"
        writer.close()
        assert proxy.stats.accepted == 2 and proxy.stats.reset == 1
    finally:
        await proxy.close()
        server.close()


@pytest.mark.parametrize("kind", ["reset", "blip", "stall"])
async def test_network_cut_between_executor_and_server(kind: str, fresh_dsn: str, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng(f"network_{kind}")
    await make_source(second_dsn, ROWS, table="orders")
    mode = rng.choice(["upsert", "replace", "append_event"])
    long = kind != "blip" and rng.random() < 0.6
    nth = 0 if rng.random() < 0.2 else rng.randrange(2, ROWS // PAGE - 5)
    point = "executor.run.started" if nth == 0 else "executor.batch.committed"
    print(f"{mode}: {'long' if long else 'short'} {kind} at {point} #{max(nth, 1)}")
    fp = Failpoints(tmp_path / "failpoints", {point: f"{max(nth, 1)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=0) as stack:
        proxies: dict[str, TcpProxy] = {}
        for name in ("executor-0", "executor-1"):
            proxies[name] = await TcpProxy("127.0.0.1", stack.grpc_port).start()
            await stack.start_executor(name=name, server=proxies[name].address, env=fp.env(name))
        await stack.wait_http(lambda status, body: status == 200, "/readyz")
        assert stack.server is not None
        try:
            async with ActiveRunMonitor(fresh_dsn) as monitor:
                dest = f"net_{mode}"
                t_iter = time.monotonic()
                sync_id = await create_sync(stack, second_dsn, table="orders", dest_table=dest, load_mode=mode, page_size=PAGE)
                run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
                victim = await fp.wait_hit(point)
                fp.release(point, but=victim)
                proxy = proxies[victim]
                proc = next(p for p in stack.executors if p.name == victim)
                connects = len(log_events(proc, "executor.connected"))
                gone = len(log_events(stack.server, "executor.disconnected", executor_id=victim))

                async def server_noticed() -> bool:
                    return len(log_events(stack.server, "executor.disconnected", executor_id=victim)) > gone

                async def attempt_failed() -> bool:
                    return (await stack.get(f"/api/v1/syncs/runs/{run['id']}"))["status"] == "failed"

                if kind == "stall":
                    proxy.stall()
                    if long:
                        await wait_for(attempt_failed, 60, "the server fails the stalled attempt")
                    else:
                        # The shape of the harm (well within a lease), not a wait for something.
                        await asyncio.sleep(0.5)
                    proxy.resume()
                else:
                    await proxy.cut(refuse=kind == "reset")
                    if kind == "reset":
                        await wait_for(attempt_failed if long else server_noticed, 60, "the outage is seen")
                    await proxy.restore()

                    async def reconnected() -> bool:
                        return not proc.alive or len(log_events(proc, "executor.connected")) > connects
                    await wait_for(reconnected, 60, f"{victim} reconnects through the restored link")
                    assert proc.alive, f"{victim} exited on the reset: {executor_crash(proc)}"
                fp.release(point)

                final = await stack.wait_chain(run["id"], timeout=120)
                chain = await run_chain(stack, run["id"])
                print(f"  chain: {describe(chain)} ({time.monotonic() - t_iter:.1f}s)")
                assert final["status"] == "succeeded", describe(chain)
                overlap = attempts_overlap(stack.executors, chain)
                assert not overlap, overlap

                # A superseded attempt did not keep running on the cut-off executor.
                for attempt in chain[:-1]:
                    owner = next(p for p in stack.executors if p.name == attempt["executorId"])

                    async def stopped(attempt=attempt, owner=owner) -> bool:  # type: ignore[no-untyped-def]
                        return any(
                            e.get("run_id") == attempt["id"] and e["event"] in ("run.abandoned", "run.fenced", "run.ended")
                            for e in log_events(owner)
                        )
                    await wait_for(stopped, 60, f"{owner.name} stops superseded attempt #{attempt['attemptNumber']}")

                if mode == "append_event":
                    missing, dupes = await append_rows_check(second_dsn, fresh_dsn, "orders", dest)
                    assert not missing, f"{len(missing)} events lost"
                    assert dupes == 0, f"{dupes} events loaded twice ({describe(chain)})"
                else:
                    await assert_exact_rows(second_dsn, fresh_dsn, "orders", dest)
            assert monitor.samples > 0
            assert not monitor.violations, monitor.violations[:5]
            stuck = await table_rows(fresh_dsn, "SELECT id, status FROM syncplane.runs WHERE status IN ('pending', 'running', 'cancelling')")
            assert not stuck, stuck
            dead = [executor_crash(p) for p in stack.executors if not p.alive]
            assert not dead, dead
        finally:
            for proxy in proxies.values():
                await proxy.close()
