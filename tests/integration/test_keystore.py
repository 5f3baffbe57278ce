"""KeyStore on a real PostgreSQL: revocation reaches another replica's store
through NOTIFY (and through the poll when no NOTIFY arrives), the lookup caches
are bounded, and a revoked bootstrap key does not stop a start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from syncplane.server.auth.keys import ADMINISTRATOR, API_KEY, EXECUTOR_TOKEN, REVOKED_CHANNEL, KeyStore, credential_id
from syncplane.server.db import auth as db
from syncplane.server.db.pool import create_pool
from syncplane.server.engine.notify import Listener

# Generous: the bound is 1 s; this only catches "never".
NEVER = 30


@pytest.fixture
async def pools(migrated_dsn: str) -> AsyncIterator[tuple[asyncpg.Pool, asyncpg.Pool]]:
    a, b = await create_pool(migrated_dsn), await create_pool(migrated_dsn)
    yield a, b
    await a.close()
    await b.close()


async def test_a_revocation_notify_drops_the_key_from_another_replicas_cache_and_ends_its_streams(
    pools: tuple[asyncpg.Pool, asyncpg.Pool], fresh_dsn: str
) -> None:
    store_a, store_b = KeyStore(pools[0]), KeyStore(pools[1])
    applied = asyncio.Event()

    def on_revoked(payload: str | None) -> None:
        store_b.on_revoked(payload)
        if payload is not None:
            applied.set()

    listener = Listener(fresh_dsn)
    listener.subscribe(REVOKED_CHANNEL, on_revoked)
    await listener.start()
    try:
        await asyncio.wait_for(listener.connected.wait(), NEVER)
        row, secret = await store_a.create_api_key("ops", ADMINISTRATOR)
        assert (await store_b.verify_api_key(secret)) is not None
        credential = credential_id(API_KEY, secret)
        assert store_b.known_valid(credential)
        with store_b.live.track(credential) as stream_revoked:
            assert await store_a.revoke_api_key(row.id)
            await asyncio.wait_for(applied.wait(), NEVER)
            assert stream_revoked.is_set()
        assert not store_b.known_valid(credential)
        assert await store_b.verify_api_key(secret) is None
    finally:
        await listener.stop()


async def test_without_notify_the_poll_applies_a_revocation(pools: tuple[asyncpg.Pool, asyncpg.Pool]) -> None:
    store_a, store_b = KeyStore(pools[0]), KeyStore(pools[1])
    token_id, token = await store_a.create_executor_token("exec")
    assert await store_b.verify_executor_token(token) is not None
    credential = credential_id(EXECUTOR_TOKEN, token)
    poll = asyncio.create_task(store_b.watch_revocations(interval=0.05))
    try:
        with store_b.live.track(credential) as stream_revoked:
            assert await store_a.revoke_executor_token(token_id)
            await asyncio.wait_for(stream_revoked.wait(), NEVER)
        assert not store_b.known_valid(credential)
        assert await store_b.verify_executor_token(token) is None
    finally:
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
    listed = await db.list_executor_tokens(pools[0])
    assert [(str(r.id), r.revoked_at is not None) for r in listed] == [(token_id, True)]


async def test_the_lookup_caches_are_bounded(pools: tuple[asyncpg.Pool, asyncpg.Pool]) -> None:
    store = KeyStore(pools[0], cache_size=5, negative_cache_size=3)
    for i in range(50):
        assert await store.verify_api_key(f"sp_wrong_{i}") is None
    secrets = [(await store.create_api_key(f"k{i}", ADMINISTRATOR))[1] for i in range(10)]
    for secret in secrets:
        assert await store.verify_api_key(secret) is not None
    valid, invalid = store.cache_sizes()
    assert valid <= 5 and invalid <= 3


async def test_a_revoked_bootstrap_key_does_not_stop_a_start(pools: tuple[asyncpg.Pool, asyncpg.Pool]) -> None:
    store = KeyStore(pools[0])
    bootstrap = "sp_the_operators_bootstrap_key_0123456789"
    assert await store.ensure_bootstrap_key(bootstrap) == bootstrap
    assert await store.ensure_bootstrap_key(bootstrap) is None, "an existing live key is kept as is"
    other, _ = await store.create_api_key("second admin", ADMINISTRATOR)
    bootstrap_row = await db.find_api_key_any(pools[0], credential_id(API_KEY, bootstrap)[1:])
    assert await store.revoke_api_key(bootstrap_row["id"])

    # Another administrator key is live: start with a warning, nothing new minted.
    assert await store.ensure_bootstrap_key(bootstrap) is None
    assert await store.verify_api_key(bootstrap) is None

    # No administrator left: a fresh random one, never the revoked value again.
    assert await store.revoke_api_key(other.id)
    fresh = await store.ensure_bootstrap_key(bootstrap)
    assert fresh is not None and fresh != bootstrap
    assert (await store.verify_api_key(fresh)).role == ADMINISTRATOR
    assert await db.count_admin_keys(pools[0]) == 1
