"""The `quiz` command line, run with click's CliRunner on real files and a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.cli import cli
from tests.conftest import TINY


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_then_decks_lists_counts(home: Path) -> None:
    result = run("import", str(TINY))
    assert result.exit_code == 0, result.output
    assert "imported tiny (Tiny deck): 4 added" in result.output
    assert "cards +6 -0" in result.output
    result = run("decks")
    assert result.exit_code == 0
    line = next(ln for ln in result.output.splitlines() if ln.startswith("tiny"))
    assert line.split()[:5] == ["tiny", "4", "0", "0", "6"]  # 4 new today: siblings wait
    assert (home / "quiz.sqlite3").exists()


def test_import_dry_run_lists_changes_per_note(home: Path, tmp_path: Path) -> None:
    run("import", str(TINY))
    edited = tmp_path / "tiny.yaml"
    edited.write_text(TINY.read_text().replace("back: Paris", "back: Paris!"))
    result = run("import", "--dry-run", str(edited))
    assert result.exit_code == 0
    assert "would import tiny" in result.output
    assert "edited    capital" in result.output


def test_import_of_a_broken_deck_names_file_and_line_and_exits_1(
    home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: {id: bad, title: Bad}\nnotes:\n  - {id: x, type: basic, front: q}\n")
    result = CliRunner().invoke(cli, ["import", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3:5: error: notes[0](x): missing required key `back`" in result.output
    assert "nothing imported" in result.output
    assert "Traceback" not in result.output


def test_check_reports_all_problems_text_and_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "deck: {id: bad, title: Bad}\nnotes:\n  - {id: x, type: basic, front: q, bak: a}\n"
    )
    result = CliRunner().invoke(cli, ["check", str(bad), str(TINY)])
    assert result.exit_code == 1
    assert result.output.count("error:") == 2
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(bad)])
    payload = json.loads(result.stdout)
    assert [d["line"] for d in payload["diagnostics"]] == [3, 3, 3]
    assert {d["severity"] for d in payload["diagnostics"]} == {"error", "warning"}


def test_check_passes_a_good_deck() -> None:
    result = CliRunner().invoke(cli, ["check", str(TINY)])
    assert result.exit_code == 0
    assert "0 error(s)" in result.output


def test_schema_is_json(tmp_path: Path) -> None:
    result = run("schema")
    assert json.loads(result.output)["title"] == "DeckFileModel"
    out = tmp_path / "schema.json"
    assert run("schema", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == json.loads(result.output)


def test_locate_shows_paths(home: Path) -> None:
    result = run("locate")
    assert f"database: {home / 'quiz.sqlite3'}" in result.output
    assert "(not created)" in result.output


def test_bad_database_is_a_message_not_a_traceback(home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("definitely not sqlite")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{junk}", "decks"])
    assert result.exit_code == 1
    assert "is not a SQLite database" in result.output
    assert "Traceback" not in result.output
    assert junk.read_text() == "definitely not sqlite"


def test_bad_config_is_a_message(home: Path, tmp_path: Path) -> None:
    conf = tmp_path / "config.toml"
    conf.write_text("new_per_day = -3\n")
    result = CliRunner().invoke(cli, ["--config", str(conf), "decks"])
    assert result.exit_code == 1
    assert "`new_per_day` must be a whole number from 0 to 100000" in result.output


def test_review_needs_a_terminal(home: Path) -> None:
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 1
    assert "needs an interactive terminal" in result.output


def test_suspended_and_unsuspend(home: Path) -> None:
    run("import", str(TINY))
    result = CliRunner().invoke(cli, ["unsuspend", "tiny:nope"])
    assert result.exit_code == 1
    assert "no card 'tiny:nope'" in result.output
    assert run("unsuspend", "tiny:capital").output.strip() == "unsuspended 0 card(s)"


def test_reimporting_an_unchanged_file_skips_parsing_unless_forced(home: Path) -> None:
    run("import", str(TINY))
    again = run("import", str(TINY))
    assert "0 added, 0 edited, 0 reset, 0 moved, 4 unchanged" in again.output
    forced = run("import", "--force", str(TINY))
    assert forced.exit_code == 0
    assert "0 added, 0 edited, 0 reset, 0 moved, 4 unchanged" in forced.output


def test_unsuspend_takes_a_note_id_without_its_suffix_and_suggests_close_ones(
    home: Path, tmp_path: Path
) -> None:
    deck = tmp_path / "gen.yaml"
    deck.write_text(
        "deck: {id: gen, title: Generated}\n"
        "notes:\n"
        "  - {id: def-core.qa, type: basic, front: 'Q1', back: 'A1'}\n"
        "  - {id: def-core.qa2, type: basic, front: 'Q2', back: 'A2'}\n"
        "  - {id: pain-relief.qa, type: basic, front: 'Q3', back: 'A3'}\n",
        encoding="utf-8",
    )
    run("import", str(deck))
    # One note extends the id up to a '.': taken (nothing was suspended, so 0 cards).
    assert run("unsuspend", "gen:pain-relief:0").output.strip() == "unsuspended 0 card(s)"
    ambiguous = CliRunner().invoke(cli, ["unsuspend", "gen:def-core"])
    assert ambiguous.exit_code == 1
    assert "did you mean gen:def-core.qa or gen:def-core.qa2?" in ambiguous.output
    typo = CliRunner().invoke(cli, ["unsuspend", "gen:pain-releif.qa"])
    assert typo.exit_code == 1
    assert "did you mean gen:pain-relief.qa?" in typo.output
    unknown = CliRunner().invoke(cli, ["unsuspend", "gen:zzz"])
    assert "no card 'gen:zzz'. Cards are named DECK:NOTE" in unknown.output


def test_version() -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip().endswith(version("quiz"))
