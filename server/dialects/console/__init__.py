"""The console's read-only service (GET /api/v1/console/...): what the web console at /ui needs
beyond the three dialects' own APIs."""
