"""Helpers for the jobs dialect's acceptance tests: requests with
`Authorization: Bearer`, and the resources the seed's example needs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.acceptance.harness import ADMIN_KEY, Stack

BEARER = {"Authorization": f"Bearer {ADMIN_KEY}", "X-API-Key": ""}
TERMINAL = {"completed", "failed", "stopped"}


async def call(stack: Stack, method: str, path: str, body: Any = None, expect: int | None = 200) -> Any:
    """A request authenticated only by the bearer token (the harness's X-API-Key is blanked)."""
    assert stack.session is not None
    async with stack.session.request(method, stack.base + path, json=body, headers=BEARER) as resp:
        text = await resp.text()
        if expect is not None and resp.status != expect:
            raise AssertionError(f"{method} {path}: {resp.status} {text}")
        return await resp.json() if text else None


def integration_body(api_port: int, name: str = "acme_crm") -> dict[str, Any]:
    return {
        "name": name,
        "label": "Acme CRM",
        "base_url": f"http://127.0.0.1:{api_port}/{{{{context.version}}}}",
        "auth": {"type": "bearer"},
        "resources": {
            "crm/contacts": {
                "list": {
                    "path": "/contacts",
                    "record_path": "data",
                    "id_field": "id",
                    "pagination": {"type": "page", "page_param": "page", "size_param": "per_page", "size": 10},
                    "query": {"updated_since": "{{previous_run_date}}"},
                }
            },
            "users": {"get": {"path": "/users/{{id}}", "record_path": "user", "id_field": "id"}},
        },
    }


ARGS_SCHEMA = {
    "type": "object",
    "properties": {"project_slug": {"type": "string", "pattern": "^[a-z_]+/[a-z_]+/[a-z_]+$"}},
    "required": ["project_slug"],
}


async def seed_resources(stack: Stack, api_port: int = 9, *, mutex_key: str | None = None) -> dict[str, Any]:
    """An integration, an integrated account and a sync job of it."""
    await call(stack, "POST", "/integration", integration_body(api_port), expect=201)
    account = await call(stack, "POST", "/integrated-account", {
        "integration_name": "acme_crm", "context": {"version": "v1"}, "credentials": {"token": "crm-token-secret"},
    }, expect=201)
    job = await call(stack, "POST", "/sync-job", {
        "integration_name": "acme_crm", "label": "contacts", "args_schema": ARGS_SCHEMA,
        "resources": [{"resource": "crm/contacts", "method": "list"}],
        **({"mutex_key": mutex_key} if mutex_key else {}),
    }, expect=201)
    return {"account": account, "job": job}


async def wait_status(stack: Stack, run_id: str, statuses: set[str], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = await call(stack, "GET", f"/sync-job-run/{run_id}")
        if run["status"] in statuses:
            return run
        await asyncio.sleep(0.1)
    raise TimeoutError(f"sync job run {run_id} still {run.get('status')}: {run}")
