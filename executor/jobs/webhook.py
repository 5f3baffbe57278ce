"""Signed delivery of a webhook run's events: `started`, `record` batches, `record_error`.

Every event is one POST of the envelope `{"id", "event", "payload",
"environment_id", "created_at", "webhook_id"}` with
`X-Truto-Signature: format=sha256,v=<hex HMAC-SHA256 of the raw body>`, and
waits for a 2xx before the next one is sent, so a receiver sees a run's
events in order and at its own pace. A failed delivery (non-2xx, connection
error, timeout) is retried 3 times with exponential backoff capped at 10 s.

Event ids are uuid5 of (run id, event, resource, method, sequence number):
an attempt that resumes a run re-sends the same ids for the same batches,
and receivers dedupe by id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog

from syncplane import egress_http
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.jobs.plan import JobPlan, ResourceItem
from syncplane.executor.jobs.stats import Stats

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Truto-Signature"
RETRIES = 3
MAX_BACKOFF_SECONDS = 10.0
#: Limit of one POST, as the server's outbox deliveries.
TIMEOUT_SECONDS = 10.0
_EVENT_IDS = uuid.UUID("6f1c2e4a-5b7d-4c1e-9a3f-0d2b8e7c6a51")
_EXCERPT = 200


def signature(secret: str, body: bytes) -> str:
    """The X-Truto-Signature value of a raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"format=sha256,v={digest}"


def event_id(run_id: str, *parts: Any) -> str:
    """A deterministic event id: the same run, event and position give the same id in every attempt."""
    return str(uuid.uuid5(_EVENT_IDS, "/".join([run_id, *(str(p) for p in parts)])))


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WebhookSender:
    """POSTs signed events to one URL (use `async with`)."""

    def __init__(self, ctx: RunContext, plan: JobPlan, secret: str) -> None:
        assert plan.webhook_url is not None
        self.ctx = ctx
        self.plan = plan
        self.url = plan.webhook_url
        self._secret = secret
        self._session: aiohttp.ClientSession | None = None
        #: Seconds from the first POST of an event to its 2xx (retries included).
        self.latencies: list[float] = []
        self.log = log.bind(run_id=ctx.run_id, sync_job_run_id=plan.run_id, webhook_id=plan.webhook_id)

    async def __aenter__(self) -> WebhookSender:
        # The egress policy is checked on the addresses actually connected to.
        self._session = egress_http.session(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def envelope(self, id_: str, event: str, payload: dict[str, Any]) -> bytes:
        body = {
            "id": id_,
            "event": f"sync_job_run:{event}",
            "payload": payload,
            "environment_id": self.plan.environment_id,
            "created_at": _now_iso(),
            "webhook_id": self.plan.webhook_id,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    async def send(self, id_: str, event: str, payload: dict[str, Any], *, stop_on_4xx: bool = False) -> None:
        """Delivers one event, retrying; RunFailed webhook_rejected / webhook_unavailable when it cannot.

        `stop_on_4xx`: a 4xx is the receiver refusing the run (as for `started`), not retried.
        """
        body = self.envelope(id_, event, payload)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self._secret, body)}
        started = time.monotonic()
        failure = ""
        status: int | None = None
        for attempt in range(RETRIES + 1):
            if attempt:
                delay = min(MAX_BACKOFF_SECONDS, self.plan.webhook_backoff_seconds * 2 ** (attempt - 1))
                self.log.warning("webhook.retry", event_name=event, attempt=attempt, failure=failure, delay=delay)
                await self._sleep(delay)
            self.ctx.raise_if_cancelled()
            status, failure = await self._post(body, headers)
            if status is not None and 200 <= status < 300:
                self.latencies.append(time.monotonic() - started)
                return
            if status is not None and 400 <= status < 500 and stop_on_4xx:
                break
        reason = "webhook_rejected" if status is not None and 400 <= status < 500 else "webhook_unavailable"
        self.log.error("webhook.failed", event_name=event, event_id=id_, reason=reason, failure=failure)
        raise RunFailed(f"webhook: sync_job_run:{event} was not accepted: {failure}", reason)

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
        """(status, failure text); status None when no answer came. A cancel interrupts it."""
        assert self._session is not None
        try:
            return await self.ctx.cancellable(self._request(body, headers))
        except (TimeoutError, aiohttp.ClientError) as exc:
            return None, "timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__

    async def _request(self, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
        assert self._session is not None
        async with self._session.post(self.url, data=body, headers=headers) as resp:
            text = (await resp.read())[:_EXCERPT].decode("utf-8", "replace")
            return resp.status, f"HTTP {resp.status} {resp.reason or ''}: {text}".strip()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.ctx.cancel_event.wait(), timeout=seconds)
        except TimeoutError:
            return
        self.ctx.raise_if_cancelled()


class WebhookSink:
    """Where a webhook run's records go: `record` events of up to `batch_size` records each."""

    def __init__(self, sender: WebhookSender, plan: JobPlan, stats: Stats, state: dict[str, Any] | None = None) -> None:
        self.sender = sender
        self.plan = plan
        self.stats = stats
        #: "resource method" -> batches sent so far (the sequence number of event ids)
        self.batches: dict[str, int] = dict((state or {}).get("batches") or {})
        self._buffers: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def _run_fields(self) -> dict[str, Any]:
        return {
            "sync_job_run_id": self.plan.run_id,
            "sync_job_id": self.plan.job_id,
            "integrated_account_id": self.plan.account_id,
        }

    async def start(self) -> None:
        """`started`; a 4xx answer stops the run (webhook_rejected)."""
        payload = {"id": self.plan.run_id, **self._run_fields(), "status": "running"}
        await self.sender.send(event_id(self.plan.run_id, "started"), "started", payload, stop_on_4xx=True)

    async def add(self, item: ResourceItem, records: list[dict[str, Any]]) -> list[str]:
        """Buffers records (sending full batches); returns the messages of records it refused (none)."""
        key = (item.resource, item.method)
        buffer = self._buffers.setdefault(key, [])
        buffer.extend(records)
        while len(buffer) >= self.plan.batch_size:
            batch, buffer[:] = buffer[: self.plan.batch_size], buffer[self.plan.batch_size :]
            await self._send(key, batch)
        return []

    async def flush(self) -> None:
        for key, buffer in self._buffers.items():
            if buffer:
                batch, buffer[:] = list(buffer), []
                await self._send(key, batch)

    async def _send(self, key: tuple[str, str], records: list[dict[str, Any]]) -> None:
        resource, method = key
        name = f"{resource} {method}"
        number = self.batches.get(name, 0) + 1
        payload = {"resource": resource, "method": method, "records": records, **self._run_fields()}
        await self.sender.send(event_id(self.plan.run_id, "record", resource, method, number), "record", payload)
        self.batches[name] = number
        self.stats.add(resource, method, "delivered", len(records))

    async def record_error(self, item: ResourceItem, message: str, number: int) -> None:
        """One `record_error` event; `number` is the run's error count so far (its id's sequence)."""
        payload = {"resource": item.resource, "method": item.method, "error": message, **self._run_fields()}
        id_ = event_id(self.plan.run_id, "record_error", item.resource, item.method, number)
        await self.sender.send(id_, "record_error", payload)

    def state(self) -> dict[str, Any]:
        return {"batches": dict(self.batches)}


__all__ = ["SIGNATURE_HEADER", "WebhookSender", "WebhookSink", "event_id", "signature"]
