"""GETs JSON from the API: timeouts, retries with backoff, rate limits, cancellation.

- Every request has a time limit (`timeoutSeconds`, body included).
- A 5xx (or 408), a connection error or a timeout is retried up to
  `maxRetries` times with exponential backoff and full jitter (a 503's
  Retry-After, when longer, is honoured); after that the run fails with
  `source_unavailable`, which the engine may auto-resume from the last
  committed batch.
- A 429 is not a failure: it waits for `Retry-After` (seconds or an HTTP
  date; exponential backoff when absent), reports phase `rate_limited`, and
  retries without spending the retry budget. A rate-limited run is slow, not
  dead.
- A cancel interrupts a request in flight and every wait at once.
- Other 4xx fail the run (`source_auth_error` for 401/403, else
  `source_error`); messages carry no secret (see `http_auth.Secrets`).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import structlog
from yarl import URL

from syncplane import egress_http
from syncplane.executor.context import RunContext, RunFailed
from syncplane.executor.sources.http_auth import Secrets
from syncplane.executor.sources.http_config import ClientConfig
from syncplane.executor.sources.http_pagination import Request

log = structlog.get_logger(__name__)

#: The shortest wait after a 429, so "Retry-After: 0" cannot spin.
MIN_RATE_LIMIT_WAIT = 0.05
#: Bytes of an error response quoted in a run's error.
_BODY_EXCERPT = 200
#: Parallel connections to the API (lookahead fetches one page ahead).
_CONNECTIONS = 4
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Response:
    """A successful response: the decoded JSON body, the resolved Link rel="next", and the
    headers (lower-case names) for pagination that rides in a header (e.g. X-Page-Next)."""

    body: Any
    link_next: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Raw:
    status: int
    reason: str
    retry_after: str | None
    body: bytes
    link_next: str | None
    headers: dict[str, str] = field(default_factory=dict)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """One attempt's HTTP session (use `async with`)."""

    def __init__(
        self,
        ctx: RunContext,
        config: ClientConfig,
        auth: dict[str, str],
        secrets: Secrets,
        *,
        log_: Any = None,
        on_rate_limit: Callable[[float | None], None] | None = None,
    ) -> None:
        """`on_rate_limit` is told the seconds of each wait after a 429, and None when it
        ends, so a connector can show until when its run is rate limited."""
        self.ctx = ctx
        self.on_rate_limit = on_rate_limit
        self.config = config
        self.secrets = secrets
        self.log = log_ or log
        self._origin = URL(config.base_url).origin()
        self._headers = {"Accept": "application/json", **dict(config.headers)}
        self._auth = auth
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    async def __aenter__(self) -> HttpClient:
        # The egress policy is checked on the addresses actually connected to.
        self._session = egress_http.session(
            connector_kwargs={"limit": _CONNECTIONS},
            timeout=self._timeout,
            raise_for_status=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, request: Request) -> URL:
        # Request URLs are kept in encoded form (see http_pagination).
        url = URL(request.url, encoded=True)
        return url.extend_query(list(request.params)) if request.params else url

    def _headers_for(self, url: URL) -> dict[str, str]:
        # Credentials go only to the API's own origin, never to a host that a
        # Link header, a redirect or a path config points elsewhere.
        if url.origin() == self._origin:
            return {**self._headers, **self._auth}
        return dict(self._headers)

    async def _send(self, url: URL) -> _Raw:
        """One GET, following redirects here so credentials follow only within the API's origin."""
        assert self._session is not None
        for _ in range(_MAX_REDIRECTS + 1):
            async with self._session.get(url, headers=self._headers_for(url), allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECTS and location:
                    url = resp.url.join(URL(location))
                    continue
                body = await resp.read()
                link = resp.links.get("next")
                link_next = str(link["url"]) if link and link.get("url") is not None else None
                headers = {name.lower(): value for name, value in resp.headers.items()}
                return _Raw(resp.status, resp.reason or "", resp.headers.get("Retry-After"), body, link_next, headers)
        return _Raw(310, "Too many redirects", None, b"", None)

    async def _send_cancellable(self, url: URL) -> _Raw:
        """The request, abandoned the moment a cancel arrives."""
        return await self.ctx.cancellable(self._send(url))

    async def _sleep(self, seconds: float) -> None:
        """Waits, or raises Cancelled as soon as a cancel arrives."""
        try:
            await asyncio.wait_for(self.ctx.cancel_event.wait(), timeout=seconds)
        except TimeoutError:
            return
        self.ctx.raise_if_cancelled()

    def _backoff(self, attempt: int) -> float:
        cap = min(self.config.max_backoff_seconds, self.config.backoff_seconds * 2 ** (attempt - 1))
        return random.uniform(0, cap)

    def _describe(self, url: URL) -> str:
        """The request for messages: path and query, scrubbed (no host, no credentials)."""
        return self.secrets.scrub(f"GET {url.path_qs}")

    async def get(self, request: Request, *, entity: str, missing_ok: bool = False) -> Response | None:
        """The JSON response to `request`; None for a 404 when `missing_ok`."""
        url = self._url(request)
        failures = 0
        rate_limited = 0
        while True:
            self.ctx.raise_if_cancelled()
            wait_hint: float | None = None
            self.requests += 1
            try:
                raw = await self._send_cancellable(url)
            except (TimeoutError, aiohttp.ClientError) as exc:
                failure = "timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__
            else:
                if 200 <= raw.status < 300:
                    return Response(self._decode(raw, url, entity), raw.link_next, raw.headers)
                if raw.status == 429:
                    rate_limited += 1
                    await self._wait_rate_limit(raw, rate_limited, url, entity)
                    continue
                if raw.status == 404 and missing_ok:
                    return None
                if raw.status < 500 and raw.status != 408:
                    raise self._rejected(raw, url, entity)
                failure = f"HTTP {raw.status} {raw.reason}".strip()
                wait_hint = retry_after_seconds(raw.retry_after)
            failures += 1
            if failures > self.config.max_retries:
                raise RunFailed(
                    f"entity {entity}: {self._describe(url)} failed {failures} times, last: {failure}",
                    "source_unavailable",
                )
            delay = max(self._backoff(failures), wait_hint or 0.0)
            self.log.warning("http.retry", entity=entity, failure=failure, attempt=failures, delay=round(delay, 3))
            await self._sleep(delay)

    async def _wait_rate_limit(self, raw: _Raw, count: int, url: URL, entity: str) -> None:
        told = retry_after_seconds(raw.retry_after)
        delay = told if told is not None else self._backoff(min(count, 10)) + self.config.backoff_seconds
        delay = max(delay, MIN_RATE_LIMIT_WAIT)
        self.log.info("http.rate_limited", entity=entity, wait_seconds=round(delay, 3), retry_after=told is not None)
        self.ctx.progress(
            entity,
            phase="rate_limited",
            message=f"{entity}: rate limited by the API (429), retrying in {delay:.1f} s",
        )
        if self.on_rate_limit is not None:
            self.on_rate_limit(delay)
        try:
            await self._sleep(delay)
        finally:
            if self.on_rate_limit is not None:
                self.on_rate_limit(None)
        self.ctx.progress(entity, phase="loading", message="")

    def _decode(self, raw: _Raw, url: URL, entity: str) -> Any:
        try:
            return json.loads(raw.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RunFailed(
                f"entity {entity}: {self._describe(url)} answered {raw.status} with a body that is not JSON"
                f" ({type(exc).__name__} at byte {getattr(exc, 'pos', '?')})",
                "source_error",
            ) from None

    def _rejected(self, raw: _Raw, url: URL, entity: str) -> RunFailed:
        excerpt = raw.body[:_BODY_EXCERPT].decode("utf-8", "replace")
        reason = "source_auth_error" if raw.status in (401, 403) else "source_error"
        hint = " (check the source credentials)" if reason == "source_auth_error" else ""
        message = f"entity {entity}: {self._describe(url)} answered {raw.status} {raw.reason}{hint}: {excerpt}"
        return RunFailed(self.secrets.scrub(message), reason)


__all__ = ["HttpClient", "MIN_RATE_LIMIT_WAIT", "Response", "retry_after_seconds"]
