"""The settings an operator sets and the series they scrape, each in README's one table; every
SYNCPLANE_* value a server or executor reads is checked at start (SettingsError names it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncplane.server import config
from syncplane.server.observability import metrics

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# A whole variable name: not the middle of `_syncplane_cursors`, not a prefix such as SYNCPLANE_IDENTITY_*.
_NAME = re.compile(r"(?<![A-Za-z0-9_])SYNCPLANE_[A-Z0-9_]+\b")


def _section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.find("\n### ", start + 1)
    return README[start:end]


def _used_in_code() -> set[str]:
    names: set[str] = set()
    for folder in ("server", "executor", "protos/syncplane", "bench", "tests", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(n for n in _NAME.findall(path.read_text()) if not n.endswith("_"))
    names.update(_NAME.findall((ROOT / "Dockerfile").read_text()))
    return names


def test_every_variable_the_code_reads_is_in_the_settings_table_and_no_other() -> None:
    table = {n for n in _NAME.findall(_section("Settings")) if not n.endswith("_")}
    used = _used_in_code()
    assert used - table == set(), "variables missing from README's settings table"
    assert table - used == set(), "README's settings table names variables no code reads"


def test_every_metric_is_in_the_metrics_table() -> None:
    listed = set(re.findall(r"^\| `(syncplane_\w+)`", _section("Metrics"), re.MULTILINE))
    assert listed == set(metrics.metric_names())


@pytest.mark.parametrize(("name", "value", "why"), [
    ("SYNCPLANE_LEASE_SECONDS", "soon", "not a number"),
    ("SYNCPLANE_SWEEP_SECONDS", "0", "greater than 0"),
    ("SYNCPLANE_CANCEL_TIMEOUT_SECONDS", "nan", "greater than 0"),
    ("SYNCPLANE_DATABASE_WAIT_SECONDS", "-5", "at least 0"),
    ("SYNCPLANE_METRICS_INTERVAL_SECONDS", "inf", "greater than 0"),
    ("SYNCPLANE_LOG_LEVEL", "chatty", "one of"),
    ("SYNCPLANE_IDENTITY_PARTITION_VALIDATION", "maybe", "one of"),
    ("SYNCPLANE_DATA_STORE_URL", "mysql://u:pw@h/db", "postgresql://"),
])
def test_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str, why: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(config.SettingsError) as raised:
        config.check_environment()
    message = str(raised.value)
    assert message.startswith(name) and why in message and "\n" not in message
    assert "pw@" not in message  # a URL is never echoed: it may hold a password


def test_the_heartbeat_must_be_shorter_than_the_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCPLANE_LEASE_SECONDS", "2")
    monkeypatch.setenv("SYNCPLANE_HEARTBEAT_SECONDS", "2")
    with pytest.raises(config.SettingsError, match="SYNCPLANE_HEARTBEAT_SECONDS=2 must be less than"):
        config.check_environment()
    monkeypatch.setenv("SYNCPLANE_HEARTBEAT_SECONDS", "0.5")
    config.check_environment()
