"""The jobs dialect's part of webhook delivery: a stored event's body, sent as
is, signed with its webhook's secret. The leased delivery loop (claims, retries,
set-aside, egress) is the engine's: server.engine.outbox."""

from __future__ import annotations

import hashlib
import hmac

import asyncpg

from syncplane.server.db import outbox as db
from syncplane.server.engine.outbox import DeliverySettings, OutboxDeliverer, Request

SIGNATURE_HEADER = "X-Truto-Signature"


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"format=sha256,v={digest}"


class WebhookPayload:
    """`OutboxPayload` of the jobs outbox: JSON bodies signed per webhook."""

    name = "jobs"

    def request(self, row: asyncpg.Record) -> Request:
        body = row["body"].encode()
        # Opening the secret raises SealError when no key here opens it: the row is set aside.
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(db.webhook_secret(row), body)}
        return Request(url=row["target_url"], body=body, headers=headers)


class Deliverer(OutboxDeliverer):
    """The engine's outbox loop over the jobs outbox."""

    def __init__(self, pool: asyncpg.Pool, settings: DeliverySettings | None = None) -> None:
        super().__init__(pool, WebhookPayload(), settings)


__all__ = ["Deliverer", "DeliverySettings", "SIGNATURE_HEADER", "WebhookPayload", "signature"]
