"""`quiz check` finds every mistake in one run, with hints for YAML's traps, and can watch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from quiz.cli import cli
from tests.reliability.harness import ROOT

PLANTED = Path(__file__).parents[1] / "fixtures" / "planted.yaml"
"""A deck with ten mistakes an instructor makes, each on its own note."""


def check(*paths: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", *map(str, paths)])
    return result.exit_code, [ln for ln in result.output.splitlines() if ": error: " in ln]


def test_every_planted_mistake_is_reported_in_one_run() -> None:
    code, errors = check(PLANTED)
    assert code == 1
    expected = [
        # a YAML boolean where text was meant, with the fix
        (10, 'must be text, not false (a boolean); YAML reads No as the boolean false: '
         'quote it: "No"'),
        # a duplicate id, although other notes have errors
        (12, "duplicate note id 'one' (first used at line 7)"),
        # a capitalised key
        (16, "missing `type`; found `Type`: keys are lowercase, write `type:`"),
        # a misspelt type
        (21, "`type` must be one of basic, reversed, cloze, mcq; did you mean `cloze`?"),
        # two correct options in a note that also has an unknown key
        (23, "needs exactly one option with `correct: true`, found 2"),
        (26, "unknown key `colour`"),
        # an unquoted comma in a flow mapping
        (28, "an unquoted comma inside {...} ends a value; quote the text"),
        # a missing id, pointing at `quiz ids`
        (30, f"missing required key `id`; run `quiz ids {PLANTED}`"),
        # a misspelt key, with a suggestion
        (35, "unknown key `frnt`; did you mean `front`?"),
        # a cloze number past the cap
        (39, "cloze numbers go up to c500"),
    ]  # fmt: skip
    for line, text in expected:
        assert any(e.startswith(f"{PLANTED}:{line}:") and text in e for e in errors), (
            line,
            text,
            errors,
        )
    assert len(errors) >= 10


def test_an_over_indented_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_text(
        "deck: {id: x, title: X}\nnotes:\n  - id: a\n    type: basic\n    front: q\n"
        "    back: a\n      tags: [x]\n"
    )
    _, errors = check(path)
    assert errors == [
        f"{path}:7:11: error: YAML syntax: mapping values are not allowed in this context "
        "(`tags:` is indented more than the key above it; line it up with the other keys "
        "of the note)"
    ]


def test_a_duplicate_source_id_is_found_beside_other_errors(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_text(
        "deck:\n  id: x\n  title: X\n  sources:\n    - {id: s, title: A}\n"
        "    - {id: s, title: B}\nnotes:\n  - {id: a, type: basic, front: q}\n"
    )
    _, errors = check(path)
    assert any("duplicate source id 's'" in e for e in errors), errors
    assert any("missing required key `back`" in e for e in errors), errors


def test_watch_checks_again_on_every_save(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_text("deck: {id: x, title: X}\nnotes:\n  - {id: a, type: basic, front: q}\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from quiz.cli import main; main()",
            "check",
            "--watch",
            "--interval",
            "0.05",
            str(path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    try:
        seen: list[str] = []

        def until(text: str) -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                seen.append(line)
                if text in line:
                    return
            raise AssertionError("".join(seen))

        until("1 error(s)")
        assert any("missing required key `back`" in ln for ln in seen)
        path.write_text(
            "deck: {id: x, title: X}\nnotes:\n  - {id: a, type: basic, front: q, back: a}\n"
        )
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        until("0 error(s)")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
