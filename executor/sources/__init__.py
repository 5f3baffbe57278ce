"""Sources that connectors read from (discovery and batch queries)."""
