"""Fault: the control-plane PostgreSQL (also the destination data store) is
restarted under load.

The test starts its own embedded PostgreSQL (pgserver on a new directory, not
the shared one), runs a server and executors on it, and stops PostgreSQL with
`pg_ctl stop -m fast` for a few seconds while an executor is paused at a
failpoint after a random number of committed batches (so the run is certainly
going, whatever the machine's speed). While it is down every REST
request must answer 503 with `Retry-After` (never 500, never hang); once it is
back the server and the executors must recover by themselves (nobody
restarts them): ready again, the interrupted run ends (no run stays
`running`), and new runs load exactly the source rows.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from syncplane.server.db.dsn import with_database
from tests.acceptance.faults import (
    Failpoints,
    assert_exact_rows,
    create_sync,
    describe,
    fault_rng,
    fault_stack,
    log_events,
    make_source,
    run_chain,
    table_rows,
)
from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance

ROWS = 20_000
PAGE = 250  # 80 batches
POINT = "executor.batch.committed"


class OwnPostgres:
    """A dedicated pgserver instance this test may stop and start."""

    def __init__(self) -> None:
        import pgserver

        # Not pytest's tmp dir: as root, pgserver runs postgres as its own user.
        self.server = pgserver.get_server(tempfile.mkdtemp(prefix="syncplane-fault-pg-"), cleanup_mode="delete")
        self.uri = self.server.get_uri()

    def stop(self) -> None:
        from pgserver import _commands

        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=30)  # type: ignore[attr-defined]

    def start(self) -> None:
        # pgserver starts it again on the same socket directory (same DSN) and
        # refreshes its handle, so cleanup stops the new postmaster.
        self.server.ensure_postgres_running()
        assert self.server.get_uri() == self.uri

    def cleanup(self) -> None:
        self.server.cleanup()


@pytest.fixture
def own_pg() -> Iterator[OwnPostgres]:
    pg = OwnPostgres()
    try:
        yield pg
    finally:
        pg.cleanup()


async def _create_db(root: str, name: str) -> str:
    conn = await asyncpg.connect(root)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(root, name)


async def _probe(stack: Stack, method: str, path: str, body: Any = None) -> tuple[str, int | str, str | None, str]:
    assert stack.session is not None
    try:
        async with stack.session.request(
            method, stack.base + path, json=body, timeout=aiohttp.ClientTimeout(total=5)
        ) as resp:
            text = await resp.text()
            return (f"{method} {path}", resp.status, resp.headers.get("Retry-After"), text[:160])
    except TimeoutError:
        return (f"{method} {path}", "hung", None, "")
    except aiohttp.ClientError as exc:
        return (f"{method} {path}", f"connection error {type(exc).__name__}", None, "")


async def test_postgres_restart_under_load(own_pg: OwnPostgres, second_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("postgres_restart")
    dsn = await _create_db(own_pg.uri, "syncplane_ctl")
    await make_source(second_dsn, ROWS, table="orders")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{rng.randrange(2, ROWS // PAGE // 2)}*pause"})
    async with fault_stack(dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, second_dsn, table="orders", dest_table="pg_restart", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(POINT)

        outage = rng.uniform(2.0, 4.0)
        print(f"stopping PostgreSQL for {outage:.1f}s")
        t0 = time.monotonic()
        await asyncio.to_thread(own_pg.stop)
        fp.release(POINT)  # the run goes on into the outage
        probes = []
        # The outage's length is the shape of the harm; the probes run throughout it.
        while time.monotonic() - t0 < outage:
            probes += await asyncio.gather(
                _probe(stack, "GET", f"/api/v1/syncs/{sync_id}"),
                _probe(stack, "GET", f"/api/v1/syncs/runs/{run['id']}"),
                _probe(stack, "GET", "/api/v1/syncs"),
                _probe(stack, "POST", f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"}),
                _probe(stack, "POST", f"/api/v1/syncs/runs/{run['id']}/cancel", {"reason": "db down"}),
            )
            await asyncio.sleep(0.2)
        await asyncio.to_thread(own_pg.start)
        print(f"PostgreSQL back after {time.monotonic() - t0:.1f}s; {len(probes)} requests during the outage")
        for p in sorted(set((p[0], p[1], p[2]) for p in probes)):
            print("  ", p)
        assert stack.server is not None
        if not stack.server.alive:
            died = [e for e in log_events(stack.server, "server.task_died")]
            evidence = "; ".join(f"{e['task']}: {e.get('exception', '').strip().splitlines()[-1]}" for e in died)
            raise AssertionError(f"the server exited during the outage: {evidence or stack.server.log()[-2000:]}")
        bad = [p for p in probes if p[1] != 503 or not p[2]]
        assert not bad, f"{len(bad)} of {len(probes)} requests during the outage were not 503 + Retry-After: {bad[:5]}"

        # Everything recovers by itself.
        await stack.wait_http(lambda status, body: status == 200, "/readyz", timeout=30)
        assert stack.server.alive, "the server exited"
        assert all(p.alive for p in stack.executors), "an executor exited"
        chain_end = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(f"interrupted run: {describe(chain)}; error {chain[-1].get('error')}")
        # An outage of the control plane is nobody's fault: the run is resumed.
        assert chain_end["status"] == "succeeded", describe(chain)
        stuck = await table_rows(dsn, "SELECT id, status FROM syncplane.runs WHERE status IN ('pending', 'running', 'cancelling')")
        assert not stuck, stuck

        after = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        final = await stack.wait_chain(after["id"], timeout=120)
        assert final["status"] == "succeeded", describe(await run_chain(stack, after["id"]))
        await assert_exact_rows(second_dsn, dsn, "orders", "pg_restart")
        assert not log_events(stack.server, "rpc.internal_error"), "internal errors during the outage"


async def test_source_postgres_restart_is_resumed(own_pg: OwnPostgres, fresh_dsn: str, tmp_path: Path) -> None:
    rng = fault_rng("source_postgres_restart")
    source = await _create_db(own_pg.uri, "source")
    await make_source(source, ROWS, table="orders")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{rng.randrange(2, ROWS // PAGE // 2)}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await create_sync(stack, source, table="orders", dest_table="src_restart", page_size=PAGE)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        await fp.wait_hit(POINT)
        current = await stack.get(f"/api/v1/syncs/runs/{run['id']}")
        assert current["status"] == "running", current
        await asyncio.to_thread(own_pg.stop)
        fp.release(POINT)  # the run goes on into the outage
        await asyncio.sleep(rng.uniform(0.5, 1.5))  # the outage's length: the shape of the harm
        await asyncio.to_thread(own_pg.start)
        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        assert final["status"] == "succeeded", f"{describe(chain)}; error: {chain[-1].get('error')}"
        await assert_exact_rows(source, fresh_dsn, "orders", "src_restart")
