"""error_handling of sync-job runs: fail_fast ends the run at the first error; ignore counts
each error, emits one `record_error` event per error (webhook runs) and goes on."""

from __future__ import annotations

import pytest

from syncplane.executor.connectors import sync_job
from syncplane.executor.context import RunFailed
from tests.integration.http_api_support import Fault
from tests.integration.pg_support import close_pools, fetch  # noqa: F401 (fixture)
from tests.integration.sync_job_support import (  # noqa: F401 (fixtures)
    CONTACTS,
    NOTES,
    USERS,
    CrmApi,
    Receiver,
    crm,
    job_ctx,
    receiver,
)


def _lose_notes_of(crm: CrmApi, *ids: int) -> None:
    for i in ids:
        del crm.notes[i]


async def test_fail_fast_fails_the_run_at_the_first_error(fresh_dsn: str, crm: CrmApi) -> None:
    _lose_notes_of(crm, 3, 8)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], error_handling="fail_fast")
    with pytest.raises(RunFailed) as failed:
        await sync_job.run(ctx)

    assert failed.value.reason_code == "source_error"
    assert "crm/notes list" in str(failed.value) and "404" in str(failed.value)
    # Nothing after the failing request was asked for.
    assert crm.requests_to("/v1/contacts/")[-1].path == "/v1/contacts/3/notes"
    assert ctx.detail["resource_stats"]["crm/notes"]["list"]["errors"] == 1
    assert len(ctx.detail["errors"]) == 1


async def test_ignore_counts_each_error_and_goes_on(fresh_dsn: str, crm: CrmApi) -> None:
    _lose_notes_of(crm, 3, 8)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], error_handling="ignore")
    await sync_job.run(ctx)

    stats = ctx.detail["resource_stats"]
    assert stats["crm/notes"]["list"] == {"fetched": 46, "persisted": 46, "delivered": 0, "errors": 2}
    assert stats["crm/contacts"]["list"]["persisted"] == 25
    assert [e["resource"] for e in ctx.detail["errors"]] == ["crm/notes", "crm/notes"]
    assert "/v1/contacts/3/notes" in ctx.detail["errors"][0]["message"]
    assert (await fetch(fresh_dsn, "SELECT count(*) FROM sync_job_data.crm_notes"))[0][0] == 46


async def test_ignore_emits_one_record_error_event_per_error(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    _lose_notes_of(crm, 3, 8, 21)
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver, error_handling="ignore")
    await sync_job.run(ctx)

    errors = receiver.events("record_error")
    assert len(errors) == 3
    assert all(e["payload"]["resource"] == "crm/notes" and e["payload"]["method"] == "list" for e in errors)
    assert "404" in errors[0]["payload"]["error"]
    assert len({e["id"] for e in errors}) == 3
    delivered = sum(len(e["payload"]["records"]) for e in receiver.events("record"))
    assert delivered == 25 + 44


async def test_fail_fast_on_a_webhook_run_sends_no_record_error(fresh_dsn: str, crm: CrmApi, receiver: Receiver) -> None:
    _lose_notes_of(crm, 3)
    with pytest.raises(RunFailed):
        await sync_job.run(job_ctx(crm, fresh_dsn, [CONTACTS, NOTES], receiver=receiver, error_handling="fail_fast"))

    assert receiver.events("record_error") == []


async def test_a_request_that_keeps_failing_is_one_error_under_ignore(fresh_dsn: str, crm: CrmApi) -> None:
    # maxRetries is 2: three 503s exhaust one request.
    crm.fail_next(3, Fault(status=503), paths=("/v1/users/u1",))
    ctx = job_ctx(crm, fresh_dsn, [USERS], args={"user_ids": ["u1", "u2"]}, error_handling="ignore")
    await sync_job.run(ctx)

    assert ctx.detail["resource_stats"]["users"]["get"] == {"fetched": 1, "persisted": 1, "delivered": 0, "errors": 1}
    assert "503" in ctx.detail["errors"][0]["message"]


async def test_a_placeholder_that_does_not_convert_is_an_error(fresh_dsn: str, crm: CrmApi) -> None:
    by_number = {**USERS, "id": "{{args.user_ids:int}}"}
    ctx = job_ctx(crm, fresh_dsn, [by_number], args={"user_ids": ["u1"]}, error_handling="ignore")
    await sync_job.run(ctx)

    assert ctx.detail["resource_stats"]["users"]["get"]["errors"] == 1
    assert "cannot convert" in ctx.detail["errors"][0]["message"]
    assert crm.requests_to("/v1/users/") == []


async def test_loop_on_an_argument_that_is_not_an_array_is_an_error(fresh_dsn: str, crm: CrmApi) -> None:
    with pytest.raises(RunFailed) as failed:
        await sync_job.run(job_ctx(crm, fresh_dsn, [USERS], args={"user_ids": "u1"}, error_handling="fail_fast"))

    assert "not an array" in str(failed.value)


async def test_a_record_without_an_id_is_an_error_and_the_rest_persist(fresh_dsn: str, crm: CrmApi) -> None:
    del crm.contacts[4]["id"]
    ctx = job_ctx(crm, fresh_dsn, [CONTACTS], error_handling="ignore")
    await sync_job.run(ctx)

    assert ctx.detail["resource_stats"]["crm/contacts"]["list"] == {"fetched": 25, "persisted": 24, "delivered": 0, "errors": 1}
    assert "no 'id'" in ctx.detail["errors"][0]["message"]


async def test_a_plan_naming_a_method_the_integration_lacks_is_a_config_error(fresh_dsn: str, crm: CrmApi) -> None:
    with pytest.raises(RunFailed) as failed:
        await sync_job.run(job_ctx(crm, fresh_dsn, [{"resource": "crm/contacts", "method": "delete"}]))

    assert failed.value.reason_code == "config_error"
