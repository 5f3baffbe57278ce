"""Every named SQL statement is found by grepping its name: each one is used
under its literal name in server/db (no name built at run time), and every
name used there is a statement that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncplane.server.db import queries

DB = Path(queries.__file__).parent
AREAS = sorted(p.stem for p in (DB / "sql").glob("*.sql"))
SOURCE = "\n".join(p.read_text() for p in sorted(DB.glob("*.py")))


@pytest.mark.parametrize("area", AREAS)
def test_every_statement_is_used_by_its_literal_name(area: str) -> None:
    unused = [name for name in queries.load(area) if f'"{name}"' not in SOURCE]
    assert not unused, f"sql/{area}.sql statements no module in server/db names literally: {unused}"


def test_no_statement_name_is_built_at_run_time() -> None:
    assert not re.findall(r"Q\[f[\"']", SOURCE)


def test_every_name_looked_up_exists() -> None:
    known = {name for area in AREAS for name in queries.load(area)}
    looked_up = set(re.findall(r'Q\["(\w+)"\]', SOURCE))
    assert looked_up - known == set()
