"""YAML to plain values and positions in one pass over libyaml's events.

Six times faster than composing PyYAML's node graph first, with its own stack so
hostile nesting is refused without recursion. Documents with anchors or aliases
raise `NeedsComposer` and are read by `yamlnodes`' reference path, which gives the
same values, marks and problems (tests/unit/test_yaml_fast.py reads both ways).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

import yaml
from yaml.composer import ComposerError

from quiz.decks.yamlmarks import (
    MAP_TAG,
    MAX_DEPTH,
    MAX_NODES,
    SCALAR_TAGS,
    SEQ_TAG,
    TEXT_TAGS,
    Loader,
    Located,
    Mark,
    Path,
    YamlProblem,
    too_many_values,
)


class NeedsComposer(Exception):
    """The document has an anchor or an alias: the node-graph path expands those."""


_STR_TAG = "tag:yaml.org,2002:str"
_IMPLICIT = Loader.yaml_implicit_resolvers
_WILDCARD: list[Any] = _IMPLICIT.get(None) or []


class _Every:
    """Contains everything: some resolver looks at every plain scalar."""

    def __contains__(self, item: object) -> bool:
        return True


_PLAIN_CHECK: Container[str] = (
    _Every() if _WILDCARD else frozenset(k for k in _IMPLICIT if k is not None)
)
"""First characters of the plain scalars the resolver may make other than text (and ""
for an empty one): any other plain scalar is text without asking the resolver."""
_OPEN_MAP, _OPEN_SEQ = yaml.MappingStartEvent, yaml.SequenceStartEvent
_CLOSE_MAP, _CLOSE_SEQ = yaml.MappingEndEvent, yaml.SequenceEndEvent
_SCALAR = yaml.ScalarEvent


_RESOLVERS = {
    first: [*resolvers, *_WILDCARD] for first, resolvers in _IMPLICIT.items() if first is not None
}
"""The resolver's (tag, regexp) pairs to try on a plain scalar, by its first character
("" for an empty scalar): what `Resolver.resolve` tries, looked up once."""


def _duplicate(event: Any, key: str) -> tuple[Mark, str]:
    return _event_mark(event), f"duplicate key {key!r}; each key may appear once"


def _event_mark(event: Any) -> Mark:
    start = event.start_mark
    return Mark(start.line + 1, start.column + 1)


class EventBuilder:
    """Values and marks in one pass over the parser's events, without a node graph.

    The event parser and this loop each keep their own stack, so nesting is refused
    at MAX_DEPTH without recursing. The problem reported is the one the node-graph
    path reports: a syntax or depth error anywhere in the stream first (its prescan
    finds them), then a second document, then the first problem in document order.
    Documents with anchors or aliases go to that path instead (`NeedsComposer`).
    """

    def __init__(self, text: str) -> None:
        self.loader = Loader(text)
        # Events are typed loosely: which attributes exist depends on the event's class.
        self.get_event: Callable[[], Any] = self.loader.get_event
        self.located = Located(None)
        self.problem: YamlProblem | None = None
        self.depth = 0
        """Collections open when building stopped; the drain goes on counting from it."""
        self.scalars = yaml.SafeLoader("")
        self.known_keys: dict[str, str] = {}
        """Plain keys already resolved: their text as written -> the key."""

    def run(self) -> Located:
        try:
            if self._build():
                self._drain()
        finally:
            self.loader.dispose()
        if self.problem is not None:
            raise self.problem
        return self.located

    def _build(self) -> bool:
        """Build the first document's value; False if the stream ended before one.

        One flat loop, as it runs once per event (a quarter of a million for a
        10,000-note deck): scalars that are plain text skip `_scalar`, keys seen before
        skip `_key`, and a `Mark` is made only for a problem.
        """
        get_event, positions = self.get_event, self.located.positions
        known_keys = self.known_keys
        stack: list[tuple[Any, Path]] = []
        container: Any = None  # the mapping or sequence being filled; None at the top
        in_map = False
        path: Path = ()
        key: Any = None  # the key (a str) whose value comes next, in a mapping
        count, most = 0, MAX_NODES
        scalar, check = _SCALAR, _PLAIN_CHECK  # locals: read a quarter of a million times
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar:
                if event.anchor is not None:
                    raise NeedsComposer
                value = event.value
                if in_map and key is None:
                    if event.tag is not None:
                        key = None
                    elif event.implicit[0]:  # plain: `true:` is "True"; quoted: as written
                        key = known_keys.get(value)
                    else:
                        key = value
                    if key is None:
                        key = self._key(event, container)
                        if key is None:
                            return self._stop(len(stack))
                    elif key in container:
                        return self._stop(len(stack), *_duplicate(event, key))
                    positions[(*path, key)] = event.start_mark
                    continue
                count += 1
                if count > most:
                    return self._stop(len(stack), _event_mark(event), too_many_values(MAX_NODES))
                if event.tag is not None or (event.implicit[0] and value[:1] in check):
                    value = self._scalar(event)
                    if self.problem is not None:
                        return self._stop(len(stack))
                if in_map:
                    container[key] = value
                    key = None
                elif container is None:
                    positions.setdefault((), event.start_mark)
                    self.located.value = value
                    return True
                else:
                    positions[(*path, len(container))] = event.start_mark
                    container.append(value)
            elif kind is _CLOSE_MAP or kind is _CLOSE_SEQ:
                container, path = stack.pop()
                in_map, key = type(container) is dict, None
                if not stack:
                    return True
            elif kind is _OPEN_MAP or kind is _OPEN_SEQ:
                if event.anchor is not None:
                    raise NeedsComposer
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(
                        _event_mark(event), f"nested more than {MAX_DEPTH} levels deep"
                    )
                if in_map and key is None:
                    return self._stop(len(stack) + 1, _event_mark(event), "keys must be plain text")
                count += 1
                if count > MAX_NODES:
                    return self._stop(
                        len(stack) + 1, _event_mark(event), too_many_values(MAX_NODES)
                    )
                if in_map:
                    where = (*path, key)
                elif container is None:
                    where = ()
                    positions.setdefault(where, event.start_mark)
                else:
                    where = (*path, len(container))
                    positions[where] = event.start_mark
                value = self._collection(event, kind is _OPEN_MAP)
                if self.problem is not None:
                    return self._stop(len(stack) + 1)
                if in_map:
                    container[key] = value
                elif container is not None:
                    container.append(value)
                else:
                    self.located.value = value
                stack.append((container, path))
                container, path, in_map, key = value, where, kind is _OPEN_MAP, None
            elif kind is yaml.StreamEndEvent:
                return False
            elif kind is yaml.AliasEvent:
                raise NeedsComposer

    def _stop(self, depth: int, mark: Mark | None = None, message: str = "") -> bool:
        """Keep the problem (one found by a helper is already kept) and go on only to drain."""
        if mark is not None:
            self.problem = YamlProblem(mark, message)
        self.depth = depth
        return True

    def _drain(self) -> None:
        """Read the rest of the stream for what the prescan and `compose` would refuse."""
        get_event, depth = self.get_event, self.depth
        second_document: Any = None
        while True:
            event = get_event()
            kind = type(event)
            if kind is _SCALAR or kind is _OPEN_MAP or kind is _OPEN_SEQ:
                if event.anchor is not None:
                    raise NeedsComposer
                if kind is not _SCALAR:
                    depth += 1
                    if depth > MAX_DEPTH:
                        message = f"nested more than {MAX_DEPTH} levels deep"
                        raise YamlProblem(_event_mark(event), message)
            elif kind is _CLOSE_MAP or kind is _CLOSE_SEQ:
                depth -= 1
            elif kind is yaml.AliasEvent:
                raise NeedsComposer
            elif kind is yaml.DocumentStartEvent and second_document is None:
                second_document = event.start_mark
            elif kind is yaml.StreamEndEvent:
                break
        if second_document is not None:
            raise ComposerError(
                "expected a single document in the stream",
                None,
                "but found another document",
                second_document,
            )

    def _key(self, event: Any, mapping: dict[str, Any]) -> str | None:
        """The key as text (`1:` is "1"), or None with the problem kept; remembers plain
        keys, which resolve the same wherever they appear."""
        key = self._scalar(event)
        if self.problem is not None:
            return None
        key = key if isinstance(key, str) else str(key)
        if event.tag is None and event.implicit[0]:
            self.known_keys[event.value] = key
        if key in mapping:
            self.problem = YamlProblem(*_duplicate(event, key))
            return None
        return key

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = _STR_TAG
            if event.implicit[0]:
                value = event.value
                for candidate, regexp in _RESOLVERS.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        tag = candidate
                        break
        if tag == _STR_TAG or tag in TEXT_TAGS:
            return event.value
        if tag not in SCALAR_TAGS:
            self.problem = YamlProblem(
                _event_mark(event),
                f"tag {tag!r} is not allowed in a deck; only plain text, numbers and booleans are",
            )
            return None
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return self.scalars.construct_object(node, deep=True)

    def _collection(self, event: Any, mapping: bool) -> Any:
        tag, want = event.tag, MAP_TAG if mapping else SEQ_TAG
        if tag is not None and tag != "!" and tag != want:
            self.problem = YamlProblem(_event_mark(event), f"tag {tag!r} is not allowed in a deck")
            return None
        return {} if mapping else []
