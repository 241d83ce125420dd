"""Bounds on input: the one bounded reader, the cloze number cap, alias amplification."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from quiz.decks.yamlmarks import MAX_EXPANDED_CHARS, YamlProblem
from quiz.decks.yamlnodes import parse
from quiz.domain import cloze
from quiz.files import InputFileError, read_bounded


def test_a_regular_file_is_read_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10) == b"x" * 10
    with pytest.raises(InputFileError, match="larger than 9 bytes; split it"):
        read_bounded(path, 9, fix="split it")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_symlink_to_a_device_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "z.yaml"
    path.symlink_to("/dev/zero")
    with pytest.raises(InputFileError, match="is a device, not a regular file"):
        read_bounded(path, 1024)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(InputFileError, match="named pipe"):
        read_bounded(path, 1024)


def test_a_directory_and_a_missing_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="is a directory"):
        read_bounded(tmp_path, 1024, "settings file")
    with pytest.raises(InputFileError, match="no such settings file"):
        read_bounded(tmp_path / "nope", 1024, "settings file")


def test_a_huge_cloze_number_is_an_error_not_a_loop() -> None:
    text = "{{c99999999999999999999999::x}}"
    assert cloze.problems(text) == ["cloze numbers go up to c500; renumber this deletion"]
    assert cloze.number_gaps(text) == []
    assert cloze.problems("{{c500::x}}") == []
    assert cloze.problems("{{c501::x}}") != []
    assert cloze.problems("{{c" + "9" * 5000 + "::x}}") != []  # past int()'s digit limit


def test_render_prompts_matches_render_prompt_card_by_card() -> None:
    text = "A {{c1::b::hint}} c {{c2::d}} e {{c1::f}} {{c3::g}}"
    prompts = cloze.render_prompts(text)
    assert prompts == {n: cloze.render_prompt(text, n) for n in (1, 2, 3)}


def test_many_deletions_check_in_linear_time() -> None:
    from quiz.decks.lint import lint

    text = " ".join(f"{{{{c{i % 500 + 1}::word{i}}}}}" for i in range(3000))
    located = parse(f"notes:\n  - {{id: a, type: cloze, text: '{text}'}}\n")
    start = time.perf_counter()
    lint(located, "deck.yaml")
    assert time.perf_counter() - start < 5


def test_a_long_text_aliased_many_times_is_refused() -> None:
    big = "x" * 50_000
    lines = [f"a: &big {big}"] + [f"k{i}: *big" for i in range(300)]
    with pytest.raises(YamlProblem, match="alias bomb"):
        parse("\n".join(lines) + "\n")
    # the same text aliased a few times is fine
    assert parse(f"a: &big {big}\nb: *big\n").value["b"] == big
    assert MAX_EXPANDED_CHARS >= 10 * 1024 * 1024


def test_a_large_deck_without_aliases_is_not_called_a_bomb() -> None:
    notes = "".join(
        f"  - {{id: n{i}, type: basic, front: q{i}, back: a{i}}}\n" for i in range(50_000)
    )
    located = parse("notes:\n" + notes)
    assert len(located.value["notes"]) == 50_000
