"""The OpenAPI document of the real services: descriptions from the proto comments, enums from the
`string_enum` options (the same values the dialects accept), examples that fit their schemas,
security schemes per credential, and a document that validates."""

from __future__ import annotations

from typing import Any

import openapi_spec_validator
import pytest
from openapi_schema_validator import OAS30Validator

from syncplane.server.app import rest_services
from syncplane.server.dialects.admin import admin_service
from syncplane.server.dialects.identity import run_profiles
from syncplane.server.dialects.jobs import inputs as jobs_inputs
from syncplane.server.dialects.syncs import providers, sync_input
from syncplane.server.dialects.syncs.syncs_service import RUN_STATUSES
from syncplane.server.gateway.openapi import build_openapi
from syncplane.server.gateway.openapi_examples import EXAMPLES
from syncplane.server.gateway.routes import collect_routes


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return build_openapi(collect_routes(rest_services()))


def test_the_document_validates(doc: dict[str, Any]) -> None:
    openapi_spec_validator.validate(doc)


def test_operations_and_tags_carry_the_proto_comments(doc: dict[str, Any]) -> None:
    trigger = doc["paths"]["/api/v1/syncs/{sync_id}/trigger"]["post"]
    assert trigger["description"] == "Queues a run of the sync."
    tags = {t["name"]: t["description"] for t in doc["tags"]}
    assert "syncplane.syncs.v1.SyncsService" in tags["SyncsService"]
    runs = doc["paths"]["/sync-job-run/{id}"]["delete"]
    assert runs["description"].startswith("Stops a run")
    # Every operation says something, from its comment or from its name.
    assert all(op.get("description") for item in doc["paths"].values() for op in item.values() if "operationId" in op
               and not op["operationId"].startswith("health"))


def test_fields_carry_the_proto_comments(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    sync = schemas["Sync"]["properties"]
    assert sync["freshUntil"]["description"] == "When the sync stops (or stopped) being fresh."
    job_run = schemas["CreateSyncJobRunRequest"]["properties"]
    assert "never both" in job_run["daemon_group_key"]["description"]
    cursor = next(p for p in doc["paths"]["/integration"]["get"]["parameters"] if p["name"] == "next_cursor")
    assert "cursor" in cursor["description"]


def _enum(schema: dict[str, Any]) -> list[Any]:
    return schema.get("enum") or schema["items"]["enum"]


def test_string_enums_are_the_values_the_dialects_accept(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert _enum(schemas["Sync"]["properties"]["status"]) == list(sync_input.STATUSES)
    assert _enum(schemas["Sync"]["properties"]["providerKey"]) == list(providers.PROVIDERS)
    assert _enum(schemas["SyncRun"]["properties"]["runMode"]) == list(sync_input.RUN_MODES)
    assert _enum(schemas["SyncRun"]["properties"]["status"]) == list(RUN_STATUSES)
    assert _enum(schemas["RunProfile"]["properties"]["runType"]) == list(run_profiles.RUN_TYPES)
    assert _enum(schemas["SyncJobRun"]["properties"]["status"]) == list(jobs_inputs.RUN_STATUSES)
    assert _enum(schemas["ApiKey"]["properties"]["role"]) == list(admin_service.ROLES)
    # A nullable one lists null too (OpenAPI 3.0.3); a repeated query parameter has an enum of items.
    assert _enum(schemas["SyncInput"]["properties"]["status"]) == [*sync_input.STATUSES, None]
    status = next(p for p in doc["paths"]["/api/v1/syncs/runs"]["get"]["parameters"] if p["name"] == "status")
    assert _enum(status["schema"]) == list(RUN_STATUSES)


def test_examples_come_with_their_schemas_and_fit_them(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    with_examples = {name: s for name, s in schemas.items() if "example" in s}
    assert len(with_examples) == len(EXAMPLES)
    resolver_doc = {"components": doc["components"]}
    for name, schema in with_examples.items():
        validator = OAS30Validator({**schema, **resolver_doc})
        errors = [e.message for e in validator.iter_errors(schema["example"])]
        assert not errors, (name, errors)
        assert set(schema["example"]) <= set(schema["properties"]), (name, set(schema["example"]) - set(schema["properties"]))
    # An example field with the wrong type would be caught: the check can fail.
    bad = {**schemas["RunProfile"]["example"], "pageSize": "many"}
    assert list(OAS30Validator({**schemas["RunProfile"], **resolver_doc}).iter_errors(bad))


def test_security_schemes_name_each_credential(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert {k: {f: v[f] for f in ("type", "in", "name") if f in v} for k, v in schemes.items()} == {
        "bearerAuth": {"type": "http"},
        "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "cookie_vai_token": {"type": "apiKey", "in": "cookie", "name": "vai_token"},
    }
    assert all(s["description"] for s in schemes.values())
    syncs = doc["paths"]["/api/v1/syncs"]["get"]["security"]
    jobs = doc["paths"]["/sync-job-run"]["get"]["security"]
    assert {"cookie_vai_token": []} in syncs and {"cookie_vai_token": []} not in jobs
    assert {"apiKeyHeader": []} in jobs and {"bearerAuth": []} in jobs
