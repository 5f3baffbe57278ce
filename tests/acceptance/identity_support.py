"""Helpers of the identity-dialect acceptance tests: a stack with the dialect's
settings, raw HTTP calls, and the seeds' connected systems."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.acceptance.conftest import FAST_ENGINE
from tests.acceptance.harness import ADMIN_KEY, Stack

SYNC = "/api/v1/synchronisation"
CS = f"{SYNC}/connected-systems"
FILE_DEF, LDAP_DEF, SCIM_DEF, SQL_DEF = 1, 2, 3, 4
ERROR_KEYS = {"code", "message", "details", "validationErrors", "timestamp"}


async def identity_stack(
    dsn: str, tmp_path: Path, request: pytest.FixtureRequest, *, executors: int = 0, env: dict[str, str] | None = None
) -> AsyncIterator[Stack]:
    s = Stack(database_url=dsn, log_dir=tmp_path / "logs", env={**FAST_ENGINE, **(env or {})})
    try:
        yield await s.start(executors=executors, slots=2)
    finally:
        await s.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed and s.server is not None:
            print(f"----- server log (tail) -----\n{s.server.log()[-6000:]}")


async def call(
    stack: Stack, method: str, path: str, body: Any = None, *, key: str | None = ADMIN_KEY,
    headers: dict[str, str] | None = None, data: str | bytes | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One HTTP call with its own session (so no default headers sneak in)."""
    sent = {"X-Api-Key": key} if key else {}
    sent.update(headers or {})
    if body is not None:
        data = json.dumps(body)
        sent.setdefault("Content-Type", "application/json")
    async with aiohttp.ClientSession() as session:
        async with session.request(method, stack.base + path, data=data, headers=sent) as resp:
            text = await resp.text()
            return resp.status, (json.loads(text) if text else None), dict(resp.headers)


async def ok(stack: Stack, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
    status, payload, _ = await call(stack, method, path, body)
    assert status == expect, f"{method} {path}: {status} {payload}"
    return payload


def assert_error(status: int, body: Any, expect_status: int, code: str, field: str | None = None) -> None:
    assert status == expect_status, body
    assert set(body) == ERROR_KEYS, body
    assert body["code"] == code, body
    assert body["message"] and body["timestamp"].endswith("Z")
    if field is not None:
        assert field in (body["validationErrors"] or {}), body
        assert all(isinstance(m, str) and m for m in body["validationErrors"][field])


async def create_ldap(stack: Stack, name: str = "Corporate LDAP", **settings: Any) -> dict[str, Any]:
    body = {"name": name, "connectorDefinitionId": LDAP_DEF,
            "settings": {"host": "ldap.example.org", "bindDn": "cn=admin,dc=example,dc=org", **settings},
            "secrets": {"password": "s3cret"}}
    return await ok(stack, "POST", CS, body, 201)


async def create_file(stack: Stack, name: str = "HR Database", **settings: Any) -> dict[str, Any]:
    body = {"name": name, "connectorDefinitionId": FILE_DEF, "settings": {"anchorAttribute": "employeeId", **settings}}
    return await ok(stack, "POST", CS, body, 201)


async def add_partitions(stack: Stack, cs_id: int, names: list[str]) -> list[int]:
    """Partitions as a schema import would have found them. (Test setup only: an
    import needs an executor, which these API tests do without.)"""
    conn = await asyncpg.connect(stack.database_url)
    try:
        return [
            await conn.fetchval(
                "INSERT INTO syncplane.idm_partitions (connected_system_id, name, external_id) VALUES ($1, $2, $3) RETURNING id",
                cs_id, name, f"ou={name.lower()},dc=example,dc=org",
            )
            for name in names
        ]
    finally:
        await conn.close()
