"""The run's secret values, and masking them out of messages: the one place the executor does it.

A connector collects the secret values it uses (passwords, tokens, keys, and
the encoded forms that travel in headers) in a `Secrets`; every error message
and log field built from source data passes through its `scrub`, so a server
that echoes a credential back cannot leak it into a run's error. `scrub` alone
masks one value and any password inside a DSN, should a driver echo one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Passwords inside DSNs (URL or key=value form), should a driver echo one.
_DSN_PASSWORDS = (
    (re.compile(r"(://[^:/@\s]*:)\S*@"), r"\1***@"),
    (re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE), r"\1***"),
)


def scrub(message: str, secret: str | None = None) -> str:
    """The message without passwords: `secret` itself and any DSN password."""
    if secret:
        message = message.replace(secret, "***")
    for pattern, replacement in _DSN_PASSWORDS:
        message = pattern.sub(replacement, message)
    return message


@dataclass(frozen=True)
class Secrets:
    """Values that must never appear in a message."""

    values: tuple[str, ...] = ()

    def scrub(self, message: str) -> str:
        # Longest first, so a value containing another is masked whole.
        for value in sorted(self.values, key=len, reverse=True):
            message = message.replace(value, "***")
        return scrub(message)


__all__ = ["Secrets", "scrub"]
