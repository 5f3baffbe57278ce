"""The shared database fixture gives each test its own empty database."""

import asyncpg


async def test_fresh_database_is_empty_and_separate(fresh_dsn: str, second_dsn: str) -> None:
    a = await asyncpg.connect(fresh_dsn)
    b = await asyncpg.connect(second_dsn)
    try:
        await a.execute("CREATE TABLE only_here (id int)")
        assert await a.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'") == 1
        assert await b.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'") == 0
    finally:
        await a.close()
        await b.close()
