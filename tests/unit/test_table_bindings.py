"""Table bindings, parsed once for every sync connector (`executor/destinations/bindings.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.connectors.postgres_plan import parse_spec as parse_postgres
from syncplane.executor.context import RunFailed
from syncplane.executor.destinations.bindings import LOAD_MODES, TableBinding, parse_binding
from syncplane.executor.sources.file_config import parse_spec as parse_files
from syncplane.executor.sources.http_config import parse_spec as parse_http


def test_defaults_name_the_table_after_the_key_and_upsert() -> None:
    binding = parse_binding({"entityKey": "public.orders", "binding": {"primaryKeyColumns": ["id"]}})
    assert binding == TableBinding("public.orders", "orders", ("id",), None, "upsert")


def test_the_binding_wins_over_the_sources_defaults() -> None:
    raw = {"entityKey": "e", "binding": {"primaryKeyColumns": "k", "cursorField": "at", "tableName": "t"}}
    binding = parse_binding(raw, default_key=["id"], default_cursor="updated")
    assert (binding.table_name, binding.primary_key, binding.cursor_field) == ("t", ("k",), "at")
    fallback = parse_binding({"entityKey": "e"}, default_key=["id"], default_cursor="updated")
    assert (fallback.primary_key, fallback.cursor_field) == (("id",), "updated")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"binding": {}}, "every entity needs an entityKey"),
        ({"entityKey": "e", "binding": "orders"}, "binding must be an object"),
        ({"entityKey": "e", "binding": {"loadMode": "merge", "primaryKeyColumns": ["id"]}}, "loadMode 'merge'"),
        ({"entityKey": "e", "binding": {"primaryKeyColumns": [1]}}, "primaryKeyColumns must be a list"),
        ({"entityKey": "e", "binding": {"primaryKeyColumns": ["id"], "cursorField": 3}}, "cursorField must be"),
        ({"entityKey": "e", "binding": {}}, "upsert needs primaryKeyColumns"),
    ],
)
def test_a_wrong_binding_is_a_config_error(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(RunFailed) as caught:
        parse_binding(raw)
    assert caught.value.reason_code == "config_error"
    assert message in str(caught.value)


def test_a_source_that_finds_the_key_itself_lets_upsert_go_without_one() -> None:
    assert parse_binding({"entityKey": "e"}, upsert_needs_key=False).primary_key == ()


def _plan(provider: str, config: dict[str, Any], load_mode: str) -> dict[str, Any]:
    return {
        "syncId": "s",
        "source": {"provider": provider, "config": config},
        "entities": [{"entityKey": "e", "binding": {"loadMode": load_mode, "primaryKeyColumns": ["id"]}}],
    }


@pytest.mark.parametrize("load_mode", LOAD_MODES)
def test_every_connector_reads_the_same_binding(load_mode: str) -> None:
    postgres = parse_postgres(_plan("postgres", {}, load_mode)).entities[0]
    http = parse_http(_plan("http_api", {"baseUrl": "https://api.example", "entities": {"e": {"path": "/e"}}}, load_mode))
    files = parse_files(
        _plan("sftp", {"host": "files.example", "username": "u", "entities": {"e": {"path": "*.csv", "format": "csv"}}}, load_mode),
        "sftp",
    )
    for entity in (postgres, http.entities[0], files.entities[0]):
        assert (entity.key, entity.table_name, entity.primary_key, entity.load_mode) == ("e", "e", ("id",), load_mode)
