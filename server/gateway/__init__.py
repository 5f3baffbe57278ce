"""The JSON/REST gateway: HTTP requests transcoded to gRPC calls from the `google.api.http` annotations.

The one entry point is `build_gateway_app`; the modules behind it are named for what they hold:
`templates` and `router` (paths), `transcode`, `jsoncheck` and `query` (requests), `marshal` (responses),
`errors` and `error_styles` (error shapes per dialect), `metadata`, `streaming`, `openapi` and `docs`;
what is refused before any call: `headers`, `jsonlimits`, `cookies` (the API-key cookie rule), `authprobe`
(authentication before validation) and `parse_errors` (aiohttp's own 400s, logged in one line).
"""

from syncplane.server.gateway.app import build_gateway_app

__all__ = ["build_gateway_app"]
