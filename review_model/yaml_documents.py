"""Reading YAML documents so that every problem can be reported with its file and line."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a path into it, and a line when known) and what."""

    path: Location
    message: str
    line: int | None = None
    subject: str | None = None  # e.g. "item 'mobilitaet.ziele'"

    def describe(self, source: str | None = None) -> str:
        where = ".".join(str(part) for part in self.path) or "(document)"
        prefix = f"{source}:{self.line}" if source and self.line else (source or "")
        subject = f"{self.subject}: " if self.subject else ""
        return f"{prefix}{': ' if prefix else ''}{subject}{where}: {self.message}"


class DocumentError(Exception):
    """A document that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(problem.describe(source) for problem in problems))


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the line of every key and list entry in it."""

    source: str
    data: Any
    lines: dict[Location, int]

    def line_of(self, path: Location) -> int | None:
        """The line of the deepest part of `path` that exists in the document."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def read_yaml_document(path: Path) -> YamlDocument:
    """Read a YAML file, refusing undecodable text, syntax errors and repeated keys with their lines."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(source, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    except OSError as error:
        raise DocumentError(source, [Problem((), f"cannot be read: {error.strerror}")]) from None
    return parse_yaml_document(text, source)


def parse_yaml_document(text: str, source: str = "<text>") -> YamlDocument:
    """Parse YAML text (safe subset only) and record where each part of it stands."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise DocumentError(source, [Problem((), f"not valid YAML: {reason}", line)]) from None
    if root is None:
        raise DocumentError(source, [Problem((), "the document is empty")])
    lines: dict[Location, int] = {}
    repeated: list[Problem] = []
    _record_lines(root, (), lines, repeated)
    if repeated:
        raise DocumentError(source, repeated)
    data = yaml.SafeLoader(text).get_single_data()
    return YamlDocument(source=source, data=data, lines=lines)


def _record_lines(node: yaml.Node, path: Location, lines: dict[Location, int], repeated: list[Problem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key == "<<":  # a merge key brings in an anchor's entries
                continue
            if key in seen:
                repeated.append(Problem((*path, key), "this key appears twice", key_node.start_mark.line + 1))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines, repeated)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, repeated)


def problems_from_validation(error: Any, document: YamlDocument) -> list[Problem]:
    """Turn a pydantic ValidationError on `document.data` into problems with paths as written in the file.

    Pydantic puts the tag of a discriminated union into the location (items.0.maturity.scale); such
    segments are dropped so that the path and line match what the author wrote.
    """
    problems = []
    for detail in error.errors(include_url=False):
        path = _path_in_document(document.data, tuple(detail["loc"]))
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "union_tag_invalid":
            context = detail.get("ctx", {})
            field = str(context.get("discriminator", "type")).strip("'")
            message = f"unknown {field} {context.get('tag')!r} (known: {context.get('expected_tags')})"
            path = (*path, field)
        elif detail["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        problems.append(Problem(path, message, document.line_of(path)))
    return problems


def _path_in_document(data: Any, loc: Location) -> Location:
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and node.get("type") == part:
            continue  # the union tag pydantic inserted
        elif isinstance(part, str) and part.startswith(("function-", "tagged-union")):
            continue
        else:
            path.append(part)
            node = None
    return tuple(path)
