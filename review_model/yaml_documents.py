"""Reading YAML documents so that every problem can be reported with its file and line."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from review_model.input_files import InputFileError, read_input_file
from review_model.plain_text import control_character

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (a path into it, and a line when known) and what."""

    path: Location
    message: str
    line: int | None = None
    subject: str | None = None  # e.g. "item 'mobilitaet.ziele'"

    def describe(self, source: str | None = None) -> str:
        where = ".".join(str(part) for part in self.path)
        prefix = f"{source}:{self.line}" if source and self.line else (source or "")
        subject = f"{self.subject}: " if self.subject else ""
        return f"{prefix}{': ' if prefix else ''}{subject}{where}{': ' if where else ''}{self.message}"


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


# Limits that keep a hostile or mistaken file from exhausting memory: the shipped questionnaires have
# 15 KiB, 2,400 values and 8 levels of nesting.
MAX_YAML_BYTES = 1024**2
MAX_YAML_VALUES = 100_000  # counting each alias as a copy of what it names
MAX_YAML_DEPTH = 40
# Plain YAML: what the safe schema reads without any explicit tag of its own (no objects, sets, binary data).
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map", "merge")
}


def read_yaml_document(path: Path) -> YamlDocument:
    """Read a YAML file, refusing non-regular or oversized files, undecodable text, syntax errors and repeated keys."""
    source = str(path)
    try:
        raw = read_input_file(path, MAX_YAML_BYTES)
    except InputFileError as error:
        raise DocumentError(source, [Problem((), str(error))]) from None
    return parse_yaml_bytes(raw, source)


def parse_yaml_bytes(raw: bytes, source: str) -> YamlDocument:
    """Parse the bytes of a YAML file (one sent through the console, say) as `read_yaml_document` parses a file's."""
    if len(raw) > MAX_YAML_BYTES:
        raise DocumentError(source, [Problem((), f"is larger than {MAX_YAML_BYTES // 1024**2} MiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentError(source, [Problem((), f"not UTF-8 text ({error.reason} at byte {error.start})")]) from None
    return parse_yaml_document(text, source)


def parse_yaml_document(text: str, source: str = "<text>") -> YamlDocument:
    """Parse plain YAML text and record where each part of it stands.

    Refuses, with the line: syntax errors, control characters, tags beyond plain YAML, aliases that expand
    beyond MAX_YAML_VALUES or loop, nesting deeper than MAX_YAML_DEPTH, and repeated keys.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow in a file, e.g. NUL
        start = text.rfind("\n", 0, error.position) + 1
        line_text = text[start : error.position + 1]
        message = control_character(line_text) or f"not valid YAML: {error.reason}"
        line = text.count("\n", 0, error.position) + 1
        raise DocumentError(source, [Problem((), message, line)]) from None
    except yaml.YAMLError as error:
        raise DocumentError(source, [_syntax_problem(error)]) from None
    except RecursionError:
        raise DocumentError(source, [Problem((), f"nested more than {MAX_YAML_DEPTH} levels deep")]) from None
    if root is None:
        raise DocumentError(source, [Problem((), "the document is empty")])
    problems = _PlainYamlCheck().problems(root)
    if problems:
        raise DocumentError(source, problems)
    lines: dict[Location, int] = {}
    repeated: list[Problem] = []
    _record_lines(root, (), lines, repeated)
    if repeated:
        raise DocumentError(source, repeated)
    try:
        data = _PlainLoader("").construct_document(root)
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        raise DocumentError(source, [_syntax_problem(error)]) from None
    return YamlDocument(source=source, data=data, lines=lines)


def _syntax_problem(error: Exception) -> Problem:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(error, "problem", None) or str(error)
    return Problem((), f"not valid YAML: {reason}", line)


class _PlainLoader(yaml.SafeLoader):
    """The safe loader, naming the line of a value it cannot build (such as the date 2027-02-30)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} cannot be read ({error})", node.start_mark
            ) from None


class _PlainYamlCheck:
    """One walk over the composed nodes, before anything is built from them.

    An alias is the very node its anchor names, so sizes are counted once per node: the walk stays as
    small as the file even when the aliases would expand to billions of values.
    """

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.first_seen: dict[int, Location] = {}
        self.open: set[int] = set()
        self.found: list[Problem] = []

    def problems(self, root: yaml.Node) -> list[Problem]:
        if self._size(root, ()) > MAX_YAML_VALUES:
            path, node = self._first_too_large(root)
            message = (
                f"holds more than {MAX_YAML_VALUES:,} values once its aliases are expanded; "
                "write the values out or use fewer aliases"
            )
            self.found.append(Problem(path, message, node.start_mark.line + 1))
        return self.found

    def _size(self, node: yaml.Node, path: Location) -> int:
        key = id(node)
        if key in self.open:
            self.found.append(Problem(path, "an alias refers to a collection that contains it", _line(node)))
            return 0  # refused already; not counted as too large as well
        if key in self.sizes:
            return self.sizes[key]
        self.first_seen[key] = path
        size = 1
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.found.append(Problem(path, f"the tag {tag} is not allowed (plain YAML only)", _line(node)))
        if len(path) > MAX_YAML_DEPTH:
            self.found.append(Problem(path, f"nested more than {MAX_YAML_DEPTH} levels deep", _line(node)))
        elif isinstance(node, yaml.ScalarNode):
            reason = control_character(str(node.value))
            if reason:
                self.found.append(Problem(path, reason, _line(node)))
        else:
            self.open.add(key)
            size += sum(self._size(child, child_path) for child_path, child in _children(node, path))
            self.open.discard(key)
        self.sizes[key] = size
        return size

    def _first_too_large(self, node: yaml.Node) -> tuple[Location, yaml.Node]:
        """The first collection written out in the file (not reached through an alias) that is too large."""
        path: Location = ()
        while True:
            larger = [
                (child_path, child)
                for child_path, child in _children(node, path)
                if self.sizes.get(id(child), 0) > MAX_YAML_VALUES and self.first_seen.get(id(child)) == child_path
            ]
            if not larger:
                return path, node
            path, node = larger[0]


def _children(node: yaml.Node, path: Location) -> list[tuple[Location, yaml.Node]]:
    """The nodes inside a mapping (keys and values) or a list, each with its path."""
    if isinstance(node, yaml.MappingNode):
        pairs = [((*path, _key_name(key)), key, value) for key, value in node.value]
        return [entry for child_path, key, value in pairs for entry in ((child_path, key), (child_path, value))]
    if isinstance(node, yaml.SequenceNode):
        return [((*path, index), item) for index, item in enumerate(node.value)]
    return []


def _key_name(key: yaml.Node) -> str:
    return str(key.value) if isinstance(key, yaml.ScalarNode) else "?"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


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
        in_mapping = isinstance(node, dict) and part in node
        in_sequence = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_sequence:
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
