"""Which files a run reads: incremental selection by modification time, and
where a resumed attempt picks up.

Files are read in (modification time, path) order. The mark a run leaves
for the next is the newest modification time it loaded and the files (path
and size) it loaded with exactly that time. The next incremental run reads
the files modified at or after the mark — a closed boundary, since a file
written in the mark's own second (SFTP times are whole seconds) may have
arrived after the listing:

- upsert reads the boundary files again, and the upsert absorbs them;
- append_event skips the boundary files it already loaded (same path, same
  size), so no event is appended twice.

Within a run chain, a batch commits the position {file, byte offset, line,
CSV columns, complete}: a resumed attempt lists the files again, skips those
ordered before the position's file, and opens that one at the offset (from
the start if it changed size meanwhile).

Limits, as with any modification-time cursor: a file that appears with a
modification time older than the mark (copied with its old time kept) is not
read by incremental runs; a full run reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncplane.executor.sources.file_formats import ParsePosition
from syncplane.executor.sources.file_store import FileInfo


@dataclass(frozen=True)
class FileMark:
    """The mark of an entity's last run (see the module docstring).

    Attributes:
        modified: the newest modification time loaded.
        files: path -> size of the files loaded with exactly `modified`.
    """

    modified: str
    files: dict[str, int]

    def to_state(self, cursor_field: str, pattern: str) -> dict[str, Any]:
        return {"cursorField": cursor_field, "pattern": pattern, "modified": self.modified, "files": self.files}

    @classmethod
    def from_state(cls, raw: dict[str, Any] | None, cursor_field: str, pattern: str) -> FileMark | None:
        """The stored mark, or None when there is none or it was made for other files."""
        if not raw or raw.get("cursorField") != cursor_field or raw.get("pattern") != pattern:
            return None
        if not isinstance(raw.get("modified"), str) or not isinstance(raw.get("files"), dict):
            return None
        return cls(raw["modified"], {str(k): int(v) for k, v in raw["files"].items()})


def select(files: list[FileInfo], since: FileMark | None, *, skip_loaded: bool) -> list[FileInfo]:
    """The files to read, in order: all of them, or those at or after `since`
    (without the boundary files already loaded when `skip_loaded`)."""
    chosen = sorted(files, key=lambda f: f.order)
    if since is None:
        return chosen
    out = []
    for f in chosen:
        if f.modified < since.modified:
            continue
        if f.modified == since.modified and skip_loaded and since.files.get(f.path) == f.size:
            continue
        out.append(f)
    return out


def advance(mark: FileMark | None, loaded: list[FileInfo]) -> FileMark | None:
    """The mark after loading `loaded` (in order) on top of `mark`."""
    if not loaded:
        return mark
    newest = loaded[-1].modified
    at_newest = {f.path: f.size for f in loaded if f.modified == newest}
    if mark is not None and mark.modified == newest:
        at_newest = {**mark.files, **at_newest}
    elif mark is not None and mark.modified > newest:
        return mark
    return FileMark(newest, at_newest)


@dataclass(frozen=True)
class FilePosition:
    """How far an entity's read got: within `file`, or past it when `complete`."""

    file: FileInfo
    parse: ParsePosition
    complete: bool

    def to_state(self) -> dict[str, Any]:
        columns = self.parse.columns
        return {
            "file": self.file.to_state(),
            "offset": self.parse.offset,
            "line": self.parse.line,
            "columns": list(columns) if columns is not None else None,
            "complete": self.complete,
        }

    @classmethod
    def from_state(cls, raw: dict[str, Any] | None) -> FilePosition | None:
        if not raw:
            return None
        columns = raw.get("columns")
        parse = ParsePosition(int(raw.get("offset") or 0), int(raw.get("line") or 0), tuple(columns) if columns else None)
        return cls(FileInfo.from_state(raw["file"]), parse, bool(raw.get("complete")))


def resume_plan(files: list[FileInfo], position: FilePosition | None) -> tuple[list[tuple[FileInfo, ParsePosition]], bool]:
    """The files still to read (in order) and where to start in each, after
    `position`; and whether the position's file changed since (read again whole)."""
    if position is None:
        return [(f, ParsePosition()) for f in files], False
    at = position.file
    plan: list[tuple[FileInfo, ParsePosition]] = []
    changed = False
    for f in files:
        if f.order < at.order:
            continue
        if f.order == at.order:
            if f.size == at.size:
                if not position.complete:
                    plan.append((f, position.parse))
                continue
            changed = True
        plan.append((f, ParsePosition()))
    return plan, changed


__all__ = ["FileMark", "FilePosition", "advance", "resume_plan", "select"]
