"""Path templates of `google.api.http` rules, parsed once at build time.

Grammar (google/api/http.proto):

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    Verb     = ":" LITERAL ;

A template becomes a flat tuple of segments (literal text, or the wildcards "*" and "**") plus the
variables that bind ranges of those segments, which is what the router's trie is built from.
"""

from __future__ import annotations

from dataclasses import dataclass

STAR = "*"
DOUBLE_STAR = "**"


class TemplateError(ValueError):
    """A path template that does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class Variable:
    """A `{field.path=...}` capture over segments [start, end) of the path."""

    name: str
    """As written in the template, e.g. "sync_id" or "book.name"; also the 422 `loc` of path errors."""
    field_path: tuple[str, ...]
    """The proto field names the captured text is assigned to."""
    start: int
    end: int | None
    """Exclusive; None when the capture ends with "**" and so runs to the end of the path."""

    @property
    def single_segment(self) -> bool:
        # Single-segment captures are fully percent-decoded; longer ones keep %2F (grpc-gateway).
        return self.end is not None and self.end - self.start == 1


@dataclass(frozen=True, slots=True)
class PathTemplate:
    text: str
    segments: tuple[str, ...]
    variables: tuple[Variable, ...]
    verb: str

    def openapi_path(self) -> str:
        """The OpenAPI form: each variable as `{name}` however many segments it spans."""
        parts: list[str] = []
        starts = {v.start: v for v in self.variables}
        i = 0
        while i < len(self.segments):
            var = starts.get(i)
            if var is None:
                parts.append(self.segments[i])
                i += 1
                continue
            parts.append("{" + var.name + "}")
            i = len(self.segments) if var.end is None else var.end
        path = "/" + "/".join(parts)
        return f"{path}:{self.verb}" if self.verb else path

    def literal_prefix(self) -> tuple[str, ...]:
        """The leading literal segments, e.g. ("api", "v1", "syncs") for /api/v1/syncs/{id}."""
        prefix: list[str] = []
        for segment in self.segments:
            if segment in (STAR, DOUBLE_STAR):
                break
            prefix.append(segment)
        return tuple(prefix)


def parse_template(text: str) -> PathTemplate:
    """Parses `text`, raising TemplateError on anything the grammar does not allow."""
    if not text.startswith("/"):
        raise TemplateError(f"path template must start with '/': {text!r}")
    path, verb = _split_verb(text[1:])
    segments: list[str] = []
    variables: list[Variable] = []
    for token in _split_top_level(path, text):
        if token.startswith("{"):
            variables.append(_parse_variable(token, len(segments), segments, text))
        else:
            _check_segment(token, text)
            segments.append(token)
    if DOUBLE_STAR in segments[:-1]:
        raise TemplateError(f"'**' must be the last segment: {text!r}")
    return PathTemplate(text=text, segments=tuple(segments), variables=tuple(variables), verb=verb)


def _split_verb(path: str) -> tuple[str, str]:
    # The verb is a ':' after the last '/' and outside braces: "{name=*}:cancel", not "{a:b}".
    depth = 0
    colon = -1
    for i, ch in enumerate(path):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and ch == "/":
            colon = -1
        elif depth == 0 and ch == ":":
            colon = i
    if colon < 0:
        return path, ""
    return path[:colon], path[colon + 1 :]


def _split_top_level(path: str, text: str) -> list[str]:
    tokens: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in path:
        if ch == "{":
            depth += 1
            if depth > 1:
                raise TemplateError(f"nested variables are not allowed: {text!r}")
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise TemplateError(f"unbalanced '}}': {text!r}")
        if ch == "/" and depth == 0:
            tokens.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise TemplateError(f"unbalanced '{{': {text!r}")
    tokens.append("".join(current))
    return tokens


def _parse_variable(token: str, start: int, segments: list[str], text: str) -> Variable:
    if not token.endswith("}"):
        raise TemplateError(f"a variable must be a whole segment: {text!r}")
    name, _, pattern = token[1:-1].partition("=")
    field_path = tuple(name.split("."))
    if not all(part.isidentifier() for part in field_path):
        raise TemplateError(f"bad field path {name!r} in {text!r}")
    inner = pattern.split("/") if pattern else [STAR]
    for segment in inner:
        _check_segment(segment, text)
    segments.extend(inner)
    end = None if inner[-1] == DOUBLE_STAR else len(segments)
    return Variable(name=name, field_path=field_path, start=start, end=end)


def _check_segment(segment: str, text: str) -> None:
    if segment in (STAR, DOUBLE_STAR):
        return
    if not segment or any(ch in segment for ch in "{}*:"):
        raise TemplateError(f"bad segment {segment!r} in {text!r}")
