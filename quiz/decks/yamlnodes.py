"""Safe YAML parsing that remembers where every value came from.

This module turns YAML into plain Python values itself, so that it can (a)
record the line of every key path for error messages, (b) reject duplicate
keys, tags that name Python objects, and alias bombs, and (c) bound nesting
depth and size, all without ever constructing anything but str, int, float,
bool, None, list and dict.

It builds the values straight from libyaml's event stream (`yamlevents.EventBuilder`),
six times faster than composing PyYAML's node graph first. A document with
anchors is read the reference way instead, which expands aliases: a depth
prescan, the node graph, then `_Builder`. Both give the same values, marks
and problems (tests/unit/test_yaml_fast.py reads documents both ways).
"""

from __future__ import annotations

from typing import Any

import yaml

from quiz.decks.yamlevents import EventBuilder, NeedsComposer
from quiz.decks.yamlmarks import (
    MAP_TAG,
    MAX_ALIAS_VALUES,
    MAX_DEPTH,
    MAX_EXPANDED_CHARS,
    MAX_NODES,
    SCALAR_TAGS,
    SEQ_TAG,
    TEXT_TAGS,
    Loader,
    Located,
    Mark,
    Path,
    Position,
    YamlProblem,
    too_many_values,
)

__all__ = ["MAX_DEPTH", "MAX_NODES", "Located", "Mark", "Path", "Position", "YamlProblem", "parse"]


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def parse(text: str) -> Located:
    """Parse one YAML document safely.

    Raises:
        YamlProblem: On a syntax error, a forbidden tag, a duplicate key, or input too
            large or too deep.
    """
    try:
        try:
            located = EventBuilder(text).run()
        except NeedsComposer:
            located = _parse_composed(text)
        located.source = text
        return located
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else Mark(1, 1)
        problem = exc.problem or str(exc)
        raise YamlProblem(where, f"YAML syntax: {problem}{_hint(problem, text, mark)}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(Mark(1, 1), f"YAML syntax: {exc}") from None
    except RecursionError:
        raise YamlProblem(Mark(1, 1), "nesting is too deep to be a deck") from None


def _parse_composed(text: str) -> Located:
    """The reference path, for documents with anchors and aliases: a depth prescan, then
    libyaml's node graph, then the builder, which expands each alias it meets and counts
    what the expansion costs."""
    _check_depth(text)
    node = yaml.compose(text, Loader=Loader)
    located = Located(None)
    if node is not None:
        builder = _Builder(located)
        located.value = builder.build(node, (), 0)
    return located


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_depth(text: str) -> None:
    """Refuse deep nesting before composing: the C composer recurses once per level and
    would overflow the C stack (a crash, not an exception) on a few thousand "[".

    libyaml's event parser keeps its own stack, so walking the events is safe, and
    costs about a sixth of composing.
    """
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                assert mark is not None  # the parser marks every event
                raise YamlProblem(
                    Mark(mark.line + 1, mark.column + 1),
                    f"nested more than {MAX_DEPTH} levels deep",
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


def _hint(problem: str, text: str, mark: yaml.Mark | None) -> str:
    at = text[mark.index] if mark is not None and mark.index < len(text) else ""
    if at == "\t" or "\\t" in problem or "tab" in problem:
        return " (indent with spaces, not tabs)"
    if "mapping values are not allowed" in problem:
        over = _over_indented(text, mark)
        if over:
            return (
                f" (`{over}:` is indented more than the key above it; line it up with "
                "the other keys of the note)"
            )
        return " (a value containing ': ' must be quoted)"
    return ""


def _over_indented(text: str, mark: yaml.Mark | None) -> str:
    """The key on the mark's line, if that line is indented deeper than the key line
    before it (`back: a` then `      tags: [x]`: YAML reads one text "a tags")."""
    if mark is None:
        return ""
    lines = text.splitlines()
    if not 0 < mark.line < len(lines):
        return ""
    line = lines[mark.line]
    key = line.strip().split(":", 1)[0]
    if not key or " " in key or ":" not in line:
        return ""
    previous = next((ln for ln in reversed(lines[: mark.line]) if ln.strip()), "")
    indent = len(line) - len(line.lstrip(" "))
    before = len(previous) - len(previous.lstrip(" "))
    before += 2 if previous.lstrip().startswith("- ") else 0
    return key if indent > before and ": " in previous else ""


class _Builder:
    def __init__(self, located: Located) -> None:
        self.located = located
        self.count = 0
        self.chars = 0
        """Characters of scalar text built so far, aliases expanded."""
        self.built: set[int] = set()
        """Nodes built at least once (by id; the graph keeps them alive meanwhile)."""
        self.expanded = 0
        """Nodes built again through an alias."""
        self.scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if id(node) in self.built:
            self.expanded += 1  # an alias: the node is built again, wherever it appears
        else:
            self.built.add(id(node))
        if self.count > MAX_NODES or self.expanded > MAX_ALIAS_VALUES:
            if self.expanded > MAX_ALIAS_VALUES:
                raise YamlProblem(
                    _mark(node),
                    f"aliases (*name) expand to more than {MAX_ALIAS_VALUES:,} values (an "
                    "alias bomb?); write the values out, or alias fewer of them",
                )
            if self.expanded:
                raise YamlProblem(
                    _mark(node),
                    f"aliases (*name) expand to more than {MAX_NODES:,} values (an alias "
                    "bomb?); write the values out, or alias fewer of them",
                )
            raise YamlProblem(_mark(node), too_many_values(MAX_NODES))
        if isinstance(node, yaml.ScalarNode):
            self.chars += len(node.value)
            if self.chars > MAX_EXPANDED_CHARS:
                raise YamlProblem(
                    _mark(node),
                    f"aliases (*name) expand to more than {MAX_EXPANDED_CHARS // 1024**2} MB "
                    "of text (an alias bomb?); write the text out, or alias less of it",
                )
        if depth > MAX_DEPTH:
            raise YamlProblem(_mark(node), f"nested more than {MAX_DEPTH} levels deep")
        self.located.positions.setdefault(path, node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ_TAG:
                raise YamlProblem(_mark(node), f"tag {node.tag!r} is not allowed in a deck")
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != MAP_TAG:
            raise YamlProblem(_mark(node), f"tag {node.tag!r} is not allowed in a deck")
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(_mark(key_node), "keys must be plain text")
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise YamlProblem(
                    _mark(key_node), f"duplicate key {key!r}; each key may appear once"
                )
            child = (*path, key)
            self.located.positions[child] = key_node.start_mark
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in TEXT_TAGS:
            return node.value
        if node.tag not in SCALAR_TAGS:
            raise YamlProblem(
                _mark(node),
                f"tag {node.tag!r} is not allowed in a deck; "
                "only plain text, numbers and booleans are",
            )
        return self.scalars.construct_object(node, deep=True)
