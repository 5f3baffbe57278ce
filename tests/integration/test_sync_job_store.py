"""Daemon runs of a sync job: records upserted into the data store, counted per resource and
method; the resource graph (depends_on, loop_on) and previous_run_date."""

from __future__ import annotations

import json
from typing import Any

from syncplane.executor.connectors import sync_job
from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.sync_job_support import (  # noqa: F401 (fixtures)
    ACCOUNT_ID,
    CONTACTS,
    NOTES,
    USERS,
    CrmApi,
    DetailReporter,
    crm,
    job_ctx,
)


async def _rows(dsn: str, table: str) -> list[dict[str, Any]]:
    rows = await fetch(
        dsn,
        f"SELECT id, integrated_account_id::text AS account, sync_job_run_id::text AS run, record::text AS record"
        f" FROM sync_job_data.{table} ORDER BY id",
    )
    return [{**dict(r), "record": json.loads(r["record"])} for r in rows]


async def test_a_daemon_run_upserts_every_record_into_the_resource_table(fresh_dsn: str, crm: CrmApi) -> None:
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS])
    await sync_job.run(ctx)

    rows = await _rows(fresh_dsn, "crm_contacts")
    assert len(rows) == 25
    by_id = {r["id"]: r for r in rows}
    assert by_id["7"]["record"] == {**crm.contacts[6]}
    assert {r["account"] for r in rows} == {ACCOUNT_ID}
    assert {r["run"] for r in rows} == {ctx.spec["syncJobRunId"]}


async def test_a_daemon_run_reports_fetched_and_persisted_per_resource_and_method(fresh_dsn: str, crm: CrmApi) -> None:
    reporter = DetailReporter()
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], reporter=reporter)
    await sync_job.run(ctx)

    stats = ctx.detail["resource_stats"]
    assert stats == {"crm/contacts": {"list": {"fetched": 25, "persisted": 25, "delivered": 0, "errors": 0}}}
    assert ctx.detail["errors"] == []
    # Counts grow while the run goes (pages of 10), not only at the end.
    persisted = [d["resource_stats"]["crm/contacts"]["list"]["persisted"] for d in reporter.details if "resource_stats" in d]
    assert 10 in persisted and 20 in persisted
    assert ctx.entities["crm/contacts"].rows_written == 25


async def test_the_account_secret_authenticates_and_context_fills_the_base_url(fresh_dsn: str, crm: CrmApi) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS]))

    seen = crm.requests_to("/v1/contacts")
    assert [s.query["page"] for s in seen] == ["1", "2", "3"]
    assert all(s.headers["Authorization"] == "Bearer crm-token-secret" for s in seen)


async def test_a_second_run_updates_rows_in_place_and_stamps_its_run_id(fresh_dsn: str, crm: CrmApi) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS]))
    crm.contacts[0]["name"] = "renamed"
    second = job_ctx(crm, fresh_dsn, [CONTACTS])
    await sync_job.run(second)

    rows = await _rows(fresh_dsn, "crm_contacts")
    assert len(rows) == 25
    assert next(r for r in rows if r["id"] == "1")["record"]["name"] == "renamed"
    assert {r["run"] for r in rows} == {second.spec["syncJobRunId"]}


async def test_a_dependent_resource_runs_once_per_parent_record_with_it_bound(fresh_dsn: str, crm: CrmApi) -> None:
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES])
    await sync_job.run(ctx)

    note_paths = [s.path for s in crm.requests_to("/v1/contacts/")]
    assert note_paths == [f"/v1/contacts/{i}/notes" for i in range(1, 26)]
    notes = await _rows(fresh_dsn, "crm_notes")
    assert len(notes) == 50
    assert ctx.detail["resource_stats"]["crm/notes"]["list"] == {"fetched": 50, "persisted": 50, "delivered": 0, "errors": 0}


async def test_loop_on_repeats_the_request_per_array_element(fresh_dsn: str, crm: CrmApi) -> None:
    ctx = job_ctx(crm, fresh_dsn, [USERS], args={"user_ids": ["u1", "u3", "u4"]})
    await sync_job.run(ctx)

    assert [s.path for s in crm.requests_to("/v1/users/")] == ["/v1/users/u1", "/v1/users/u3", "/v1/users/u4"]
    users = await _rows(fresh_dsn, "users")
    assert [u["record"]["email"] for u in users] == ["u1@example.com", "u3@example.com", "u4@example.com"]


async def test_a_dependent_get_takes_its_id_from_the_parent_record(fresh_dsn: str, crm: CrmApi) -> None:
    crm.contacts = crm.contacts[:2]
    per_owner = {
        "resource": "users",
        "method": "get",
        "id": "{{resources.crm.contacts.owner.id}}",
        "depends_on": "crm/contacts",
        "persist": True,
    }
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, per_owner])
    await sync_job.run(ctx)

    assert [s.path for s in crm.requests_to("/v1/users/")] == ["/v1/users/u1", "/v1/users/u2"]


async def test_a_proxy_resource_is_not_persisted_unless_asked(fresh_dsn: str, crm: CrmApi) -> None:
    not_persisted = {**USERS, "persist": False}
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, not_persisted], args={"user_ids": ["u1"]})
    await sync_job.run(ctx)

    assert ctx.detail["resource_stats"]["users"]["get"] == {"fetched": 1, "persisted": 0, "delivered": 0, "errors": 0}
    # Besides the fence's state tables (_syncplane_*), only the persisted resource has a table.
    tables = await fetch(
        fresh_dsn,
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'sync_job_data' AND tablename NOT LIKE '\\_syncplane\\_%'",
    )
    assert [t[0] for t in tables] == ["crm_contacts"]


async def test_previous_run_date_fetches_only_what_changed(fresh_dsn: str, crm: CrmApi) -> None:
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], previous_run_date="2024-01-01T00:00:20.000Z")
    await sync_job.run(ctx)

    assert {s.query.get("updated_since") for s in crm.requests_to("/v1/contacts")} == {"2024-01-01T00:00:20.000Z"}
    assert [r["id"] for r in await _rows(fresh_dsn, "crm_contacts")] == ["20", "21", "22", "23", "24", "25"]
    assert ctx.detail["resource_stats"]["crm/contacts"]["list"]["fetched"] == 6


async def test_without_a_previous_run_date_the_filter_is_left_out(fresh_dsn: str, crm: CrmApi) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS], previous_run_date=None))

    assert all("updated_since" not in s.query for s in crm.requests_to("/v1/contacts"))
    assert len(await _rows(fresh_dsn, "crm_contacts")) == 25


async def test_records_of_other_accounts_are_kept_apart(fresh_dsn: str, crm: CrmApi) -> None:
    await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS]))
    other = job_ctx(crm, fresh_dsn, [CONTACTS])
    other.spec["integratedAccountId"] = "11111111-2222-3333-4444-555555555555"
    await sync_job.run(other)

    counts = await fetch(fresh_dsn, "SELECT integrated_account_id::text, count(*) FROM sync_job_data.crm_contacts GROUP BY 1 ORDER BY 1")
    assert [tuple(r) for r in counts] == [("11111111-2222-3333-4444-555555555555", 25), (ACCOUNT_ID, 25)]


async def test_loop_on_in_a_dependent_resource_repeats_per_parent_record_and_element(fresh_dsn: str, crm: CrmApi) -> None:
    crm.contacts = crm.contacts[:2]
    per_contact_and_user = {**USERS, "depends_on": "crm/contacts", "query": {"contact": "{{resources.crm.contacts.id}}"}}
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, per_contact_and_user], args={"user_ids": ["u1", "u2"]})
    await sync_job.run(ctx)

    seen = [(s.path, s.query["contact"]) for s in crm.requests_to("/v1/users/")]
    assert seen == [("/v1/users/u1", "1"), ("/v1/users/u2", "1"), ("/v1/users/u1", "2"), ("/v1/users/u2", "2")]
    assert ctx.detail["resource_stats"]["users"]["get"]["fetched"] == 4
    assert len(await _rows(fresh_dsn, "users")) == 2  # upserted by id
