"""Named SQL statements, kept in .sql files beside this module.

A file holds blocks that start with `-- name: <name>` followed by a one-line
description comment and the statement, as procrastinate does. Files are parsed
once, at import.
"""

from __future__ import annotations

import importlib.resources
import re

_BLOCK = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def load(area: str) -> dict[str, str]:
    """All statements of `sql/<area>.sql`, by name."""
    text = (importlib.resources.files("syncplane.server.db") / "sql" / f"{area}.sql").read_text()
    parts = _BLOCK.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        lines = [line for line in body.strip().splitlines() if not line.startswith("--")]
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries
