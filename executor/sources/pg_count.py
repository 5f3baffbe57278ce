"""How many rows an entity's read will visit, counted before it starts: the total beside its progress.

One statement's cost per entity, before its first batch, never on the batch path: the planner's
estimate first (EXPLAIN, a catalog lookup), then an exact `count(*)` only when the estimate says
the relation is small enough that counting costs little beside reading it (COUNT_EXACT_UP_TO rows:
a count scans the rows once, without converting or sending them; on the bench table of 1M rows it
takes 0.12 s, 0.9% of the load: bench/RESULTS.md). Larger reads report the planner's estimate, flagged as
one. A count that takes longer than COUNT_TIMEOUT is cancelled and the estimate stands in: a slow
source (a heavy view, a query) never holds a run up for long for a number on a screen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import asyncpg
import structlog

from syncplane.executor.sources import pg_source
from syncplane.executor.sources.pg_source import Column, Lower, SourceRelation

log = structlog.get_logger(__name__)

#: Above this estimate the planner's figure is reported instead of a count.
COUNT_EXACT_UP_TO = 5_000_000
#: The longest an exact count may take (ms) before the estimate stands in.
COUNT_TIMEOUT_MS = 2_000


@dataclass(frozen=True)
class RowTotal:
    rows: int
    estimated: bool


async def count_read(
    conn: asyncpg.Connection, rel: SourceRelation, keyset: tuple[Column, ...], lower: Lower | None, null_pass: bool
) -> RowTotal | None:
    """The rows a read from `lower` visits, exact when cheap; None when the source would not say
    (a count is a nicety: it never fails a run)."""
    body = pg_source.to_read_sql(rel, keyset, lower, null_pass)
    try:
        async with conn.transaction(readonly=True):
            plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) SELECT 1{body}"))
            estimate = max(0, int(plan[0]["Plan"]["Plan Rows"]))
            if estimate > COUNT_EXACT_UP_TO:
                return RowTotal(estimate, estimated=True)
            try:
                async with conn.transaction():  # a savepoint: a cancelled count leaves the rest usable
                    await conn.execute(f"SET LOCAL statement_timeout = {int(COUNT_TIMEOUT_MS)}")
                    exact = await conn.fetchval(f"SELECT count(*){body}")
            except asyncpg.QueryCanceledError:
                log.info("pg.count_too_slow", entity=rel.ref.entity_key, estimate=estimate, timeout_ms=COUNT_TIMEOUT_MS)
                return RowTotal(estimate, estimated=True)
            return RowTotal(int(exact), estimated=False)
    except (asyncpg.PostgresError, ValueError, KeyError, IndexError, TypeError) as exc:
        # Reading will meet the same error, if it is one, and report it properly.
        log.info("pg.count_failed", entity=rel.ref.entity_key, error_type=type(exc).__name__)
        return None


__all__ = ["COUNT_EXACT_UP_TO", "COUNT_TIMEOUT_MS", "RowTotal", "count_read"]
