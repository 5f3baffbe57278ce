"""The web console: /ui serves its shell, /ui/<file> its assets, all shipped inside the package.

The console is hand-written HTML, CSS and ES modules (server/gateway/ui/): no build step and no
third-party code, so what is served is what is in the repository. Screens are hash routes
(`/ui#/runs/…`), so the shell is the only page and every screen's URL can be shared. The console
calls the REST API like any other client, with the API key the user signs in with.
"""

from __future__ import annotations

import importlib.resources
import mimetypes
import re

from aiohttp import web

PREFIX = "/ui"
_ASSET = re.compile(r"^[a-z0-9_-]+\.(js|css|svg|html)$")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}
# Only this origin's scripts and styles, no framing, no referrer carrying run ids elsewhere.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class ConsoleAssets:
    """Reads the assets once, on first use (most gateway processes never serve the console)."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] | None = None

    def _load(self) -> dict[str, bytes]:
        if self._files is None:
            root = importlib.resources.files("syncplane.server.gateway") / "ui"
            self._files = {
                entry.name: entry.read_bytes() for entry in root.iterdir() if _ASSET.match(entry.name)
            }
        return self._files

    async def handle(self, request: web.Request, path: str) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, headers={"Allow": "GET, HEAD"})
        name = path[len(PREFIX):].lstrip("/") or "index.html"
        body = self._load().get(name)
        if body is None:
            return web.Response(status=404, text="Not Found", headers=_HEADERS)
        suffix = name[name.rfind("."):]
        content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        headers = {**_HEADERS, "Content-Type": f"{content_type}; charset=utf-8"}
        return web.Response(body=body, headers=headers)
