"""The named SQL blocks and migrations are well formed."""

from __future__ import annotations

import pytest

from syncplane.server.db import migrate, queries


@pytest.mark.parametrize("area", ["runs", "syncs", "auth", "schedules", "identity", "jobs", "jobs_runs", "jobs_outbox", "executors"])
def test_every_block_has_a_statement(area: str) -> None:
    named = queries.load(area)
    assert named
    for name, sql in named.items():
        assert sql and not sql.startswith("--"), name
        assert ";" not in sql.rstrip(";"), f"{area}.{name} holds more than one statement"


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in migrate.available()]
    assert versions == list(range(1, len(versions) + 1))
