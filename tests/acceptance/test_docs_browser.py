"""`/docs` in a real headless Chromium (the system package, driven by Playwright): the page loads with
nothing from outside the server (every other request is refused and recorded), shows the descriptions
from the proto comments, takes an API key in "Authorize", and "Try it out" gets a 200 from the server."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route, async_playwright

from tests.acceptance.harness import ADMIN_KEY, Stack

pytestmark = pytest.mark.acceptance

#: The system Chromium (scripts/install_chromium.sh); Playwright's own download would need the internet.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NEVER = 60_000  # ms: a bound for a page that never renders (a bug), not a speed


@pytest.fixture
async def browser_page(api_stack: Stack) -> AsyncIterator[tuple[object, list[str]]]:
    outside: list[str] = []
    origin = urlsplit(api_stack.base).netloc

    async def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            await route.continue_()
        else:  # a CDN, a font, anything: the docs must not need it
            outside.append(route.request.url)
            await route.abort()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.set_default_timeout(NEVER)
            await page.route("**/*", only_the_server)
            yield page, outside
        finally:
            await browser.close()


async def test_docs_render_offline_with_descriptions_and_try_it_out_works(
    api_stack: Stack, browser_page: tuple[object, list[str]]
) -> None:
    page, outside = browser_page
    await page.goto(api_stack.base + "/docs")  # type: ignore[attr-defined]
    await page.wait_for_selector(".swagger-ui .info .title")  # type: ignore[attr-defined]
    assert "syncplane" in await page.inner_text(".swagger-ui .info .title")  # type: ignore[attr-defined]

    # An operation opened shows its description, from the .proto comment.
    trigger = page.locator("#operations-SyncsService-SyncsService_TriggerSync")  # type: ignore[attr-defined]
    await trigger.locator(".opblock-summary").click()
    await trigger.get_by_text("Queues a run of the sync.").wait_for()

    # Authorize with the administrator's key in the X-API-Key scheme.
    await page.locator(".auth-wrapper .authorize").click()  # type: ignore[attr-defined]
    modal = page.locator(".modal-ux")  # type: ignore[attr-defined]
    scheme = modal.locator(".auth-container").filter(has_text="apiKeyHeader")
    await scheme.locator("input").fill(ADMIN_KEY)
    await scheme.get_by_role("button", name="Authorize").click()
    await scheme.get_by_role("button", name="Logout").wait_for()
    await scheme.get_by_role("button", name="Close").click()

    # Try it out: GET /api/v1/syncs, sent by the browser to this server with the key.
    listing = page.locator("#operations-SyncsService-SyncsService_ListSyncs")  # type: ignore[attr-defined]
    await listing.locator(".opblock-summary").click()
    await listing.get_by_role("button", name="Try it out").click()
    await listing.get_by_role("button", name="Execute").click()
    status = listing.locator(".live-responses-table .response .response-col_status").first
    await status.wait_for()
    assert (await status.inner_text()).strip() == "200"
    body = await listing.locator(".live-responses-table .response-col_description pre").first.inner_text()
    assert '"syncs"' in body and '"total"' in body
    assert outside == [], outside
