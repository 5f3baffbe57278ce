"""The names no sync or identity export may target, and whole-string identifier checks."""

from __future__ import annotations

import pytest

from syncplane.executor.destinations import state
from syncplane.executor.sources import pg_source
from syncplane.server.dialects import reserved
from syncplane.server.dialects.jobs.plans import STORE_SCHEMA


@pytest.mark.parametrize("name", ["syncplane\n", "orders\n", " orders", "orders ", "ord-ers", "1orders", "", "a" * 64, "ordérs"])
def test_identifiers_are_matched_as_whole_strings(name: str) -> None:
    assert not reserved.is_identifier(name)


@pytest.mark.parametrize("name", ["orders", "_orders", "Orders_2", "a" * 63])
def test_plain_identifiers_pass(name: str) -> None:
    assert reserved.is_identifier(name)


@pytest.mark.parametrize(
    "schema", ["syncplane", "Syncplane", "SYNCPLANE", "idm", "IDM", "sync_job_data", "Sync_Job_Data",
               "pg_catalog", "PG_CATALOG", "pg_toast", "Pg_temp_3", "information_schema", "INFORMATION_SCHEMA"],
)
def test_reserved_schemas_compare_case_insensitively(schema: str) -> None:
    assert reserved.schema_problem(schema) is not None


@pytest.mark.parametrize("schema", ["public", "demo", "analytics", "idm2", "syncplane_x", "pgx"])
def test_user_schemas_are_free(schema: str) -> None:
    assert reserved.schema_problem(schema) is None


@pytest.mark.parametrize("table", ["_syncplane_fences", "_syncplane_cursors", "_SYNCPLANE_FENCES", "_Syncplane_anything"])
def test_loader_tables_are_reserved(table: str) -> None:
    assert reserved.table_problem(table) is not None


@pytest.mark.parametrize(
    "value", ["syncplane.api_keys", "Syncplane.credentials", "IDM.mv_objects", "idm.cs_objects", "sync_job_data.crm_contacts",
              "pg_catalog.pg_authid", "PG_CATALOG.pg_class", "information_schema.tables", "_syncplane_fences",
              "public._syncplane_cursors", "accounts\n", "public.\x00x", "", ".accounts", "public.", "x" * 64 + ".t"],
)
def test_identity_table_setting_refuses_internal_stores_and_junk(value: str) -> None:
    assert reserved.qualified_table_problem(value) is not None


@pytest.mark.parametrize("value", ["accounts", "public.accounts", "Directory.People", "hr.person list"])
def test_identity_table_setting_accepts_user_tables(value: str) -> None:
    assert reserved.qualified_table_problem(value) is None


def test_the_reserved_names_are_the_stores_real_names() -> None:
    # The server cannot import the executor; this keeps the two spellings in step.
    assert reserved.JOBS_STORE_SCHEMA == STORE_SCHEMA
    assert state.FENCES_TABLE.startswith(reserved.RESERVED_TABLE_PREFIX)
    assert state.CURSORS_TABLE.startswith(reserved.RESERVED_TABLE_PREFIX)
    assert pg_source.RESERVED_PREFIX == reserved.RESERVED_TABLE_PREFIX
    from syncplane.executor.identity import store

    assert f"CREATE SCHEMA IF NOT EXISTS {reserved.IDENTITY_STORE_SCHEMA};" in store._DDL
