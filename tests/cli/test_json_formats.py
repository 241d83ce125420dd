"""`--format json` on decks, suspended, doctor and diff: the text's figures, as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_learners_cli import quiz, study, url  # noqa: F401  (fixture)
from tests.conftest import TINY


def as_json(url: str, *args: str, code: int = 0) -> dict[str, object]:  # noqa: F811
    result = quiz(url, "--learner", "ann", *args)
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_decks_json(url: str) -> None:  # noqa: F811
    study(url, "ann", [4, 4])
    data = as_json(url, "decks", "--format", "json")
    tiny = next(d for d in data["decks"] if d["deck"] == "tiny")  # type: ignore[attr-defined]
    assert tiny == {
        "deck": "tiny",
        "title": "Tiny deck",
        "new": 2,
        "due": 0,
        "redrill": 0,
        "cards": 6,
    }
    assert data["today"] == {"answers": 2, "streak": 1}


def test_suspended_json(url: str) -> None:  # noqa: F811
    study(url, "ann", [4], suspend=True)
    assert as_json(url, "suspended", "--format", "json") == {
        "suspended": [{"card": "tiny:water:0", "leech": False}]
    }


def test_doctor_json(url: str) -> None:  # noqa: F811
    data = as_json(url, "doctor", "--check-only", "--format", "json")
    assert data["ok"] is True and data["findings"] == []
    assert {"database", "checked", "removed", "backup", "backups"} <= set(data)


def test_diff_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from quiz.cli import LAZY_COMMANDS, cli

    monkeypatch.setitem(LAZY_COMMANDS, "diff", "quiz.commands.authoring:diff")
    new = tmp_path / "new.yaml"
    new.write_text(
        TINY.read_text(encoding="utf-8")
        .replace("{text: Calciphylaxis, correct: true,", "{text: Calciphylaxis,")
        .replace("{text: Vasculitis,", "{text: Vasculitis, correct: true,"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["diff", str(TINY), str(new), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["deck"] == "tiny"
    assert data["totals"]["edited"] == 1 and data["totals"]["unchanged"] == 3
    assert data["cards"]["answer changed"] == 1
    [note] = data["notes"]
    assert note["note"] == "vignette" and note["change"] == "edited"
    assert note["cards"] == [
        {
            "card": "card",
            "outcome": "answer changed",
            "old_answer": "Calciphylaxis",
            "new_answer": "Vasculitis",
            "from": None,
        }
    ]
    assert "answer changed from 'Calciphylaxis' to 'Vasculitis'" in data["warnings"][0]["message"]
