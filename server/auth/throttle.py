"""Per-client throttle of failed authentications: a token bucket per client address.

Each client may fail `burst` times at once and then `burst` times per `window_seconds`
(the bucket refills at burst/window per second). Only failures take a token: a client
that authenticates correctly never drains its bucket. The buckets live in a bounded
TTL cache: an idle bucket is full again after one window, so dropping it then forgets
nothing, and an attacker spraying addresses cannot grow the table past `max_clients`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

BURST = 20
WINDOW_SECONDS = 10.0
MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class FailureThrottle:
    def __init__(
        self,
        burst: int = BURST,
        window_seconds: float = WINDOW_SECONDS,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._burst = float(burst)
        self._rate = burst / window_seconds
        self._clock = clock
        self._buckets: TTLCache[str, _Bucket] = TTLCache(maxsize=max_clients, ttl=window_seconds, timer=clock)

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may fail again; 0 when it is not throttled."""
        bucket = self._refilled(client)
        if bucket is None or bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) / self._rate

    def __len__(self) -> int:
        return len(self._buckets)

    def failed(self, client: str) -> None:
        bucket = self._refilled(client) or _Bucket(self._burst, self._clock())
        bucket.tokens = max(bucket.tokens - 1.0, 0.0)
        # Re-set (not just mutate) so the entry's expiry restarts from this failure.
        self._buckets[client] = bucket

    def _refilled(self, client: str) -> _Bucket | None:
        bucket = self._buckets.get(client)
        if bucket is None:
            return None
        now = self._clock()
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        return bucket


def retry_after_header(seconds: float) -> str:
    """An HTTP `Retry-After` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
