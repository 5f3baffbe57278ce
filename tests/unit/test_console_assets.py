"""/ui: the console's shell and assets from the package, and nothing else."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request

from syncplane.server.gateway.console import ConsoleAssets, is_console_path


async def _get(path: str, method: str = "GET"):  # type: ignore[no-untyped-def]
    return await ConsoleAssets().handle(make_mocked_request(method, path), path)


def test_only_ui_paths_are_the_consoles() -> None:
    assert is_console_path("/ui") and is_console_path("/ui/") and is_console_path("/ui/app.js")
    assert not is_console_path("/uix") and not is_console_path("/api/v1/ui")


async def test_the_shell_and_its_modules_are_served_with_a_strict_policy() -> None:
    for path in ("/ui", "/ui/", "/ui/index.html"):
        shell = await _get(path)
        assert shell.status == 200 and shell.headers["Content-Type"] == "text/html; charset=utf-8"
        assert b'<script type="module" src="/ui/app.js">' in shell.body
        assert "default-src 'self'" in shell.headers["Content-Security-Policy"]
        assert shell.headers["X-Content-Type-Options"] == "nosniff"
    script = await _get("/ui/app.js")
    assert script.status == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert (await _get("/ui/app.css")).headers["Content-Type"].startswith("text/css")


async def test_anything_else_is_404_and_writes_are_405() -> None:
    for path in ("/ui/nope.js", "/ui/../server/app.py", "/ui/%2e%2e/pyproject.toml", "/ui/ui/app.js", "/ui/APP.JS"):
        assert (await _get(path)).status == 404, path
    refused = await _get("/ui/app.js", "POST")
    assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD"
