"""Shared pieces of the web console's end-to-end tests: one server per module, a real browser.

The server has one executor in group `default` (the demo sync, failing runs, identity runs), armed
at `executor.run.started` but released (a test `clear`s it to hold a run there), and one in group
`slow`, armed to pause at `executor.batch.committed`: a run there is guaranteed to be going when
the test cancels it, whatever the machine's speed. The `external` backend is on (its worker is
examples/external_worker.py, started by the test that needs it). The browser is the system
Chromium, driven by Playwright from PyPI (`scripts/install_chromium.sh` installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from syncplane.server import demo
from syncplane.server.db.dsn import with_database
from syncplane.server.db.pool import create_pool
from syncplane.server.demo_identity import install_identity
from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.failpoints_support import Failpoints
from tests.acceptance.harness import ADMIN_KEY, Stack
from tests.conftest import _create_database, _drop_database

#: Screenshots of the main screens land here (gitignored); SYNCPLANE_UI_ARTIFACTS moves them.
ARTIFACTS = Path(os.environ.get("SYNCPLANE_UI_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts" / "ui"))
SLOW_POINT = "executor.batch.committed"
STARTED = "executor.run.started"
# Conditions, not speeds: generous bounds only for a run that never gets there (a bug).
WAIT_MS = 60_000
# Every `expect` and page action waits on its condition up to that bound, not Playwright's 5 s default:
# on a busy machine a page may take longer than 5 s to show what it will show.
expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise RuntimeError("chromium is missing: run scripts/install_chromium.sh (make test does)")
    return found


@dataclass
class Console:
    stack: Stack
    failpoints: Failpoints
    demo_sync_id: str
    source_dsn: str
    browser: Browser

    @property
    def url(self) -> str:
        return f"{self.stack.base}/ui"

    async def page(self) -> tuple[BrowserContext, Page]:
        """A fresh browser context (its own sessionStorage: signed out) and a page in it."""
        context = await self.browser.new_context(viewport={"width": 1366, "height": 900})
        context.set_default_timeout(WAIT_MS)
        page = await context.new_page()
        return context, page

    async def sign_in(self, page: Page, key: str = ADMIN_KEY, at: str = "") -> None:
        await page.goto(f"{self.url}{at}")
        await page.get_by_label("API key").fill(key)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#who-role")).to_be_visible(timeout=WAIT_MS)


async def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


async def make_slow_source(dsn: str, rows: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, body text, updated_at timestamptz NOT NULL)")
        await conn.execute(
            "INSERT INTO events SELECT g, 'event ' || g, now() FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING", rows
        )
    finally:
        await conn.close()


async def create_sync(stack: Stack, source_dsn: str, name: str, table: str, group: str = "default") -> str:
    connection = await stack.post(
        "/api/v1/connections",
        {"name": f"source for {name}", "providerKey": "postgres", "config": {"dsn": source_dsn}},
        expect=201,
    )
    sync = await stack.post(
        "/api/v1/syncs",
        {
            "connectionId": connection["id"], "name": name, "entities": [table],
            "executionConfig": {"pageSize": 100, "executorGroup": group},
            "tableBindings": [{"entityKey": table, "tableName": f"{name.replace(' ', '_')}_copy",
                               "primaryKeyColumns": ["id"], "cursorField": "updated_at", "loadMode": "upsert"}],
        },
        expect=201,
    )
    return str(sync["id"])


@pytest.fixture(scope="module")
async def console(pg_root_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    """A server with the demos (sync, identity), a `default` and a paused `slow` executor, and a browser."""
    root = tmp_path_factory.mktemp("console")
    control = await _create_database(pg_root_dsn)
    source = await _create_database(pg_root_dsn)
    dsn, source_dsn = with_database(pg_root_dsn, control), with_database(pg_root_dsn, source)
    failpoints = Failpoints(root / "failpoints", {SLOW_POINT: "pause", STARTED: "pause"})
    demo_files = root / "demo-files"  # the identity demo's HR CSV: a file root of this server
    demo_files.mkdir()
    env = {**FAST_ENGINE, "SYNCPLANE_FILE_ROOTS": str(demo_files), "SYNCPLANE_EXTERNAL_BACKEND": "on"}
    stack = Stack(database_url=dsn, log_dir=root / "logs", env=env)
    try:
        await stack.start_server()
        await stack.start_executor(slots=2, name="fast-0", env=failpoints.env("fast-0", {STARTED: "pause"}))
        failpoints.release(STARTED, only="fast-0")
        await stack.start_executor(slots=1, group="slow", name="slow-0", env=failpoints.env("slow-0", {SLOW_POINT: "pause"}))
        await stack.wait_http(lambda status, body: status == 200, "/readyz")
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            demo_sync_id = await demo.install(pool, pg_root_dsn)
            await install_identity(pool, pg_root_dsn, demo_files)
        finally:
            await pool.close()
        async with async_playwright() as playwright:
            # --no-sandbox: the suite runs as root in containers, where Chromium's sandbox cannot start.
            browser = await playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
            try:
                yield Console(stack, failpoints, demo_sync_id, source_dsn, browser)
            finally:
                await browser.close()
    finally:
        failpoints.release_all()
        await stack.stop()
        await _drop_database(pg_root_dsn, source)
        await _drop_database(pg_root_dsn, control)
