"""Helpers for the sync_job connector tests: a real local CRM-like API, a real local
webhook receiver that verifies signatures, and plans as docs/jobs.md describes them.

No mocks: both servers are aiohttp applications on 127.0.0.1 (free ports).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from syncplane.executor.context import RunContext
from tests.integration.http_api_support import Fault, Seen

TOKEN = "crm-token-secret"
WEBHOOK_SECRET = "whsec-test-secret"
ACCOUNT_ID = "94801e49-a652-42f9-af14-dd203d7897da"
JOB_ID = "1ba1f401-7183-47c5-9e39-e8e257e3c795"
ENVIRONMENT_ID = "05daecaf-4365-42e8-8370-8127de5dd717"
WEBHOOK_ID = "4a4de828-f4db-4c9e-adfd-434e0864c3c7"


def contact(i: int) -> dict[str, Any]:
    """Contact `i`; updated_at grows with i (ISO text order is time order)."""
    return {"id": i, "name": f"contact {i}", "updated_at": f"2024-01-01T00:00:{i:02d}.000Z", "owner": {"id": f"u{i % 3}"}}


class CrmApi:
    """The third-party API: contacts (paged, filterable by updated_since), notes per contact, users by id."""

    def __init__(self, contacts: int = 25) -> None:
        self.contacts = [contact(i) for i in range(1, contacts + 1)]
        self.notes: dict[int, list[dict[str, Any]]] = {c["id"]: [{"id": f"n{c['id']}-{k}", "text": "hi"} for k in range(2)] for c in self.contacts}
        self.users = {f"u{i}": {"id": f"u{i}", "email": f"u{i}@example.com"} for i in range(5)}
        self.faults: list[Fault] = []
        self.fault_paths: tuple[str, ...] = ()
        self.seen: list[Seen] = []
        self.page_delay = 0.0
        #: contacts page -> event: the first request for that page waits until it is set.
        self.holds: dict[str, asyncio.Event] = {}
        #: Pages whose first request is waiting (or waited) on a hold.
        self.held: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> CrmApi:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/v1/contacts", self._contacts)
        app.router.add_get("/v1/contacts/{id}/notes", self._notes)
        app.router.add_get("/v1/users/{id}", self._user)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def fail_next(self, n: int, fault: Fault, *, paths: tuple[str, ...] = ()) -> None:
        self.faults.extend([fault] * n)
        self.fault_paths = paths

    def hold_first_request(self, page: int) -> asyncio.Event:
        """Makes the next request for contacts page `page` wait (records are read after it) until the event is set."""
        gate = self.holds[str(page)] = asyncio.Event()
        return gate

    def requests_to(self, prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append(Seen(request.path, dict(request.query), dict(request.headers)))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        if self.faults and (not self.fault_paths or request.path in self.fault_paths):
            fault = self.faults.pop(0)
            return web.Response(status=fault.status, text=fault.body, headers=fault.headers)
        return await handler(request)

    async def _contacts(self, request: web.Request) -> web.Response:
        if self.page_delay:
            await asyncio.sleep(self.page_delay)
        gate = self.holds.pop(request.query.get("page", "1"), None)
        if gate is not None:
            self.held.append(request.query.get("page", "1"))
            await gate.wait()
        since = request.query.get("updated_since")
        rows = [c for c in self.contacts if since is None or c["updated_at"] >= since]
        page, size = int(request.query.get("page", "1")), int(request.query.get("per_page", "10"))
        return web.json_response({"data": rows[(page - 1) * size : page * size]})

    async def _notes(self, request: web.Request) -> web.Response:
        key = int(request.match_info["id"])
        if key not in self.notes:
            return web.json_response({"error": "no such contact"}, status=404)
        return web.json_response({"data": self.notes[key]})

    async def _user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["id"])
        if user is None:
            return web.json_response({"error": "no such user"}, status=404)
        return web.json_response({"user": user})


@dataclass
class Delivery:
    event: dict[str, Any]
    signature_ok: bool


@dataclass
class Receiver:
    """The webhook endpoint: verifies signatures, records events, answers as scripted."""

    secret: str = WEBHOOK_SECRET
    #: Statuses for the next requests (then 200); per event name when keyed by it.
    script: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    port: int = 0
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Events answered 2xx, in order (optionally only `sync_job_run:<name>`)."""
        return [d.event for d in self.deliveries if d.event.get("_status", 200) < 300 and (name is None or d.event["event"] == f"sync_job_run:{name}")]

    async def _hook(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            body = await request.read()
            expected = "format=sha256,v=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            event = json.loads(body)
            if self.delay:
                await asyncio.sleep(self.delay)
            name = event["event"].removeprefix("sync_job_run:")
            statuses = self.script.get(name) or self.script.get("*") or []
            status = statuses.pop(0) if statuses else 200
            event["_status"] = status
            self.deliveries.append(Delivery(event, request.headers.get("X-Truto-Signature") == expected))
            return web.json_response({"ok": status < 300}, status=status)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def crm() -> AsyncIterator[CrmApi]:
    async with CrmApi() as server:
        yield server


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as server:
        yield server


def integration(api: CrmApi, **extra: Any) -> dict[str, Any]:
    """The integration's declarative description, as the server puts it in the plan."""
    return {
        "name": "acme_crm",
        # The path prefix comes from the account's context, as a subdomain would.
        "baseUrl": f"http://127.0.0.1:{api.port}/{{{{context.version}}}}",
        "auth": {"type": "bearer"},
        "maxRetries": 2,
        "retryBackoffSeconds": 0.01,
        "resources": {
            "crm/contacts": {
                "list": {
                    "path": "/contacts",
                    "recordPath": "data",
                    "idField": "id",
                    "pagination": {"type": "page", "pageParam": "page", "sizeParam": "per_page", "size": 10},
                    "query": {"updated_since": "{{previous_run_date}}"},
                }
            },
            "crm/notes": {"list": {"path": "/contacts/{{resources.crm.contacts.id}}/notes", "recordPath": "data"}},
            "users": {"get": {"path": "/users/{{id}}", "recordPath": "user", "idField": "id"}},
        },
        **extra,
    }


CONTACTS = {"resource": "crm/contacts", "method": "list"}
NOTES = {"resource": "crm/notes", "method": "list", "depends_on": "crm/contacts"}
USERS = {"resource": "users", "method": "get", "id": "{{args.user_ids}}", "loop_on": "user_ids", "persist": True}


@dataclass
class DetailReporter:
    """Records progress with the detail as it was each time, and checkpoints; can cancel."""

    cancel_after_checkpoints: int | None = None
    details: list[dict[str, Any]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)

    def report_progress(self, ctx: RunContext) -> None:
        self.phases.append(ctx.phase)
        self.details.append(json.loads(json.dumps(ctx.detail)))

    def report_checkpoint(self, ctx: RunContext, state: dict[str, Any]) -> None:
        self.checkpoints.append(json.loads(json.dumps(state)))
        if self.cancel_after_checkpoints is not None and len(self.checkpoints) >= self.cancel_after_checkpoints:
            ctx.cancel_reason = "test cancel"
            ctx.cancel_event.set()


def job_ctx(
    api: CrmApi,
    store_dsn: str,
    resources: list[dict[str, Any]],
    *,
    receiver: Receiver | None = None,
    args: dict[str, Any] | None = None,
    previous_run_date: str | None = None,
    error_handling: str = "ignore",
    batch_size: int | None = None,
    checkpoint: dict[str, Any] | None = None,
    run_id: str | None = None,
    reporter: DetailReporter | None = None,
    token: int = 1,
    **integration_extra: Any,
) -> RunContext:
    """An attempt of a sync-job run, shaped as the engine hands it to the executor."""
    job_run_id = run_id or str(uuid.uuid4())
    target: dict[str, Any] = {"kind": "daemon"}
    secrets: dict[str, Any] = {"account": {"token": TOKEN}, "storeDsn": store_dsn}
    if receiver is not None:
        target = {"kind": "webhook", "webhookId": WEBHOOK_ID, "url": receiver.url, "backoffSeconds": 0.01}
        secrets["webhookSecret"] = WEBHOOK_SECRET
    spec: dict[str, Any] = {
        "syncJobRunId": job_run_id,
        "syncJobId": JOB_ID,
        "integratedAccountId": ACCOUNT_ID,
        "environmentId": ENVIRONMENT_ID,
        "integration": integration(api, **integration_extra),
        "context": {"version": "v1"},
        "resources": resources,
        "args": args or {},
        "previousRunDate": previous_run_date,
        "errorHandling": error_handling,
        "target": target,
        "store": {"schema": "sync_job_data"},
    }
    if batch_size is not None:
        spec["batchSize"] = batch_size
    attempt_id = str(uuid.uuid4())
    return RunContext(
        run_id=attempt_id,
        root_run_id=job_run_id,
        token=token,
        attempt_number=token,
        kind="sync_job",
        spec=spec,
        secrets=secrets,
        checkpoint=checkpoint or {},
        reporter=reporter or DetailReporter(),
    )
