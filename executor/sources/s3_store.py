"""Objects in an S3 bucket (or an S3-compatible server), as a `FileStore` (aiobotocore).

Requests are signed with the connection's `secrets.accessKeyId` and
`secrets.secretAccessKey` (+ `sessionToken`), or sent unsigned when the
connection says `anonymous`; the executor's own AWS credentials (environment,
profile, instance role) are never used, so one connection cannot borrow
another's access. A file's modification time is the object's LastModified.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore import UNSIGNED
from botocore.exceptions import BotoCoreError, ClientError

from syncplane import egress
from syncplane.executor.context import RunFailed
from syncplane.executor.secret_values import Secrets
from syncplane.executor.sources.file_store import CHUNK_BYTES, FileInfo, PathPattern, iso_time

log = structlog.get_logger(__name__)

DEFAULT_REGION = "us-east-1"
DEFAULT_TIMEOUT_SECONDS = 30.0
#: Attempts of one request (botocore's standard retry mode: throttling, 5xx, dropped connections).
MAX_ATTEMPTS = 5

_AUTH_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "AllAccessDisabled"}
)
_GONE_CODES = frozenset({"NoSuchKey", "404"})


@dataclass(frozen=True)
class S3Config:
    """Attributes:
    bucket: the bucket.
    prefix: key prefix entity paths are relative to ("" or ending in "/").
    region: the signing region.
    endpoint_url: an S3-compatible server instead of AWS, or None.
    addressing_style: "auto", "path" or "virtual".
    anonymous: send requests unsigned (a public bucket).
    timeout_seconds: connect and read timeout of one request.
    """

    bucket: str
    prefix: str
    region: str
    endpoint_url: str | None
    addressing_style: str
    anonymous: bool
    timeout_seconds: float

    @property
    def description(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def _credentials(config: S3Config, secrets: dict[str, Any]) -> tuple[dict[str, Any], Secrets]:
    if config.anonymous:
        return {}, Secrets()
    key_id = secrets.get("accessKeyId")
    secret = secrets.get("secretAccessKey")
    token = secrets.get("sessionToken")
    if not (isinstance(key_id, str) and key_id and isinstance(secret, str) and secret):
        raise RunFailed(
            "s3: the connection needs secrets.accessKeyId and secrets.secretAccessKey (or config anonymous: true)",
            "config_error",
        )
    options = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    if isinstance(token, str) and token:
        options["aws_session_token"] = token
    return options, Secrets(tuple(v for v in (secret, token) if isinstance(v, str) and v))


class S3Store:
    """A bucket under a prefix (see the module docstring); use `connect_s3`."""

    def __init__(self, client: Any, config: S3Config, secrets: Secrets) -> None:
        self.client = client
        self.config = config
        self.secrets = secrets
        self.description = config.description

    async def list_files(self, pattern: PathPattern) -> list[FileInfo]:
        prefix = self.config.prefix
        out: list[FileInfo] = []
        with self._translating(f"listing {pattern.text!r}"):
            paginator = self.client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.config.bucket, Prefix=prefix + pattern.prefix):
                for obj in page.get("Contents") or ():
                    rel = obj["Key"][len(prefix) :]
                    if rel.endswith("/") or not pattern.matches(rel):
                        continue  # "folder" markers are not files
                    out.append(FileInfo(path=rel, size=int(obj["Size"]), modified=iso_time(obj["LastModified"])))
        return out

    async def open(self, file: FileInfo, offset: int) -> AsyncIterator[bytes]:
        if offset >= file.size > 0 or (file.size == 0 and offset > 0):
            return  # nothing after the offset (a Range past the end is an error)
        request: dict[str, Any] = {"Bucket": self.config.bucket, "Key": self.config.prefix + file.path}
        if offset:
            request["Range"] = f"bytes={offset}-"
        with self._translating(f"reading {file.path}"):
            response = await self.client.get_object(**request)
            async with response["Body"] as body:
                async for data in body.iter_chunks(CHUNK_BYTES):
                    yield data

    @contextmanager
    def _translating(self, doing: str) -> Iterator[None]:
        """botocore errors as RunFailed, with the bucket named and secrets masked."""
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error") or {}
            code = str(error.get("Code") or "")
            status = int((exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
            if code in _GONE_CODES:
                raise FileNotFoundError(doing) from exc
            message = self.secrets.scrub(f"{self.description}: {doing}: {code or status}: {error.get('Message') or ''}")
            if code in _AUTH_CODES or status in (401, 403):
                raise RunFailed(message + " (check the connection's access key)", "source_auth_error") from None
            reason = "source_unavailable" if status >= 500 or status == 429 else "source_error"
            raise RunFailed(message, reason) from None
        except (TimeoutError, BotoCoreError, OSError) as exc:
            problem = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            raise RunFailed(self.secrets.scrub(f"{self.description}: {doing}: {problem}"), "source_unavailable") from None


@asynccontextmanager
async def connect_s3(config: S3Config, secrets: dict[str, Any]) -> AsyncIterator[S3Store]:
    """A client for the attempt (no request is made until the store is used)."""
    credentials, masked = _credentials(config, secrets)
    options: dict[str, Any] = {
        "s3": {"addressing_style": config.addressing_style},
        "connect_timeout": config.timeout_seconds,
        "read_timeout": config.timeout_seconds,
        "retries": {"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    }
    if config.anonymous:
        options["signature_version"] = UNSIGNED
    if config.endpoint_url:
        # An S3-compatible server the user named: checked when the attempt
        # connects (botocore connects by name; AWS's own endpoints are public).
        endpoint = urlsplit(config.endpoint_url)
        await egress.policy().check_async(
            endpoint.hostname or "", endpoint.port or (443 if endpoint.scheme == "https" else 80), unresolved_ok=True
        )
    session = get_session()
    # Only the connection's credentials: none from the executor's environment or files.
    for variable in ("credentials_file", "config_file"):
        session.set_config_variable(variable, "/dev/null")
    async with session.create_client(
        "s3", region_name=config.region, endpoint_url=config.endpoint_url, config=AioConfig(**options), **credentials
    ) as client:
        yield S3Store(client, config, masked)


__all__ = ["DEFAULT_REGION", "DEFAULT_TIMEOUT_SECONDS", "S3Config", "S3Store", "connect_s3"]
