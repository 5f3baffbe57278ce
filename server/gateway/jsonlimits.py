"""JSON a request body may hold: what PostgreSQL and protobuf can store, at a bounded cost.

`json.loads` accepts `NaN` and `Infinity`, reads `1e999` as infinity, raises a bare ValueError
past 4,300 digits and a RecursionError about 1,000 levels deep; PostgreSQL text and jsonb cannot
hold a NUL character. Each of those reached a handler or the database and answered 500. Here they
are a `JsonRefused` (decoding) or `FieldError`s (a walk of the decoded document) instead.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from syncplane.server.gateway.errors import FieldError

Loc = tuple[str | int, ...]

# Deeper than any request the APIs define (config objects included); the walk refuses the rest.
MAX_DEPTH = 64
# An int64 has 19 digits; a double's range ends at 309. Longer literals are refused while parsing,
# before Python builds a huge int (whose conversion alone is quadratic in its length).
MAX_INT_DIGITS = 309
MSG_NUL = "Value error, a string may not contain the NUL character (\\u0000)"
MSG_NOT_FINITE = "Input should be a finite number"
MSG_TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels"
_FLOAT_MAX = sys.float_info.max


class JsonRefused(ValueError):
    """A body that is valid JSON to Python but not to us, or too deep to decode."""

    def __init__(self, type_: str, msg: str) -> None:
        super().__init__(msg)
        self.type = type_
        self.msg = msg


def _constant(name: str) -> Any:
    raise JsonRefused("finite_number", f"{MSG_NOT_FINITE}, got {name}")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRefused("finite_number", f"{MSG_NOT_FINITE}, got an integer of {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JsonRefused("finite_number", f"{MSG_NOT_FINITE}, got {text[:32]}")
    return number


def loads(raw: bytes | str, **kwargs: Any) -> Any:
    """`json.loads` that refuses non-finite numbers, huge integers and runaway nesting."""
    try:
        return json.loads(raw, parse_constant=_constant, parse_int=_int, parse_float=_float, **kwargs)
    except RecursionError:
        raise JsonRefused("json_invalid", MSG_TOO_DEEP) from None


def check_document(data: Any, root: Loc = ("body",)) -> list[FieldError]:
    """Every NUL in a string or key, every number outside a double's range, and nesting too deep.

    Iterative, so a deep document cannot exhaust the interpreter's stack, and linear in its size.
    """
    errors: list[FieldError] = []
    stack: list[tuple[Any, Loc, int]] = [(data, root, 0)]
    while stack:
        value, loc, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                errors.append(FieldError(loc=loc, type="value_error", msg=MSG_NUL))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if abs(value) > _FLOAT_MAX:
                errors.append(FieldError(loc=loc, type="finite_number", msg=MSG_NOT_FINITE))
        elif isinstance(value, (dict, list)):
            if depth >= MAX_DEPTH:
                errors.append(FieldError(loc=loc, type="json_invalid", msg=MSG_TOO_DEEP))
                continue
            if isinstance(value, dict):
                for key, item in value.items():
                    if "\x00" in key:
                        errors.append(FieldError(loc=(*loc, key.replace("\x00", "\\u0000")), type="value_error", msg=MSG_NUL))
                        continue
                    stack.append((item, (*loc, key), depth + 1))
            else:
                stack.extend((item, (*loc, i), depth + 1) for i, item in enumerate(value))
        if len(errors) >= 20:  # enough to show; the rest of a hostile document is not worth walking
            break
    errors.sort(key=lambda e: tuple(map(str, e.loc)))
    return errors
