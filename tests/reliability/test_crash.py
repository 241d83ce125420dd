"""Crash safety: a real review session is SIGKILLed at random points, again and again.

After every kill the database must be intact, every answer the session
acknowledged (printed after its commit) must be in the review log with the
same card and grade, at most one unacknowledged answer may have slipped in
(committed, killed before printing), a deck import must be all or nothing,
and the stored card states must be exactly what replaying the log gives.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from quiz.decks import load_deck
from tests.conftest import TINY
from tests.reliability.harness import audit, integrity, log_rows, running, write_deck

ROUNDS = 10
"""Kills per database; three databases, so 30 kills in all."""


def _has_schema(path: Path) -> bool:
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'cards'").fetchall())
    finally:
        conn.close()


def _cards(path: Path) -> int:
    if not _has_schema(path):
        return 0
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM cards").fetchone()[0])
    finally:
        conn.close()


def _trigger(rng: random.Random, round_: int, imported: bool) -> tuple[str, int]:
    """Where to kill: (line prefix, how many of them to wait for)."""
    if round_ == 0:
        return "OPENING", 1  # the file is being created and migrated
    if round_ == 1 and not imported:
        return "IMPORTING", 1  # the deck is being imported
    if not imported:
        return "ACK", 1  # let an import finish this time
    kind = rng.choice(["ACK", "ACK", "ACK", "ACK", "READY", "UNDOING", "DAY"])
    return kind, rng.randint(1, 40) if kind == "ACK" else 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_random_points_loses_no_acknowledged_answer(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = tmp_path / "quiz.sqlite3"
    url = f"sqlite:///{db}"
    deck = TINY if seed == 1 else write_deck(tmp_path / "gen.yaml", 120)
    deck_cards = load_deck(deck).deck.card_count()
    acknowledged: dict[int, tuple[int, int]] = {}
    kills = 0
    for round_ in range(ROUNDS):
        before = set(log_rows(db)) if _has_schema(db) else set()
        prefix, count = _trigger(rng, round_, imported=_cards(db) > 0)
        with running(
            url, "ann", seed * 100 + round_, deck=deck, undo=0.05, stderr=tmp_path / "err"
        ) as driver:
            driver.wait_for(prefix, count)
            driver.kill()
        kills += 1
        assert driver.proc.returncode == -9, driver.stderr()

        # The schema and the deck are there completely or not at all.
        assert _cards(db) in {0, deck_cards}
        if "READY" not in driver.lines:
            if db.exists():
                integrity(db)
            continue

        rows = log_rows(db)
        # Replay the session's own account in order: log ids are reused after an undo
        # (SQLite hands out max(id)+1), so an id can be acknowledged, undone, then reused.
        answered: set[int] = set()
        in_doubt: set[int] = set()
        for line in driver.lines:
            word, *args = line.split()
            if word == "ACK":
                log_id, card_id, quality = map(int, args)
                acknowledged[log_id] = (card_id, quality)
                answered.add(log_id)
            elif word == "UNDOING":
                in_doubt.add(int(args[0]))
            elif word == "UNDO":
                in_doubt.discard(int(args[0]))
                del acknowledged[int(args[0])]
        for log_id in in_doubt:  # killed mid-undo: either outcome is right, the log says which
            row = rows.get(log_id)
            if row is None or (row["card_id"], row["quality"]) != acknowledged[log_id]:
                del acknowledged[log_id]
        for log_id, (card_id, quality) in acknowledged.items():
            assert log_id in rows, f"acknowledged answer {log_id} lost after kill {kills}"
            assert (rows[log_id]["card_id"], rows[log_id]["quality"]) == (card_id, quality)
        assert before <= set(rows)  # an undo only takes back the session's own answers
        unacknowledged = set(rows) - before - answered
        assert len(unacknowledged) <= 1, unacknowledged  # committed, then killed before printing

        result = audit(db)
        assert result.problems == []

    # After all that, a session runs normally to the end.
    with running(url, "ann", seed, deck=deck, max_answers=20, stderr=tmp_path / "err") as driver:
        assert driver.finish() == 0, driver.stderr()
    assert "DONE" in driver.lines
    acknowledged.update(driver.acks)
    for log_id in driver.ids("UNDO"):
        del acknowledged[log_id]
    result = audit(db)
    assert result.problems == []
    assert set(acknowledged) <= set(log_rows(db))  # nothing lost after the kills either
    print(
        f"\ncrash[{seed}]: {kills} kills, {len(acknowledged)} acknowledged answers, "
        f"{result.rows} log rows replayed over {result.cards} cards, 0 lost"
    )
