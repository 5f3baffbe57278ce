"""What the file sources (`sftp`, `s3`) have in common: a file's identity, the
path patterns entities select files with, and the interface of a store.

A store lists the files under a pattern with their size and modification
time, and opens one as a stream of bytes from an offset (resuming mid-file
seeks instead of re-reading). Files are read in (modification time, path)
order, so "every file up to here" is one position that a resumed attempt and
the next incremental run can both start after.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

#: Bytes asked of the server per read.
CHUNK_BYTES = 256 * 1024

_WILDCARDS = re.compile(r"[*?\[]")


def iso_time(moment: datetime) -> str:
    """A UTC time in one fixed-width ISO-8601 form (microseconds, "Z"): text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_from_ns(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    return iso_time(datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000))


@dataclass(frozen=True)
class FileInfo:
    """One file of a store.

    Attributes:
        path: relative to the store's root (SFTP) or prefix (S3), "/"-separated.
        size: bytes.
        modified: modification time, as `iso_time` spells it.
    """

    path: str
    size: int
    modified: str

    @property
    def order(self) -> tuple[str, str]:
        """Files are read in this order."""
        return (self.modified, self.path)

    def to_state(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "modified": self.modified}

    @classmethod
    def from_state(cls, raw: dict[str, Any]) -> FileInfo:
        return cls(path=str(raw["path"]), size=int(raw["size"]), modified=str(raw["modified"]))


def _glob_regex(glob: str) -> str:
    """A glob as a regular expression: `*` and `?` stay within one path segment,
    `**` crosses segments (`a/**/b` also matches `a/b`), `[...]` is a class."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        if glob.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (close := glob.find("]", i + 2)) != -1:
            body = glob[i + 1 : close]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace(r"\-", "-")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
            i = close + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return r"\A" + "".join(out) + r"\Z"


@dataclass(frozen=True)
class PathPattern:
    """Which files an entity reads: a glob, or without wildcards a prefix.

    Attributes:
        text: the pattern as configured (relative, "/"-separated).
        prefix: its literal start, before any wildcard (all of it for a prefix).
        regex: the compiled glob, or None for a prefix.
    """

    text: str
    prefix: str
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, text: str) -> PathPattern:
        first = _WILDCARDS.search(text)
        if first is None:
            return cls(text=text, prefix=text, regex=None)
        return cls(text=text, prefix=text[: first.start()], regex=re.compile(_glob_regex(text)))

    @property
    def base_dir(self) -> str:
        """The deepest directory every match is under ("" for the root)."""
        return self.prefix.rpartition("/")[0]

    @property
    def max_depth(self) -> int | None:
        """How many path segments below `base_dir` a match can have (None: any)."""
        if self.regex is None or "**" in self.text:
            return None
        below = self.text[len(self.base_dir) + 1 :] if self.base_dir else self.text
        return below.count("/") + 1

    def matches(self, path: str) -> bool:
        if self.regex is None:
            return path.startswith(self.prefix)
        return self.regex.match(path) is not None

    def may_contain(self, directory: str) -> bool:
        """Whether files under `directory` (relative, no trailing "/") can match."""
        if self.regex is not None:
            return True
        return (directory + "/").startswith(self.prefix) or self.prefix.startswith(directory + "/")


class FileStore(Protocol):
    """A connected file server (see the module docstring).

    Errors are RunFailed: source_auth_error, source_error, or
    source_unavailable when the server was merely unreachable (resumable).
    """

    #: The server for messages and logs ("sftp://user@host:22/root"), never a secret.
    description: str

    async def list_files(self, pattern: PathPattern) -> list[FileInfo]:
        """The files that match `pattern`, in no particular order."""
        ...

    def open(self, file: FileInfo, offset: int) -> AsyncIterator[bytes]:
        """The file's bytes from `offset`, in chunks (an async generator: close it when done early).

        A file deleted since the listing raises FileNotFoundError."""
        ...


__all__ = ["CHUNK_BYTES", "FileInfo", "FileStore", "PathPattern", "iso_from_ns", "iso_time"]
