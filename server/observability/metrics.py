"""Every Prometheus series the server exports, defined once, recorded where state changes.

One owner records each series (the engine where a run starts, ends or resumes; the sweeper's lease
expiry through the engine; the outbox deliverer; the gateway per request; the executor service for what
executors report over their stream). Gauges that are read from the database or from in-memory
registries (queue depth, outbox lag, sessions, pool use) are set by the `Sampler` task under the server's
supervisor, so a scrape never queries the database. Each replica exports its own figures: sum them in
PromQL. Labels stay bounded: route templates (never raw paths), kinds, backends, groups, results and
executor ids (an executor's series are removed when its session ends).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

# Run durations go from seconds (a small sync) to hours (a backfill).
_DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, float("inf"))
# Trigger -> start: milliseconds when an executor is free, minutes under a backlog.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, float("inf"))
_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, float("inf"))

RUNS_STARTED = Counter(
    "syncplane_runs_started_total", "Run attempts claimed and handed to a backend.", ["kind", "backend"]
)
RUNS_FINISHED = Counter(
    "syncplane_runs_finished_total",
    "Run attempts ended (result: succeeded, failed, cancelled).",
    ["kind", "backend", "result"],
)
RUN_DURATION = Histogram(
    "syncplane_run_duration_seconds", "From start to end of an attempt.", ["kind", "backend", "result"],
    buckets=_DURATION_BUCKETS,
)
RUN_START_LATENCY = Histogram(
    "syncplane_run_start_latency_seconds", "From trigger (the attempt's creation) to its start.",
    ["kind", "backend"], buckets=_LATENCY_BUCKETS,
)
ROWS = Counter(
    "syncplane_rows_total", "Rows (records, objects) read from sources and written to destinations.",
    ["kind", "direction"],
)
QUEUE_DEPTH = Gauge(
    "syncplane_queue_depth", "Runs waiting for an executor (pending and due), by executor group and backend.",
    ["group", "backend"],
)
EXECUTORS_CONNECTED = Gauge("syncplane_executors_connected", "Executor sessions connected to this server.", ["group"])
EXECUTOR_FREE_SLOTS = Gauge("syncplane_executor_free_slots", "Free slots of the executors connected here.", ["group"])
LEASE_EXPIRIES = Counter(
    "syncplane_lease_expiries_total", "Attempts ended because their lease ran out (executor lost).", ["kind"]
)
AUTO_RESUMES = Counter("syncplane_auto_resumes_total", "Attempts queued to resume a failed one.", ["kind"])
OUTBOX_PENDING = Gauge("syncplane_outbox_pending", "Webhook deliveries waiting in the outbox.")
OUTBOX_LAG = Gauge("syncplane_outbox_lag_seconds", "Age of the oldest undelivered outbox row (0 when empty).")
OUTBOX_DELIVERIES = Counter(
    "syncplane_outbox_deliveries_total", "Webhook delivery attempts (result: delivered, failed).", ["result"]
)
OUTBOX_FAILURES = Counter(
    "syncplane_outbox_delivery_failures_total", "Webhook deliveries that failed (retried or given up).", ["final"]
)
HTTP_REQUESTS = Counter(
    "syncplane_http_requests_total", "Gateway requests by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "syncplane_http_request_duration_seconds", "Gateway request latency by route template and method.",
    ["route", "method"], buckets=_HTTP_BUCKETS,
)
DB_POOL = Gauge(
    "syncplane_db_pool_connections", "The control-plane connection pool (state: in_use, idle, max).", ["state"]
)
# What executors measure themselves and send with each heartbeat (they have no port to scrape).
EXECUTOR_ROWS_PER_SECOND = Gauge(
    "syncplane_executor_rows_per_second", "Rows written per second by an executor (last heartbeat interval).",
    ["executor"],
)
EXECUTOR_RSS = Gauge("syncplane_executor_memory_rss_bytes", "Resident memory of an executor process.", ["executor"])
EXECUTOR_BATCHES = Counter(
    "syncplane_executor_batches_total", "Batches (checkpointed transactions) committed by an executor.", ["executor"]
)
EXECUTOR_BATCH_SECONDS = Counter(
    "syncplane_executor_batch_seconds_total", "Time spent in batches by an executor (divide by batches).",
    ["executor"],
)
EXECUTOR_LAST_BATCH_SECONDS = Gauge(
    "syncplane_executor_last_batch_seconds", "Duration of an executor's most recent batch.", ["executor"]
)

_EXECUTOR_SERIES: tuple[Any, ...] = (
    EXECUTOR_ROWS_PER_SECOND, EXECUTOR_RSS, EXECUTOR_BATCHES, EXECUTOR_BATCH_SECONDS, EXECUTOR_LAST_BATCH_SECONDS,
)


def exposition() -> tuple[bytes, str]:
    """The text a scrape of /metrics answers, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# -- recording helpers (one per state change; callers pass plain values) -------------------------


def run_started(kind: str, backend: str, latency_seconds: float | None) -> None:
    RUNS_STARTED.labels(kind, backend).inc()
    if latency_seconds is not None:
        RUN_START_LATENCY.labels(kind, backend).observe(max(0.0, latency_seconds))


def run_finished(kind: str, backend: str, result: str, duration_seconds: float | None) -> None:
    RUNS_FINISHED.labels(kind, backend, result).inc()
    if duration_seconds is not None:
        RUN_DURATION.labels(kind, backend, result).observe(max(0.0, duration_seconds))


def rows_moved(kind: str, read: int, written: int) -> None:
    if read > 0:
        ROWS.labels(kind, "read").inc(read)
    if written > 0:
        ROWS.labels(kind, "written").inc(written)


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


def set_by_label(gauge: Gauge, values: dict[str, float], known: set[str]) -> set[str]:
    """Sets a one-label gauge to `values`; labels seen before and gone now drop to 0 (and are kept:
    a series that vanishes reads as missing data, not as an empty queue). Returns the labels now known."""
    for label in known - values.keys():
        gauge.labels(label).set(0)
    for label, value in values.items():
        gauge.labels(label).set(value)
    return known | values.keys()


class ExecutorFigures:
    """An executor's own counters, cumulative as it sends them, turned into counter increments."""

    def __init__(self, executor_id: str) -> None:
        self.executor_id = executor_id
        self._batches = 0
        self._batch_seconds = 0.0

    def report(self, rows_per_second: float, rss_bytes: int, batches: int, batch_seconds: float,
               last_batch_seconds: float) -> None:
        e = self.executor_id
        EXECUTOR_ROWS_PER_SECOND.labels(e).set(rows_per_second)
        if rss_bytes:
            EXECUTOR_RSS.labels(e).set(rss_bytes)
        if batches < self._batches:  # the executor restarted under the same id: start over
            self._batches, self._batch_seconds = 0, 0.0
        EXECUTOR_BATCHES.labels(e).inc(batches - self._batches)
        EXECUTOR_BATCH_SECONDS.labels(e).inc(max(0.0, batch_seconds - self._batch_seconds))
        self._batches, self._batch_seconds = batches, batch_seconds
        if last_batch_seconds:
            EXECUTOR_LAST_BATCH_SECONDS.labels(e).set(last_batch_seconds)

    def forget(self) -> None:
        """The session ended: its series go (bounded cardinality with executors coming and going)."""
        for metric in _EXECUTOR_SERIES:
            try:
                metric.remove(self.executor_id)
            except KeyError:
                pass


def metric_names() -> Iterable[str]:
    """The exposed name of every family defined here (the README lists them; a test compares)."""
    return sorted(
        m._name + ("_total" if isinstance(m, Counter) else "")  # prometheus_client keeps the bare name there
        for m in globals().values()
        if isinstance(m, (Counter, Gauge, Histogram))
    )
