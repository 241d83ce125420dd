"""Run driver processes and audit the database they leave behind, without trusting quiz's code.

The audit reads the SQLite file with the standard library's sqlite3 and
replays the review log through SM-2 itself, so it would notice an answer that
was lost, applied twice, or recorded against the wrong state.
"""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

from quiz.domain import sm2
from quiz.domain.sm2 import CardState

ROOT = Path(__file__).resolve().parents[2]
LINE_TIMEOUT = 60.0
"""Seconds to wait for one line from a driver before calling it hung (generous for slow CI)."""

LEECHES = sm2.LeechPolicy(tag_at=10_000, suspend_at=10_000)
"""The policy the driver runs with (see driver.LEECHES)."""


def write_deck(path: Path, notes: int = 200, key: str = "gen") -> Path:
    """A deck of basic, reversed and two-deletion cloze notes: about 1.7 cards per note."""
    lines = [f"deck: {{id: {key}, title: Generated}}", "notes:"]
    for i in range(notes):
        kind = i % 3
        if kind == 0:
            lines.append(f"  - {{id: b{i}, type: basic, front: 'Q{i}', back: 'A{i}'}}")
        elif kind == 1:
            lines.append(f"  - {{id: r{i}, type: reversed, front: 'F{i}', back: 'B{i}'}}")
        else:
            text = f"{{{{c1::X{i}}}}} and {{{{c2::Y{i}}}}}"
            lines.append(f"  - {{id: c{i}, type: cloze, text: '{text}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Driver:
    """One driver process, its output read line by line on a thread so reads can time out."""

    def __init__(
        self,
        url: str,
        learner: str,
        seed: int,
        *,
        deck: Path | None = None,
        max_answers: int = 0,
        undo: float = 0.05,
        wait: bool = False,
        stderr: Path,
    ) -> None:
        args = [sys.executable, "-m", "tests.reliability.driver", url, learner, str(seed)]
        if deck is not None:
            args += ["--deck", str(deck)]
        args += ["--max", str(max_answers), "--undo", str(undo)] + (["--wait"] if wait else [])
        self.stderr_path = stderr
        self._stderr: IO[bytes] = stderr.open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.eof = False

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def next_line(self, timeout: float = LINE_TIMEOUT) -> str | None:
        """The next line, or None at end of output; fails the test if the driver hangs."""
        if self.eof:
            return None
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"driver silent for {timeout}s; stderr: {self.stderr()}") from None
        if line is None:
            self.eof = True
            return None
        self.lines.append(line)
        return line

    def wait_for(self, prefix: str, count: int = 1) -> None:
        """Read until ``count`` lines starting with ``prefix`` have arrived (in total)."""
        while sum(1 for ln in self.lines if ln.startswith(prefix)) < count:
            if self.next_line() is None:
                raise AssertionError(f"driver ended before {count}x {prefix}: {self.stderr()}")

    def go(self) -> None:
        """Release a driver started with ``wait=True``."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL, then collect whatever the driver had already printed (it was acknowledged)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=LINE_TIMEOUT)
        self.drain()

    def finish(self) -> int:
        """Wait for a normal exit; returns the exit code."""
        self.drain()
        return self.proc.wait(timeout=LINE_TIMEOUT)

    def drain(self) -> None:
        while self.next_line() is not None:
            pass
        self._reader.join(timeout=LINE_TIMEOUT)
        self._stderr.close()

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-2000:]

    @property
    def acks(self) -> dict[int, tuple[int, int]]:
        """log id -> (card id, quality) of every acknowledged answer."""
        found = {}
        for line in self.lines:
            if line.startswith("ACK "):
                log_id, card_id, quality = map(int, line.split()[1:])
                found[log_id] = (card_id, quality)
        return found

    def ids(self, prefix: str) -> set[int]:
        return {int(ln.split()[1]) for ln in self.lines if ln.startswith(prefix + " ")}


@contextmanager
def running(*args: object, **kwargs: object) -> Iterator[Driver]:
    """A driver that is always killed when the block ends, however it ends."""
    driver = Driver(*args, **kwargs)  # type: ignore[arg-type]
    try:
        yield driver
    finally:
        if driver.proc.poll() is None:
            driver.proc.kill()
        driver.proc.wait(timeout=LINE_TIMEOUT)
        if not driver._stderr.closed:
            driver._stderr.close()


# --- the audit --------------------------------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def integrity(path: Path) -> None:
    with connect(path) as conn:
        assert [r[0] for r in conn.execute("PRAGMA integrity_check")] == ["ok"]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def log_rows(path: Path) -> dict[int, sqlite3.Row]:
    with connect(path) as conn:
        rows = {r["id"]: r for r in conn.execute("SELECT * FROM review_log ORDER BY id")}
    conn.close()
    return rows


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _before(row: sqlite3.Row) -> CardState:
    return CardState(
        ef=row["ef_before"],
        interval=row["interval_before"],
        repetitions=row["repetitions_before"],
        lapses=row["lapses_before"],
        due=_day(row["due_before"]),
        last_review=_day(row["last_review_before"]),
        redrill=bool(row["redrill_before"]),
        leech=bool(row["leech_before"]),
        suspended=bool(row["suspended_before"]),
    )


def _after(row: sqlite3.Row) -> CardState:
    return CardState(
        ef=row["ef_after"],
        interval=row["interval_after"],
        repetitions=row["repetitions_after"],
        lapses=row["lapses_after"],
        due=_day(row["due_after"]),
        last_review=_day(row["study_day"]),
        redrill=bool(row["redrill_after"]),
        leech=bool(row["leech_after"]),
        suspended=bool(row["suspended_after"]),
    )


def _state(row: sqlite3.Row) -> CardState:
    return CardState(
        ef=row["ef"],
        interval=row["interval"],
        repetitions=row["repetitions"],
        lapses=row["lapses"],
        due=_day(row["due"]),
        last_review=_day(row["last_review"]),
        redrill=bool(row["redrill"]),
        leech=bool(row["leech"]),
        suspended=bool(row["suspended"]),
    )


@dataclass
class Audit:
    rows: int = 0
    cards: int = 0
    scheduled: int = 0
    problems: list[str] = field(default_factory=list)


def audit(path: Path, policy: sm2.LeechPolicy = LEECHES) -> Audit:
    """Replay every learner's log card by card through SM-2 and compare with the stored states.

    For each (learner, card), starting from a new card, every row's "before"
    must be the replayed state, its "after" must be what SM-2 makes of that
    state and grade on that study day, and the card's stored state must be
    the last "after" (or absent, if every answer was undone). An answer lost,
    applied twice, or applied to a stale state breaks one of these equalities.
    """
    result = Audit()
    integrity(path)
    with connect(path) as conn:
        logs = conn.execute("SELECT * FROM review_log ORDER BY id").fetchall()
        states = {
            (r["learner_id"], r["card_id"]): r for r in conn.execute("SELECT * FROM card_states")
        }
    conn.close()
    replayed: dict[tuple[int, int], CardState] = {}
    for row in logs:
        key = (row["learner_id"], row["card_id"])
        state = replayed.get(key, CardState())
        result.rows += 1
        result.scheduled += bool(row["scheduled"])
        if _before(row) != state:
            result.problems.append(f"log {row['id']}: before {_before(row)} != replay {state}")
        after = sm2.review(state, row["quality"], _day(row["study_day"]), policy)  # type: ignore[arg-type]
        if _after(row) != after:
            result.problems.append(f"log {row['id']}: after {_after(row)} != replay {after}")
        if bool(row["scheduled"]) == sm2.is_repeat(state, _day(row["study_day"])):  # type: ignore[arg-type]
            result.problems.append(f"log {row['id']}: scheduled flag wrong")
        replayed[key] = after
    for key in set(replayed) | set(states):
        result.cards += 1
        expected = replayed.get(key, CardState())
        stored = _state(states[key]) if key in states else CardState()
        if stored != expected:
            result.problems.append(f"learner/card {key}: stored {stored} != replayed {expected}")
    return result
