"""The outbox deliverer: a leased loop that pushes stored events out over HTTP,
at least once, beside the engine's other loops (dispatcher, sweeper, scheduler).

Due rows are claimed with FOR UPDATE SKIP LOCKED and pushed out by a lease in
the same statement, so several servers deliver each row once, and a row whose
deliverer died comes back when the lease ends. Each attempt is logged. A
failed attempt is retried 3 times with exponential backoff (1, 2, 4 s, at most
10 s); a delivery whose retries ran out counts against its webhook, which
turns inactive after a few such failures in a row. A row that raises
something other than the database being away (the same way every time) is set
aside with its reason, never claimed again.

What a row becomes on the wire (its body, its signature) is the dialect's: it
passes an `OutboxPayload`. Every request goes through the egress policy,
checked on the addresses actually connected to.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import asyncpg
import structlog

from syncplane import egress, egress_http
from syncplane.server.db import outbox as db
from syncplane.server.db.errors import DB_ERRORS
from syncplane.server.engine import poison
from syncplane.server.observability import metrics

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Request:
    """One delivery attempt as it goes out: POSTed to `url`."""

    url: str
    body: bytes
    headers: Mapping[str, str]


class OutboxPayload(Protocol):
    """The dialect's part of delivering an outbox row."""

    #: Names the outbox in log events (`outbox=`).
    name: str

    def request(self, row: asyncpg.Record) -> Request:
        """The request that delivers `row` (a claimed outbox row).

        Raising sets the row aside (it would raise the same way on every claim)."""
        ...


@dataclass(frozen=True)
class DeliverySettings:
    #: Retries after the first attempt.
    retries: int = 3
    #: Backoff before retry n (1-based): base * 2**(n-1), capped.
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 10.0
    #: Deliveries given up in a row that make a webhook inactive.
    deactivate_after: int = 3
    #: How long a claimed row is held before another deliverer may take it.
    lease_seconds: float = 15.0
    timeout_seconds: float = 10.0
    batch: int = 50
    poll_seconds: float = 1.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (attempt - 1))


class OutboxDeliverer:
    def __init__(self, pool: asyncpg.Pool, payload: OutboxPayload, settings: DeliverySettings | None = None) -> None:
        self._pool = pool
        self._payload = payload
        self._settings = settings or DeliverySettings()
        self._wake = asyncio.Event()

    @property
    def _log(self) -> structlog.typing.FilteringBoundLogger:
        # Bound per call, so the logging configuration of the moment applies.
        bound: structlog.typing.FilteringBoundLogger = log.bind(outbox=self._payload.name)
        return bound

    def wake(self, _payload: str | None = None) -> None:
        self._wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        # The egress policy is checked on the addresses actually connected to.
        async with egress_http.session(timeout=timeout) as http:
            while True:
                try:
                    delivered = await self.deliver_once(http)
                except DB_ERRORS as exc:
                    self._log.warning("outbox.claim_failed", error=str(exc))
                    delivered = 0
                except Exception as exc:  # noqa: BLE001 - rows are set aside one by one; this is the last guard
                    self._log.error("outbox.pass_failed", error=poison.reason(exc))
                    delivered = 0
                if delivered:
                    continue  # more may be due
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._settings.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def deliver_once(self, http: aiohttp.ClientSession) -> int:
        """Claims due rows and delivers them; rows of one webhook in order."""
        rows = await db.claim_due(self._pool, self._settings.batch, self._settings.lease_seconds)
        by_webhook: dict[object, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            by_webhook[row["webhook_id"]].append(row)
        await asyncio.gather(*(self._deliver_in_order(http, group) for group in by_webhook.values()))
        return len(rows)

    async def _deliver_in_order(self, http: aiohttp.ClientSession, rows: list[asyncpg.Record]) -> None:
        for row in rows:
            try:
                await self._deliver(http, row)
            except Exception as exc:  # sorted below: transient is retried, anything else is recorded
                if poison.transient(exc):
                    # The lease brings the row back; the receiver dedupes by id.
                    self._log.warning("outbox.delivery_not_recorded", outbox_id=row["id"], error=str(exc))
                    continue
                # It would fail the same way on every claim, here and on every
                # replica (and end the deliverer): set it aside.
                why = poison.reason(exc)
                try:
                    await db.set_aside(self._pool, row["id"], why)
                except DB_ERRORS as inner:
                    self._log.warning("outbox.delivery_not_recorded", outbox_id=row["id"], error=str(inner))
                    continue
                self._log.error("outbox.row_set_aside", outbox_id=row["id"], error=why)

    async def _deliver(self, http: aiohttp.ClientSession, row: asyncpg.Record) -> None:
        request = self._payload.request(row)
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with http.post(request.url, data=request.body, headers=dict(request.headers),
                                 allow_redirects=False) as resp:
                status = resp.status
                await resp.read()
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
        except (TimeoutError, aiohttp.ClientError, OSError, egress.EgressRefused) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        elapsed = int((time.monotonic() - started) * 1000)
        attempt = row["attempts"]
        await db.log_attempt(self._pool, row["id"], attempt, status, error, elapsed)
        bound = self._log.bind(outbox_id=row["id"], event_id=str(row["event_id"]), event_name=row["event"],
                               webhook_id=str(row["webhook_id"]), attempt=attempt)
        metrics.OUTBOX_DELIVERIES.labels("delivered" if error is None else "failed").inc()
        if error is not None:
            metrics.OUTBOX_FAILURES.labels("false" if attempt <= self._settings.retries else "true").inc()
        if error is None:
            await db.delivered(self._pool, row["id"])
            bound.info("outbox.delivered", http_status=status, ms=elapsed)
        elif attempt <= self._settings.retries:
            delay = self._settings.backoff(attempt)
            await db.retry_later(self._pool, row["id"], delay, error)
            bound.info("outbox.retry_later", error=error, retry_in_s=delay)
        else:
            hook = await db.given_up(self._pool, row["id"], error, self._settings.deactivate_after)
            bound.warning("outbox.given_up", error=error,
                          webhook_active=hook["is_active"] if hook else None,
                          consecutive_failures=hook["consecutive_failures"] if hook else None)
