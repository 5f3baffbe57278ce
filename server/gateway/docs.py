"""`GET /docs`: Swagger UI over /openapi.json, its assets served from the `swagger-ui-bundle` package.

Nothing comes from a CDN: servers may have no internet access, and a page that loads script from
elsewhere would let that elsewhere read the API key a user pastes. "Authorize" takes an API key (the
X-API-Key header or a bearer token) and "Try it out" sends real requests to this gateway.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

#: The files of the bundle the page uses, served at /docs/<name>.
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png")
INIT_SCRIPT = "syncplane-init.js"

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>syncplane API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<style>body { margin: 0; } .swagger-ui .topbar { display: none; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/syncplane-init.js"></script>
</body>
</html>
"""

# A separate file rather than an inline script: the page then works under a strict
# Content-Security-Policy (script-src 'self').
INIT_JS = """"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // The key pasted in "Authorize" survives a reload (kept in this browser's localStorage only).
  persistAuthorization: true,
  displayRequestDuration: true,
  filter: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: "BaseLayout",
});
"""


@cache
def asset(name: str) -> tuple[bytes, str]:
    """The bytes and content type of one bundled file (read once)."""
    if name == INIT_SCRIPT:
        return INIT_JS.encode(), "application/javascript"
    if name not in ASSETS:
        raise KeyError(name)
    path = Path(swagger_ui_path) / name
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return path.read_bytes(), kind
