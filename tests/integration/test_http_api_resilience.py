"""Rate limits slow a run down without failing it; 5xx, timeouts and dropped
connections are retried with backoff, then end the run as source_unavailable."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from syncplane.executor.connectors import http_api
from syncplane.executor.context import Cancelled, RunFailed
from syncplane.executor.sources.http_client import retry_after_seconds
from tests.integration.http_api_support import (  # noqa: F401 (fixtures)
    PAGE_CUSTOMERS,
    FakeApi,
    Fault,
    api,
    http_entity,
    make_ctx,
)
from tests.integration.pg_support import RecordingReporter, close_pools, fetch  # noqa: F401


def _ctx(api: FakeApi, dsn: str, **kwargs: Any) -> Any:
    return make_ctx(api, dsn, [http_entity("customers")], {"customers": PAGE_CUSTOMERS}, **kwargs)


async def _count(dsn: str) -> int:
    return (await fetch(dsn, "SELECT count(*) FROM customers"))[0][0]


async def test_429_waits_for_retry_after_and_succeeds_reporting_rate_limited(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(2, Fault(status=429, headers={"Retry-After": "1"}))
    reporter = RecordingReporter()
    # No retry budget at all: 429s must not spend it.
    ctx = _ctx(api, fresh_dsn, reporter=reporter, maxRetries=0)
    started = time.monotonic()
    await http_api.run(ctx)

    assert time.monotonic() - started >= 2.0  # two waits of Retry-After: 1
    assert await _count(fresh_dsn) == 50
    phases = [p["phase"] for p in reporter.progress]
    assert "rate_limited" in phases
    assert phases[-1] == "done"
    assert ctx.entities["customers"].phase == "done"


async def test_429_with_an_http_date_retry_after_waits_until_then(fresh_dsn: str, api: FakeApi) -> None:
    when = datetime.now(UTC) + timedelta(seconds=2)
    api.fail_next(1, Fault(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    started = time.monotonic()
    await http_api.run(_ctx(api, fresh_dsn))

    # HTTP dates have whole seconds: at least ~1 s of the 2 s remain.
    assert time.monotonic() - started >= 1.0
    assert await _count(fresh_dsn) == 50


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Wed, 01 May 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 01 May 2024 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


async def test_5xx_is_retried_then_succeeds(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(2, Fault(status=503))
    api.faults.append(Fault(status=502))
    ctx = _ctx(api, fresh_dsn, maxRetries=3)
    await http_api.run(ctx)

    assert await _count(fresh_dsn) == 50
    first_page = [s for s in api.requests_to("/api/page/customers") if s.query["page"] == "1"]
    assert len(first_page) == 4  # three failures, then the answer


async def test_5xx_forever_fails_as_source_unavailable_after_the_retries(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(100, Fault(status=500))
    with pytest.raises(RunFailed) as failure:
        await http_api.run(_ctx(api, fresh_dsn, maxRetries=4))

    assert failure.value.reason_code == "source_unavailable"
    assert "5 times" in str(failure.value) and "HTTP 500" in str(failure.value)
    assert len(api.seen) == 5


async def test_a_slow_response_times_out_and_is_retried(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(1, Fault(status=200, delay=1.5))  # answers, but too late
    ctx = _ctx(api, fresh_dsn, timeoutSeconds=0.5)
    await http_api.run(ctx)

    assert await _count(fresh_dsn) == 50
    assert len([s for s in api.requests_to("/api/page/customers") if s.query["page"] == "1"]) == 2


async def test_slow_responses_forever_fail_as_source_unavailable(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(10, Fault(status=200, delay=1.0))
    with pytest.raises(RunFailed) as failure:
        await http_api.run(_ctx(api, fresh_dsn, timeoutSeconds=0.2, maxRetries=2))
    assert failure.value.reason_code == "source_unavailable"
    assert "timed out" in str(failure.value)


async def test_an_unreachable_api_fails_as_source_unavailable(fresh_dsn: str, api: FakeApi) -> None:
    ctx = _ctx(api, fresh_dsn, maxRetries=2)
    await api.__aexit__(None, None, None)  # nothing listens on the port any more
    with pytest.raises(RunFailed) as failure:
        await http_api.run(ctx)
    assert failure.value.reason_code == "source_unavailable"
    assert "ClientConnectorError" in str(failure.value)
    # The fixture's exit cleans up again; a second cleanup is harmless.


async def test_4xx_other_than_429_fails_at_once_as_source_error(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(1, Fault(status=400, body='{"error": "bad filter"}'))
    with pytest.raises(RunFailed) as failure:
        await http_api.run(_ctx(api, fresh_dsn))
    assert failure.value.reason_code == "source_error"
    assert "400" in str(failure.value) and "bad filter" in str(failure.value)
    assert len(api.seen) == 1


async def test_cancel_during_a_rate_limit_wait_stops_at_once(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(1, Fault(status=429, headers={"Retry-After": "60"}))
    ctx = _ctx(api, fresh_dsn)
    task = asyncio.create_task(http_api.run(ctx))
    while ctx.phase != "rate_limited":
        await asyncio.sleep(0.01)
    started = time.monotonic()
    ctx.cancel_reason = "user cancel"
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        await task
    # At once, not after the 60 s wait: half of it is a bound no busy machine reaches.
    assert time.monotonic() - started < 30


async def test_cancel_interrupts_a_request_in_flight(fresh_dsn: str, api: FakeApi) -> None:
    api.fail_next(1, Fault(status=200, delay=30))
    ctx = _ctx(api, fresh_dsn, timeoutSeconds=60)
    task = asyncio.create_task(http_api.run(ctx))
    while not api.seen:
        await asyncio.sleep(0.01)
    started = time.monotonic()
    ctx.cancel_event.set()
    with pytest.raises(Cancelled):
        await task
    assert time.monotonic() - started < 15  # the server would answer after 30 s
