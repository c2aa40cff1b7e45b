"""``rules/sources/*.yaml`` → :class:`SourceCatalog`, with every problem of every file at once.

PyYAML's loaders forget where a value was written and silently keep the last of two equal keys,
so this adapter composes the node graph itself (SafeLoader's composer and scalar constructors) and
turns it into the domain's :class:`Located` values. A file with YAML problems (syntax, duplicate
or non-string keys, foreign tags) reports only those: checking a half-read definition would bury
the real mistake under consequences of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chalicelib.domain.errors import Detail, SourceDefinitionError
from chalicelib.domain.sources import (
    Located,
    LocatedMapping,
    LocatedValue,
    SourceCatalog,
    SourceDefinition,
    parse_source_definition,
)

_TAG = "tag:yaml.org,2002:"
_TEXT_TAGS = (_TAG + "str", _TAG + "timestamp")  # timestamps stay text, to be read like a cell
_CONSTRUCTED_TAGS = (_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null")
_MERGE = _TAG + "merge"


def load_sources(directory: Path) -> SourceCatalog:
    """Every definition in ``directory / "sources"``; a missing folder is an empty catalog.

    Raises :class:`SourceDefinitionError` with the Details of all bad files together, each naming
    its file relative to ``directory``'s parent (``rules/sources/shop.yaml``).
    """
    details: list[Detail] = []
    definitions = {one.source: one for _, _, one in read_definitions(directory, details)}
    if details:
        bad = len({detail.file for detail in details})
        raise SourceDefinitionError(
            f"{len(details)} problem(s) in {bad} source definition file(s)", details
        )
    return SourceCatalog(MappingProxyType(definitions))


def read_definitions(
    directory: Path, details: list[Detail]
) -> Iterator[tuple[str, LocatedMapping, SourceDefinition]]:
    """Each good definition with its file and document (for a second pass, such as enrichment);
    the problems of the others, and a source defined twice, are added to ``details``."""
    folder = directory / "sources"
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    files: dict[str, str] = {}
    for path in (p for p in paths if p.suffix in (".yaml", ".yml") and p.is_file()):
        file = display_name(path, directory)
        document = read_located_yaml(path, file)
        if isinstance(document, list):
            details.extend(document)
            continue
        try:
            definition = parse_source_definition(file, document)
        except SourceDefinitionError as exc:
            details.extend(exc.details)
            continue
        if definition.source in files:
            details.append(
                Detail(
                    f"source '{definition.source}' is also defined in {files[definition.source]}",
                    field="source",
                    file=file,
                )
            )
            continue
        files[definition.source] = file
        yield file, document, definition


def display_name(path: Path, directory: Path) -> str:
    """A rules file named relative to the rules folder's parent: ``rules/sources/shop.yaml``."""
    try:
        return path.relative_to(directory.parent).as_posix()
    except ValueError:
        return str(path)


def read_located_yaml(path: Path, file: str) -> LocatedMapping | list[Detail]:
    """A YAML file whose top level is a mapping, as Located values; or why it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Detail(f"cannot be read ({exc.strerror})", file=file)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [
            Detail(
                f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                line=line,
                file=file,
            )
        ]
    return located_yaml(text, file)


def located_yaml(text: str, file: str) -> LocatedMapping | list[Detail]:
    """Compose ``text`` with SafeLoader and convert it; YAML errors become Details with lines."""
    try:
        loader = yaml.SafeLoader(text)  # reading a str refuses control characters right here
    except yaml.YAMLError as exc:
        return [_syntax_detail(exc, text, file)]
    try:
        node = loader.get_single_node()
        if node is None:
            return [Detail("is empty; expected a YAML mapping (key: value lines)", file=file)]
        if not isinstance(node, MappingNode):
            return [
                Detail(
                    "must be a YAML mapping (key: value lines), not a "
                    f"{'list' if isinstance(node, SequenceNode) else 'single value'}",
                    line=node.start_mark.line + 1,
                    file=file,
                )
            ]
        converter = _NodeConverter(loader, file)
        document = converter.mapping(node)
        return converter.details or document
    except yaml.YAMLError as exc:
        return [_syntax_detail(exc, text, file)]
    finally:
        loader.dispose()


def _syntax_detail(exc: yaml.YAMLError, text: str, file: str) -> Detail:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        context = ""
        if exc.context:  # e.g. "while scanning a quoted scalar (line 3), found end of stream"
            at = f" (line {exc.context_mark.line + 1})" if exc.context_mark else ""
            context = f"{exc.context}{at}, "
        return Detail(
            f"YAML syntax error: {context}{exc.problem}",
            line=exc.problem_mark.line + 1,
            column=exc.problem_mark.column + 1,
            file=file,
        )
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML refuses
    line = text[:position].count("\n") + 1 if isinstance(position, int) else None
    return Detail(f"YAML error: {' '.join(str(exc).split())}", line=line, file=file)


def _style(node: Node) -> str | None:
    """How a scalar was written, for mapping positions inside its text back to the file."""
    if not isinstance(node, ScalarNode):
        return None
    if node.style in ("|", ">"):
        return "block"
    quotes = 2 if node.style in ("'", '"') else 0
    start, end = node.start_mark, node.end_mark
    if start.line != end.line or end.column - start.column - quotes != len(node.value):
        return "inexact"  # folded over several lines, or escapes: columns no longer line up
    return "quoted" if quotes else "plain"


class _NodeConverter:
    """Nodes → Located values. Aliased nodes are converted once (no billion laughs), and an alias
    inside its own anchor is refused instead of recursing forever."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.details: list[Detail] = []
        self.done: dict[int, LocatedValue] = {}
        self.active: set[int] = set()

    def problem(self, message: str, node: Node) -> None:
        self.details.append(Detail(message, line=node.start_mark.line + 1, file=self.file))

    def located(self, node: Node, line: int | None = None) -> Located | None:
        key = id(node)
        if key in self.active:
            self.problem("an alias refers to the value that contains it", node)
            return None
        if key not in self.done:
            self.active.add(key)
            self.done[key] = self.value(node)
            self.active.discard(key)
        value = self.done[key]
        start = node.start_mark.line + 1
        return Located(
            value,
            line or start,
            node.start_mark.column + 1,
            start if line is not None and line != start else None,
            _style(node),
        )

    def value(self, node: Node) -> LocatedValue:
        if isinstance(node, MappingNode) and node.tag == _TAG + "map":
            return self.mapping(node)
        if isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
            return tuple(item for item in map(self.located, node.value) if item is not None)
        if isinstance(node, ScalarNode) and node.tag in _TEXT_TAGS:
            return str(node.value)
        if isinstance(node, ScalarNode) and node.tag in _CONSTRUCTED_TAGS:
            try:
                scalar: int | float | bool | None = self.loader.construct_object(node)
                return scalar
            except (ValueError, yaml.YAMLError):
                self.problem(f"{node.value!r} is not a valid {node.tag.removeprefix(_TAG)}", node)
                return None
        self.problem(f"the tag {node.tag} is not allowed here; write plain YAML values", node)
        return None

    def mapping(self, node: MappingNode) -> Mapping[str, Located]:
        own: dict[str, Located] = {}
        lines: dict[str, int] = {}
        merged: dict[str, Located] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.merge(value_node, merged)
                continue
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _TAG + "str"):
                self.problem(
                    f"key {getattr(key_node, 'value', '')!r} is not a string (YAML reads"
                    f" it as {key_node.tag.removeprefix(_TAG)}); quote it",
                    key_node,
                )
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in lines:
                self.problem(f"duplicate key '{key}' (first at line {lines[key]})", key_node)
                continue
            lines[key] = line
            located = self.located(value_node, line)
            if located is not None:
                own[key] = located
        return MappingProxyType(merged | own)

    def merge(self, node: Node, into: dict[str, Located]) -> None:
        """``<<: *defaults`` (or a list of them): keys written in the mapping itself win."""
        sources = node.value if isinstance(node, SequenceNode) else [node]
        for source in sources:
            located = self.located(source)
            if located is None or not isinstance(located.value, Mapping):
                self.problem("a merge key (<<) takes a mapping or a list of mappings", node)
                continue
            for key, value in located.value.items():
                into.setdefault(key, value)
