"""`/readyz?without=executors`: readiness for a probe that must not wait for executors (Kubernetes
replicas behind a Service that executors dial); the other checks still decide, and all are shown."""

from __future__ import annotations

from tests.unit.gateway_support import Harness


async def test_a_check_left_out_does_not_decide(gw: Harness) -> None:
    gw.checks = {"database": True, "grpc": True, "executors": False}
    assert (await gw.client.get("/readyz")).status == 503
    resp = await gw.client.get("/readyz?without=executors")
    assert resp.status == 200
    assert await resp.json() == {"ready": True, "checks": gw.checks, "ignored": ["executors"]}


async def test_the_other_checks_still_decide(gw: Harness) -> None:
    gw.checks = {"database": False, "grpc": True, "executors": False}
    resp = await gw.client.get("/readyz?without=executors,nonsense")
    assert resp.status == 503
    assert await resp.json() == {"ready": False, "checks": gw.checks, "ignored": ["executors"]}
