"""mutex_key on a real PostgreSQL: runs sharing a key wait for each other
(pending) instead of being refused, and are claimed in order of creation."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from syncplane.server.db import runs as db
from syncplane.server.db.pool import create_pool
from syncplane.server.db.runs import NewRun


def _run(mutex_key: str | None) -> NewRun:
    return NewRun(subject_kind="test", subject_id=uuid.uuid4(), connector="noop", spec={},
                  triggered_by="manual", mutex_key=mutex_key)


async def _claim(pool: asyncpg.Pool, limit: int = 10, executor: str = "e1") -> list[asyncpg.Record]:
    return await db.claim_runs(pool, "default", ["noop"], limit, executor, 30)


async def _finish(pool: asyncpg.Pool, row: asyncpg.Record) -> None:
    await db.finish_run(pool, row["id"], row["attempt_token"], status="succeeded", result_class="success",
                        reason_code="completed", error=None, summary={})


async def test_a_second_run_of_a_held_key_waits_pending_until_the_first_ends(pool: asyncpg.Pool) -> None:
    first = await db.insert_run(pool, _run("project-a"))
    second = await db.insert_run(pool, _run("project-a"))
    claimed = await _claim(pool)
    assert [r["id"] for r in claimed] == [first.id]
    assert await _claim(pool) == []
    assert (await db.get_run(pool, second.id)).status == "pending"
    await _finish(pool, claimed[0])
    assert [r["id"] for r in await _claim(pool)] == [second.id]


async def test_runs_of_other_keys_and_without_a_key_do_not_wait(pool: asyncpg.Pool) -> None:
    a1 = await db.insert_run(pool, _run("a"))
    await db.insert_run(pool, _run("a"))
    b = await db.insert_run(pool, _run("b"))
    free1 = await db.insert_run(pool, _run(None))
    free2 = await db.insert_run(pool, _run(None))
    claimed = {r["id"] for r in await _claim(pool)}
    assert claimed == {a1.id, b.id, free1.id, free2.id}


async def test_concurrent_claimers_never_run_two_of_one_key(pool: asyncpg.Pool, fresh_dsn: str) -> None:
    others = [await create_pool(fresh_dsn, min_size=1, max_size=2) for _ in range(3)]
    try:
        for _ in range(6):
            await db.insert_run(pool, _run("shared"))

        async def claim(p: asyncpg.Pool, name: str) -> int:
            try:
                return len(await _claim(p, executor=name))
            except asyncpg.UniqueViolationError:
                return 0  # the index refused a racing claim: nothing was taken

        got = await asyncio.gather(*(claim(p, f"e{i}") for i, p in enumerate([pool, *others])))
        assert sum(got) == 1
        running = await pool.fetchval(
            "SELECT count(*) FROM syncplane.runs WHERE mutex_key = 'shared' AND status = 'running'"
        )
        assert running == 1
    finally:
        for p in others:
            await p.close()


async def test_a_cancelled_pending_run_releases_its_place_in_line(pool: asyncpg.Pool) -> None:
    first = await db.insert_run(pool, _run("k"))
    second = await db.insert_run(pool, _run("k"))
    await db.cancel_pending(pool, first.id, "tester", None)
    assert [r["id"] for r in await _claim(pool)] == [second.id]
