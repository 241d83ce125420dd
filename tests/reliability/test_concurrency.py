"""Two terminals, one database: sessions running at once all keep working and lose nothing.

Several driver processes answer cards on the same SQLite file at the same
time, two of them as the same learner (so they race for the very same cards)
and one as another learner. None may crash ("database is locked" would), and
afterwards every acknowledged answer is in the log exactly once, the log has
no answer nobody acknowledged, and replaying the log reproduces every stored
card state, so no answer was applied twice or to a stale state.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.reliability.harness import Driver, audit, log_rows, running, write_deck

ANSWERS = 150
"""Answers per process."""


def _final_answers(driver: Driver) -> dict[int, tuple[int, int]]:
    """The answers a driver acknowledged and did not take back, in the order it reported them."""
    kept: dict[int, tuple[int, int]] = {}
    for line in driver.lines:
        word, *args = line.split()
        if word == "ACK":
            log_id, card_id, quality = map(int, args)
            kept[log_id] = (card_id, quality)
        elif word == "UNDO":
            del kept[int(args[0])]
    return kept


def _run_together(tmp_path: Path, db: Path, learners: list[str], seed: int) -> list[Driver]:
    """One driver per learner name, all on ``db`` at once, each answering ANSWERS cards."""
    deck = write_deck(tmp_path / "gen.yaml", 150)
    with ExitStack() as stack:
        drivers = [
            stack.enter_context(
                running(
                    f"sqlite:///{db}",
                    learner,
                    seed + i,
                    deck=deck,
                    max_answers=ANSWERS,
                    stderr=tmp_path / f"e{i}",
                )
            )
            for i, learner in enumerate(learners)
        ]
        for d in drivers:
            assert d.finish() == 0, d.stderr()  # "database is locked" would be a crash
            assert "locked" not in d.stderr()
            assert d.lines[-1] == "DONE"
    return drivers


def _check(db: Path, drivers: list[Driver]) -> int:
    rows = log_rows(db)
    seen: dict[int, tuple[int, int]] = {}
    for d in drivers:
        for log_id, answer in _final_answers(d).items():
            assert log_id not in seen, f"log row {log_id} acknowledged by two sessions"
            seen[log_id] = answer
    # Exactly once: every kept answer has its row, and there is no row nobody answered.
    assert set(seen) == set(rows)
    for log_id, (card_id, quality) in seen.items():
        assert (rows[log_id]["card_id"], rows[log_id]["quality"]) == (card_id, quality)
    result = audit(db)
    assert result.problems == []
    return len(seen)


def test_sessions_started_together_on_a_new_file(tmp_path: Path) -> None:
    """All three create the database at the same moment, then race for the same cards."""
    db = tmp_path / "quiz.sqlite3"
    drivers = _run_together(tmp_path, db, ["ann", "ann", "bob"], seed=10)
    checked = _check(db, drivers)
    print(f"\nconcurrency[new file]: 3 sessions, {checked} answers checked, 0 lost or doubled")


def test_sessions_on_a_database_already_in_use(tmp_path: Path) -> None:
    """Same learner twice plus another learner, on a collection with history."""
    db = tmp_path / "quiz.sqlite3"
    deck = write_deck(tmp_path / "gen.yaml", 150)
    with running(
        f"sqlite:///{db}", "ann", 1, deck=deck, max_answers=50, stderr=tmp_path / "e"
    ) as warmup:
        assert warmup.finish() == 0, warmup.stderr()
    drivers = [warmup, *_run_together(tmp_path, db, ["ann", "ann", "bob"], seed=20)]
    checked = _check(db, drivers)
    print(f"\nconcurrency[in use]: 3 sessions, {checked} answers checked, 0 lost or doubled")


@pytest.mark.parametrize("round_", range(3))
def test_processes_creating_the_database_at_the_same_instant(tmp_path: Path, round_: int) -> None:
    """Four terminals started together on a new file: all create-or-find the schema and run."""
    db = tmp_path / "quiz.sqlite3"
    deck = write_deck(tmp_path / "gen.yaml", 30)
    with ExitStack() as stack:
        drivers = [
            stack.enter_context(
                running(
                    f"sqlite:///{db}",
                    f"learner{i % 2}",
                    round_ * 10 + i,
                    deck=deck,
                    max_answers=10,
                    wait=True,
                    stderr=tmp_path / f"e{i}",
                )
            )
            for i in range(4)
        ]
        for d in drivers:
            d.wait_for("WAITING")
        for d in drivers:  # imports done in all four: release them together
            d.go()
        for d in drivers:
            assert d.finish() == 0, d.stderr()
            assert d.lines[-1] == "DONE"
    checked = _check(db, drivers)
    print(f"\nconcurrency[same instant {round_}]: 4 sessions, {checked} answers, 0 lost")
