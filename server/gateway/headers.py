"""Request headers the gateway refuses before anything reads them.

gRPC metadata may hold only visible ASCII and spaces: a tab or a non-ASCII byte forwarded as
`x-forwarded-host`, `authorization`... made gRPC refuse the whole call, which surfaced as a 500
with a traceback. A header like that is refused up front instead, for every header (an HTTP client
has no business sending one), and it is named in the answer without its value (it may be a key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The headers that carry credentials: a malformed one is an invalid credential (401), not a 400.
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "cookie"})


@dataclass(frozen=True, slots=True)
class BadHeader:
    name: str
    """The header's name as sent (its value is never kept: it may be a secret)."""
    status: int
    """401 for a credential carrier, else 400."""

    @property
    def message(self) -> str:
        if self.status == 401:
            return f"invalid credentials: the {self.name} header holds a control or non-ASCII character"
        return f"the {self.name} header holds a control or non-ASCII character"


def clean_header_value(value: str) -> bool:
    """Visible ASCII and spaces only: what gRPC accepts in a text metadata value."""
    return value.isascii() and value.isprintable()


def find_bad_header(headers: Iterable[tuple[str, str]]) -> BadHeader | None:
    """The first header gRPC could not carry, if any; a credential carrier wins over the others."""
    found: BadHeader | None = None
    for name, value in headers:
        if clean_header_value(name) and clean_header_value(value):
            continue
        shown = name if clean_header_value(name) else "?"
        lowered = name.lower()
        if lowered in CREDENTIAL_HEADERS:
            return BadHeader(shown, 401)
        found = found or BadHeader(shown, 400)
    return found
