"""The one-pass YAML reader gives what the node-graph reader gives: values, marks, errors.

`parse` builds values straight from libyaml's events; documents with anchors go to
the reference path (prescan for depth, `yaml.compose`, then a builder over the node
graph). Each document here is read both ways and must come out identical: the same
value, the same mark for every key path, or the same problem at the same place.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.decks import yamlevents, yamlnodes
from quiz.decks.yamlnodes import MAX_DEPTH, YamlProblem, parse
from tests.conftest import TINY

Outcome = tuple[Any, ...]


def outcome(text: str) -> Outcome:
    try:
        located = parse(text)
    except YamlProblem as exc:
        return ("error", exc.mark, exc.message)
    marks = {path: located.mark_for(path) for path in located.positions}
    return ("ok", located.value, marks)


def reference(text: str, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    def always_compose(self: object) -> yamlnodes.Located:
        raise yamlevents.NeedsComposer

    with monkeypatch.context() as patch:
        patch.setattr(yamlevents.EventBuilder, "run", always_compose)
        return outcome(text)


def assert_same(text: str, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    fast = outcome(text)
    assert fast == reference(text, monkeypatch), text
    return fast


TRICKY = [
    "",
    "# only a comment\n",
    "---\n",
    "...\n",
    "plain text\n",
    "%YAML 1.1\n---\na: 1\n",
    "\ufeffa: 1\n",
    # values the resolver turns into something other than text
    "a: 0x1F\nb: 1_000\nc: 1:30\nd: .inf\ne: ~\nf: yes\ng: Off\nh: 2026-01-05\ni: 0o17\nj: -.5\n",
    "a: !!str 5\nb: ! 5\nc: '5'\nd: !!int '7'\ne: !!float 1\nf: !!bool yes\ng: !!null ''\n",
    "a: ! yes\nb: yes\nc: 'yes'\nd: \"no\"\n",
    "a:\n  - \n  - b\n  -\n",
    "a: !!timestamp 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\n",
    # keys that are not text as written
    "1: a\ntrue: b\nnull: c\n1.5: d\n2026-01-05: e\n~: f\n",
    'true: 1\n"true": 2\n',
    '"true": 1\ntrue: 2\n',
    "'': 1\n? \n: 2\n",
    "a: {x: 1, y: 2}\nb: {y: 3, x: 4}\nc: [{x: 5}]\n",
    # problems
    "a: 1\n'a': 2\n",
    "1: a\n'1': b\n",
    "null: 1\n~: 2\n",
    "! a: 1\na: 2\n",
    "!!str a: 1\na: 2\n",
    "a: {x: 1, y: 2}\nb: {x: 3, x: 4}\n",
    "[a, b]: c\n",
    "{a: b}: c\n",
    "<<: 1\n",
    "=: 1\n",
    "a: =\n",
    "a: !!binary aGk=\n",
    "a: !!set {a, b}\n",
    "a: !foo x\n",
    "!foo {a: 1}\n",
    "a: !!omap [b: 1]\n",
    "a: !!map {b: 1}\nc: !!seq [1]\n",
    "!!python/object/apply:os.system ['echo hacked']\n",
    "deck: !!python/name:os.system\n",
    "a: b: c\n",
    "a: 'x\n",
    "a: [1, 2\n",
    "a: \x00\n",
    "deck:\n\tid: x\n",
    # which problem wins when there are several: syntax and depth anywhere, then a
    # second document, then the first problem in document order
    "a: 1\n---\nb: 2\n",
    "plain\n---\nother\n",
    "--- [a]\n--- {b: 1}\n",
    "a: {b: 1, b: 2}\n---\nx: 1\n",
    "a: {b: 1, b: 2}\n---\n[",
    "a: {b: 1, b: 2}\nc: [\n",
    "a: {b: 1, b: 2}\nc: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n",
    "a: !foo x\nb: !bar y\n",
    "[x]: 1\nb: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
    "a: 1\n---\n" + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
    # nesting at and past the limit, in flow and block style
    "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
    "deck: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)),
    "- " * (MAX_DEPTH - 1) + "x\n",
    "- " * (MAX_DEPTH + 1) + "x\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_read_the_same_both_ways(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same(text, monkeypatch)


def test_deck_files_read_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).parents[2]
    decks = [
        TINY,
        *sorted(root.glob("decks/**/*.yaml")),
        *root.glob("tests/export/fixtures/*.yaml"),
    ]
    for path in decks:
        kind, value, marks = assert_same(path.read_text(encoding="utf-8"), monkeypatch)
        if path == TINY:
            assert kind == "ok" and value["notes"][3]["options"][1]["text"] == "Cellulitis"
            assert marks[("notes", 3, "options", 1)].line == 35


def test_a_document_with_anchors_is_read_by_the_reference_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "a: &x {b: [1, 2]}\nc: *x\n"
    assert assert_same(text, monkeypatch)[1] == {"a": {"b": [1, 2]}, "c": {"b": [1, 2]}}
    for late in ("a: {b: 1, b: 2}\nc: *x\n", "a: {b: 1, b: 2}\n---\n- &y 1\n"):
        assert_same(late, monkeypatch)  # found while only draining the stream


def test_too_many_values_is_refused_at_the_same_value(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (yamlnodes, yamlevents):  # each path reads the limit it imported
        monkeypatch.setattr(module, "MAX_NODES", 50)
    for text in ("[" + ", ".join(["x"] * 60) + "]\n", "- [" + ", ".join(["[1]"] * 30) + "]\n"):
        kind, _, message = assert_same(text, monkeypatch)
        assert kind == "error" and "more than 50 values; split the deck" in message


def test_deep_nesting_is_refused_without_recursion() -> None:
    with pytest.raises(YamlProblem) as info:
        parse("deck: " + "[" * 1_000_000 + "\n")
    # the top-level mapping is the first level, so the 40th "[" (column 6 + 40) is too many
    assert (info.value.mark.line, info.value.mark.column) == (1, 6 + MAX_DEPTH)
    assert "nested more than" in info.value.message


def _random_value(rng: random.Random, depth: int) -> Any:
    words = ["yes", "No", "null", "~", "1_0", "0x1F", "3.5", ".nan", "2026-01-05", "a: b", "x"]
    pick = rng.random()
    if depth > 3 or pick < 0.5:
        return rng.choice([*words, rng.randint(-9, 99), True, None, "", "Text with # and -"])
    if pick < 0.75:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [*words, "id", "type", "1", "true"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(0, 2**32), st.booleans(), st.integers(0, 2))
def test_random_documents_read_the_same_both_ways(seed: int, flow: bool, mutate: int) -> None:
    rng = random.Random(seed)
    text = yaml.safe_dump(_random_value(rng, 0), default_flow_style=flow, allow_unicode=True)
    if mutate == 1 and text:  # damage it: a stray character somewhere
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(":-[]{}!&*'\"#\t\n ") + text[at:]
    elif mutate == 2 and not text.startswith(("{", "[", "-")):  # a block mapping twice
        text += text
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same(text, monkeypatch)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(alphabet=" \n-:[]{}!&*,?'\"#|>%@`ab1~.\t", max_size=60))
def test_random_yaml_punctuation_reads_the_same_both_ways(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same(text, monkeypatch)
