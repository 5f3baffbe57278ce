"""The error body each dialect's REST clients expect, rendered from one `Problem`."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2

from syncplane.options.v1 import options_pb2
from syncplane.server.gateway.dialect import Dialect
from syncplane.server.gateway.errors import Problem
from syncplane.server.gateway.marshal import dumps

JSON_CONTENT_TYPE = "application/json"

# ERROR_STYLE_IDENTITY codes by HTTP status (the reference's closed list); a 400 with field
# violations is a VALIDATION_ERROR, other 4xx are BAD_REQUEST, other 5xx INTERNAL_ERROR.
_IDENTITY_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORISED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
    504: "SERVICE_UNAVAILABLE",
}


def http_status_for(problem: Problem, dialect: Dialect) -> int:
    # FastAPI answers every validation failure with 422; the other styles keep the table's 400.
    if dialect.error_style == options_pb2.ERROR_STYLE_DETAIL and problem.code == code_pb2.INVALID_ARGUMENT:
        return 422
    return problem.http_status


def error_response(problem: Problem, dialect: Dialect, headers: Mapping[str, str] | None = None) -> web.Response:
    status = http_status_for(problem, dialect)
    body = error_body(problem, dialect, status)
    out = {"Content-Type": JSON_CONTENT_TYPE}
    if headers:
        out.update(headers)
    if status == 401:
        out["WWW-Authenticate"] = "Bearer"
    retry = retry_delay(problem.status)
    if status == 429 and retry is not None:
        # e.g. the auth throttle: the service says how long (google.rpc.RetryInfo).
        out.setdefault("Retry-After", str(max(1, math.ceil(retry))))
    if status == 503 or (status == 429 and dialect.error_style == options_pb2.ERROR_STYLE_IDENTITY):
        # The usual cause is a restarting server: a client may retry at once.
        out.setdefault("Retry-After", "1")
    return web.Response(status=status, reason=reason_phrase(status), body=dumps(body), headers=out)


def retry_delay(status: status_pb2.Status) -> float | None:
    """Seconds from the status's google.rpc.RetryInfo detail, if it has one."""
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return info.retry_delay.ToTimedelta().total_seconds()
    return None


def error_body(problem: Problem, dialect: Dialect, http_status: int) -> Any:
    style = dialect.error_style
    if style == options_pb2.ERROR_STYLE_DETAIL:
        return _detail_body(problem)
    if style == options_pb2.ERROR_STYLE_STATUS_CODE:
        return _status_code_body(problem, http_status)
    if style == options_pb2.ERROR_STYLE_IDENTITY:
        return _identity_body(problem, http_status)
    return status_json(problem.status)


def status_json(status: status_pb2.Status) -> dict[str, Any]:
    """google.rpc.Status as proto3 JSON, with each detail's "@type"."""
    details: list[Any] = []
    for detail in status.details:
        try:
            details.append(json_format.MessageToDict(detail, always_print_fields_with_no_presence=True))
        except (TypeError, KeyError):
            # A detail type this process has no descriptor for: keep it opaque rather than drop it.
            details.append({"@type": detail.type_url, "value": base64.b64encode(detail.value).decode()})
    return {"code": status.code, "message": status.message, "details": details}


def reason_phrase(http_status: int) -> str:
    if http_status == 499:
        return "Client Closed Request"
    try:
        return HTTPStatus(http_status).phrase
    except ValueError:
        return "Error"


def _detail_body(problem: Problem) -> dict[str, Any]:
    if problem.code != code_pb2.INVALID_ARGUMENT:
        return {"detail": problem.message}
    if not problem.violations:
        return {"detail": [{"loc": ["body"], "msg": problem.message, "type": "value_error"}]}
    return {"detail": [{"loc": list(v.loc), "msg": v.msg, "type": v.type} for v in problem.violations]}


def _status_code_body(problem: Problem, http_status: int) -> dict[str, Any]:
    return {
        "statusCode": http_status,
        "error": reason_phrase(http_status),
        "message": problem.message,
        "details": {v.field: v.msg for v in problem.violations},
    }


def _identity_body(problem: Problem, http_status: int) -> dict[str, Any]:
    validation_errors: dict[str, list[str]] | None = None
    if problem.violations:
        validation_errors = {}
        for v in problem.violations:
            validation_errors.setdefault(v.field or ".".join(str(p) for p in v.loc[1:]) or "body", []).append(v.msg)
    if http_status == 400 and validation_errors:
        code = "VALIDATION_ERROR"
    else:
        code = _IDENTITY_CODES.get(http_status, "BAD_REQUEST" if http_status < 500 else "INTERNAL_ERROR")
    return {
        "code": code,
        "message": problem.message,
        "details": None,
        "validationErrors": validation_errors,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
