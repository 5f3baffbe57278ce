"""The sync-job plan: validation, loop_on spellings, the resource graph's scopes."""

from __future__ import annotations

from typing import Any

import pytest

from syncplane.executor.context import RunFailed
from syncplane.executor.jobs import graph
from syncplane.executor.jobs.placeholders import PlaceholderError
from syncplane.executor.jobs.plan import normalise_loop_on, parse_plan
from syncplane.executor.jobs.store import table_name
from syncplane.executor.jobs.webhook import event_id, signature


def _spec(resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "syncJobRunId": "r1",
        "syncJobId": "j1",
        "integratedAccountId": "a1",
        "integration": {
            "name": "acme",
            "baseUrl": "https://{{context.subdomain}}.example.com/api",
            "auth": {"type": "bearer"},
            "resources": {
                "crm/contacts": {"list": {"path": "/contacts", "recordPath": "data"}},
                "crm/notes": {"list": {"path": "/notes"}},
                "users": {"get": {"path": "/users/{{id}}"}},
            },
        },
        "context": {"subdomain": "acme"},
        "resources": resources,
        **extra,
    }


CONTACTS = {"resource": "crm/contacts", "method": "list"}


def test_the_base_url_is_filled_from_the_context() -> None:
    plan = parse_plan(_spec([CONTACTS]))
    assert plan.client.base_url == "https://acme.example.com/api"


def test_defaults_ignore_errors_and_a_daemon_target() -> None:
    plan = parse_plan(_spec([CONTACTS]))
    assert plan.error_handling == "ignore" and plan.target == "daemon" and plan.store_schema == "sync_job_data"


@pytest.mark.parametrize("raw", ["user_ids", "args.user_ids", "{{args.user_ids}}", "{{ user_ids }}", {"{ args.user_ids }": None}])
def test_loop_on_spellings_all_name_the_argument(raw: Any) -> None:
    assert normalise_loop_on(raw) == "args.user_ids"


def test_unified_resources_always_persist_and_proxy_ones_only_when_asked() -> None:
    plan = parse_plan(
        _spec([{**CONTACTS, "persist": False}, {"resource": "users", "method": "get"}, {"resource": "users", "method": "get", "persist": True}])
    )
    assert [item.persist for item in plan.resources] == [True, False, True]


def test_a_parent_missing_from_the_plan_is_a_config_error() -> None:
    with pytest.raises(RunFailed, match="not in the job's resources") as failed:
        parse_plan(_spec([{"resource": "crm/notes", "method": "list", "depends_on": "crm/contacts"}]))
    assert failed.value.reason_code == "config_error"


def test_resources_depending_on_each_other_are_a_config_error() -> None:
    items = [
        {"resource": "crm/contacts", "method": "list", "depends_on": "crm/notes"},
        {"resource": "crm/notes", "method": "list", "depends_on": "crm/contacts"},
    ]
    with pytest.raises(RunFailed, match="cycle"):
        parse_plan(_spec(items))


def test_a_webhook_target_needs_a_url() -> None:
    with pytest.raises(RunFailed, match="target.url"):
        parse_plan(_spec([CONTACTS], target={"kind": "webhook"}))


def test_an_unknown_error_handling_is_refused() -> None:
    with pytest.raises(RunFailed, match="errorHandling"):
        parse_plan(_spec([CONTACTS], errorHandling="retry"))


def test_loop_scopes_bind_each_element_at_the_loop_path() -> None:
    plan = parse_plan(_spec([{"resource": "users", "method": "get", "loop_on": "user_ids"}], args={"user_ids": ["a", "b"], "x": 1}))
    scopes = list(graph.loop_scopes(plan.resources[0], plan.base_scope()))
    assert [s["args"]["user_ids"] for s in scopes] == ["a", "b"]
    assert all(s["args"]["x"] == 1 for s in scopes)
    assert plan.args["user_ids"] == ["a", "b"]  # the plan's own args are not changed


def test_loop_on_a_value_that_is_not_an_array_is_a_placeholder_error() -> None:
    plan = parse_plan(_spec([{"resource": "users", "method": "get", "loop_on": "user_ids"}], args={"user_ids": "a"}))
    with pytest.raises(PlaceholderError, match="not an array"):
        list(graph.loop_scopes(plan.resources[0], plan.base_scope()))


def test_a_child_scope_holds_the_parent_record_under_its_api_and_resource() -> None:
    plan = parse_plan(_spec([CONTACTS, {"resource": "crm/notes", "method": "list", "depends_on": "crm/contacts"}]))
    scope = graph.with_parent(plan.base_scope(), plan.resources[0], {"id": 7})
    assert scope["resources"] == {"crm": {"contacts": {"id": 7}}}
    assert plan.base_scope()["resources"] == {}
    assert [c.resource for c in graph.children(plan)["crm/contacts"]] == ["crm/notes"]


def test_table_names_follow_the_resource() -> None:
    assert table_name("crm/contacts") == "crm_contacts"
    assert table_name("Ticketing/Ticket-Comments") == "ticketing_ticket_comments"
    assert table_name("contacts") == "contacts"


def test_event_ids_are_deterministic_and_distinct_per_batch() -> None:
    assert event_id("r1", "record", "crm/contacts", "list", 1) == event_id("r1", "record", "crm/contacts", "list", 1)
    assert event_id("r1", "record", "crm/contacts", "list", 1) != event_id("r1", "record", "crm/contacts", "list", 2)
    assert event_id("r1", "started") != event_id("r2", "started")


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    # RFC 4231, test case 2.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signature("Jefe", b"what do ya want for nothing?") == f"format=sha256,v={expected}"
