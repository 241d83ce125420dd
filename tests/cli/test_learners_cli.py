"""Learner profiles from the command line: `--learner`, QUIZ_LEARNER, the OS user name.

On SQLite and, when QUIZ_TEST_POSTGRES_URL is set, PostgreSQL (a fresh schema per
test, the ``db_url`` fixture): two learners share one database; what one studies,
suspends or unsuspends through the services layer never shows in the other's
`quiz decks`, `quiz stats` or `quiz suspended`, while the instructor's `quiz report`
counts every learner.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.cli import cli
from quiz.services import Quiz
from quiz.services.review import ReviewSession
from tests.conftest import TINY


@pytest.fixture
def url(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database holding the tiny deck; no QUIZ_* settings from the environment."""
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    result = quiz(db_url, "import", str(TINY))
    assert result.exit_code == 0, result.output
    yield db_url


def quiz(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env=env, catch_exceptions=False)


def tiny_counts(url: str, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """`quiz decks` for the tiny deck: new, due, re-drill, cards; and today's answers."""
    result = quiz(url, *args, "decks", env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(ln for ln in lines if ln.startswith("tiny ")).split()[1:5]
    today = next(ln for ln in lines if ln.startswith("today:")).split()[1]
    return [*row, today]


FRESH = ["4", "0", "0", "6", "0"]
"""The tiny deck untouched: 4 new today (siblings wait), nothing due, 6 cards, 0 answers."""


def study(url: str, learner: str, qualities: list[int], *, suspend: bool = False) -> None:
    """Answer the first cards of the tiny deck as a learner, through the services layer."""
    opened = Quiz.open(url, learner=learner)
    try:
        session = ReviewSession.start(opened, ["tiny"])
        for q in qualities:
            session.answer(q)
        if suspend:
            assert session.suspend() is not None
    finally:
        opened.close()


def test_what_one_learner_studies_the_other_does_not_see(url: str) -> None:
    assert tiny_counts(url, "--learner", "ann") == FRESH
    assert tiny_counts(url, "--learner", "bob") == FRESH
    study(url, "ann", [4, 1])  # capital passed; water failed, so it comes back today
    assert tiny_counts(url, "--learner", "ann") == ["2", "0", "1", "6", "2"]
    assert tiny_counts(url, "--learner", "bob") == FRESH
    study(url, "bob", [5])
    assert tiny_counts(url, "--learner", "bob") == ["3", "0", "0", "6", "1"]
    assert tiny_counts(url, "--learner", "ann") == ["2", "0", "1", "6", "2"]


def test_quiz_learner_from_the_environment_and_the_flag_wins(url: str) -> None:
    study(url, "ann", [4])
    ann = ["3", "0", "0", "6", "1"]
    assert tiny_counts(url, env={"QUIZ_LEARNER": "ann"}) == ann
    assert tiny_counts(url, env={"QUIZ_LEARNER": "bob"}) == FRESH
    assert tiny_counts(url, "--learner", "bob", env={"QUIZ_LEARNER": "ann"}) == FRESH


def test_the_default_learner_is_the_os_user_name(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    study(url, "carol", [4])
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):  # what getpass.getuser reads
        monkeypatch.setenv(var, "carol")
    assert tiny_counts(url) == ["3", "0", "0", "6", "1"]
    for var in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, "dave")
    assert tiny_counts(url) == FRESH


def test_suspending_and_unsuspending_touch_only_ones_own_cards(url: str) -> None:
    study(url, "ann", [], suspend=True)  # ann suspends her first card, capital
    result = quiz(url, "--learner", "ann", "suspended")
    assert result.stdout.split() == ["tiny:capital:0"]
    result = quiz(url, "--learner", "bob", "suspended")
    assert result.stdout == ""
    assert "0 suspended card(s)" in result.stderr
    # bob cannot unsuspend ann's card: the command only ever touches his own states.
    result = quiz(url, "--learner", "bob", "unsuspend", "tiny:capital")
    assert result.exit_code == 0
    assert "unsuspended 0 card(s)" in result.output
    assert quiz(url, "--learner", "ann", "suspended").stdout.split() == ["tiny:capital:0"]
    result = quiz(url, "--learner", "ann", "unsuspend", "tiny:capital")
    assert "unsuspended 1 card(s)" in result.output


def test_stats_are_per_learner(url: str) -> None:
    study(url, "ann", [4, 4, 4])
    study(url, "bob", [4])

    def answers(learner: str) -> int:
        result = quiz(url, "--learner", learner, "stats", "--json")
        assert result.exit_code == 0, result.output
        return int(json.loads(result.stdout)["activity"]["answers"])

    assert (answers("ann"), answers("bob"), answers("carol")) == (3, 1, 0)


def test_the_instructor_report_covers_every_learner(url: str) -> None:
    study(url, "ann", [4, 1])
    study(url, "bob", [5])
    result = quiz(url, "--learner", "instructor", "report", "--csv")
    assert result.exit_code == 0, result.output
    rows = {r["note"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["capital"]["reviews"], rows["capital"]["learners"]) == ("2", "2")
    assert (rows["water"]["reviews"], rows["water"]["learners"]) == ("1", "1")
