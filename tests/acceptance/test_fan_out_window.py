"""executionMode fan_out_window through the REST API with real server and executor
processes: an executor SIGKILLed in the middle of a windowed load (paused at a
failpoint after a random number of committed batches, so the run is certainly
going), and the validation of the mode and its windowSize."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.faults import (
    Failpoints,
    assert_exact_rows,
    attempts_overlap,
    describe,
    executor_named,
    fault_rng,
    fault_stack,
    make_source,
    run_chain,
    wait_for,
)
from tests.acceptance.harness import Stack

pytestmark = pytest.mark.acceptance

ROWS = 100_000
PAGE = 1_000
POINT = "executor.batch.committed"


async def _windowed_sync(stack: Stack, source_dsn: str, dest_table: str, mode: str) -> str:
    connection = await stack.post(
        "/api/v1/connections",
        {"name": "windowed source", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"],
            "name": f"orders to {dest_table}",
            "entities": ["orders"],
            "executionMode": "fan_out_window",
            "executionConfig": {"pageSize": PAGE, "maxParallelism": 2, "windowSize": 10_000},
            "tableBindings": [
                {"entityKey": "orders", "tableName": dest_table, "primaryKeyColumns": ["id"],
                 "cursorField": "updated_at", "loadMode": mode}
            ],
        },
        expect=201,
    )
    assert sync["executionMode"] == "fan_out_window"
    return str(sync["id"])


@pytest.mark.parametrize("mode", ["upsert", "replace"])
async def test_a_killed_windowed_run_resumes_its_unfinished_windows(
    fresh_dsn: str, second_dsn: str, tmp_path: Path, mode: str
) -> None:
    rng = fault_rng(f"fan_out_window_{mode}")
    await make_source(second_dsn, ROWS, table="orders")
    # The n-th batch committed by the executor, in whichever window: that window
    # pauses there, the other goes on (the run cannot end meanwhile).
    nth = rng.randrange(20, 60)
    print(f"{mode}: kill at {POINT} #{nth}")
    fp = Failpoints(tmp_path / "failpoints", {POINT: f"{nth}*pause"})
    async with fault_stack(fresh_dsn, tmp_path, executors=2, failpoints=fp) as stack:
        sync_id = await _windowed_sync(stack, second_dsn, f"windowed_{mode}", mode)
        run = await stack.post(f"/api/v1/syncs/{sync_id}/trigger", {"runMode": "full"})
        victim = executor_named(stack, await fp.wait_hit(POINT))

        # The batches committed before the paused ones have reached the server:
        # all but the (at most two, one per window in flight) paused batches,
        # each a full PAGE but a finished window's last (up to ten short ones).
        least = (nth - 2 - 10) * PAGE
        seen: dict = {}  # type: ignore[type-arg]

        async def reported() -> dict | None:  # type: ignore[type-arg]
            seen.update(await stack.get(f"/api/v1/syncs/runs/{run['id']}"))
            return seen if seen["summary"].get("rowsWritten", 0) >= least else None
        try:
            current = await wait_for(reported, 60, f"{least} rows reported")
        except TimeoutError:
            raise AssertionError(f"{least} rows not reported: {seen}") from None
        assert current["status"] == "running" and current["executorId"] == victim.name, current
        at_rows = int(current["summary"]["rowsWritten"])
        await victim.kill()
        fp.release(POINT)
        await stack.start_executor(name="executor-replacement")

        final = await stack.wait_chain(run["id"], timeout=120)
        chain = await run_chain(stack, run["id"])
        print(describe(chain))
        assert final["status"] == "succeeded", describe(chain)
        assert len(chain) >= 2 and chain[1]["triggeredBy"] == "auto_resume"
        assert not attempts_overlap(stack.executors, chain)
        # The resume read only what the killed attempt had not committed.
        assert final["summary"]["rowsRead"] < ROWS - at_rows + 10_000, final["summary"]
        windows = final["summary"]["detail"]["windows"]["orders"]
        assert windows["count"] == 10 and windows["done"] == 10
        await assert_exact_rows(second_dsn, fresh_dsn, "orders", f"windowed_{mode}")


async def test_fan_out_window_is_validated(api_stack: Stack) -> None:
    pg = await api_stack.post(
        "/api/v1/connections",
        {"name": "pg", "providerKey": "postgres", "config": {"dsn": "postgresql://u@127.0.0.1:1/db"}}, expect=201,
    )
    bad_size = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": pg["id"], "name": "w", "executionMode": "fan_out_window",
         "executionConfig": {"windowSize": -5}},
        expect=422,
    )
    assert ["body", "executionConfig", "windowSize"] in [d["loc"] for d in bad_size["detail"]]

    api = await api_stack.post(
        "/api/v1/connections",
        {"name": "api", "providerKey": "http_api", "config": {"baseUrl": "http://127.0.0.1:1/"}}, expect=201,
    )
    refused = await api_stack.post(
        "/api/v1/syncs",
        {"connectionId": api["id"], "name": "w", "executionMode": "fan_out_window"},
        expect=422,
    )
    assert refused["detail"][0]["loc"] == ["body", "executionMode"]
    assert "not supported by the HTTP API source" in refused["detail"][0]["msg"]
    # Refused requests changed nothing.
    assert (await api_stack.get("/api/v1/syncs"))["total"] == 0
