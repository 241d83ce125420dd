"""`quiz export anki` end to end: the CLI's file, read by Anki's own importer."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.cli import cli
from tests.conftest import TINY

anki_collection = pytest.importorskip("anki.collection")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("QUIZ_DB", raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def import_into_anki(path: Path, tmp_path: Path) -> object:
    col = anki_collection.Collection(str(tmp_path / "collection.anki2"))
    metadata = col.get_csv_metadata(str(path), None)
    col.import_csv(anki_collection.ImportCsvRequest(path=str(path), metadata=metadata))
    return col


def test_export_of_an_imported_deck_by_id_imports_into_anki(home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(TINY)]).exit_code == 0
    out = tmp_path / "tiny.txt"
    result = runner.invoke(cli, ["export", "anki", "tiny", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 4 notes (6 cards) in 1 deck(s)" in result.output
    col = import_into_anki(out, tmp_path)
    try:
        assert col.note_count() == 4  # type: ignore[attr-defined]
        assert col.card_count() == 6  # type: ignore[attr-defined]
        assert set(col.decks.all_names()) >= {"Tiny deck"}  # type: ignore[attr-defined]
    finally:
        col.close()  # type: ignore[attr-defined]


def test_export_of_a_deck_file_with_a_tag_filter_and_commas(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "chem.csv"
    result = CliRunner().invoke(
        cli, ["export", "anki", str(TINY), "-o", str(out), "--tags", "chem", "--separator", "comma"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("#separator:comma\n")
    col = import_into_anki(out, tmp_path)
    try:
        assert col.note_count() == 2  # type: ignore[attr-defined]
        assert col.card_count() == 4  # water x2, sodium c1 c2  # type: ignore[attr-defined]
    finally:
        col.close()  # type: ignore[attr-defined]


def test_unknown_deck_and_empty_selection_fail_cleanly(tmp_path: Path, home: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "anki", "nope", "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 1
    assert "no deck 'nope'" in result.output
    result = CliRunner().invoke(
        cli, ["export", "anki", str(TINY), "-o", str(tmp_path / "y.txt"), "--tags", "zzz"]
    )
    assert result.exit_code == 1
    assert "no notes matched" in result.output
