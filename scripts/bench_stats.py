"""Benchmark: time `compute_stats` over a synthetic history of a million reviews.

Usage:
    python scripts/bench_stats.py [--reviews N] [--cards N] [--days N] [--runs N] [--seed N]
                                  [--db PATH]

Builds a SQLite collection in a temporary directory (or at --db, kept for later runs)
with bulk Core inserts: 10 decks, --cards cards (two per note, tags from a three-level
hierarchy, 80% of them studied) and --reviews review-log rows spread over the last
--days days (three years by default), reproducible from --seed. Then, in a fresh
process, times compute_stats for every deck, one deck and one tag (median of --runs
after one warm-up; wall clock and CPU time) and reports that process's peak RSS,
ending with a Markdown table row for the README.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, Python puts scripts/ on the path, not the repository.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, func, insert, select  # noqa: E402

from quiz.services import Quiz  # noqa: E402
from quiz.services.stats import compute_stats  # noqa: E402
from quiz.store.tables import (  # noqa: E402
    card_states,
    cards,
    decks,
    note_tags,
    notes,
    review_log,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)
DECKS = 10
CHUNK = 20_000
TOPICS = ("diagnosis", "treatment", "pathogenesis", "epidemiology", "prognosis")
SUBTOPICS = ("labs", "imaging", "drugs", "surgery", "pain", "risk")


def fixed_clock() -> datetime:
    return NOW


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk(quiz: Quiz, table: Table, rows: Iterator[dict[str, Any]]) -> None:
    for batch in chunks(rows):
        with quiz.store.write() as conn:
            conn.execute(insert(table), batch)


def build(url: str, n_cards: int, n_reviews: int, history_days: int, seed: int) -> None:
    """Fill a fresh collection with decks, notes, tags, cards, states and the review log."""
    rng = random.Random(seed)
    quiz = Quiz.open(url, learner="bench", clock=fixed_clock, tz=UTC)
    learner_id = quiz.learner_id
    n_notes = n_cards // 2
    per_deck = -(-n_notes // DECKS)
    bulk(
        quiz,
        decks,
        (
            {
                "id": d + 1,
                "key": f"deck{d}",
                "title": f"Deck {d}",
                "description": "",
                "version": "1",
                "sources": [],
                "tags": [],
                "imported_at": NOW,
            }
            for d in range(DECKS)
        ),
    )

    def note_rows() -> Iterator[dict[str, Any]]:
        for n in range(n_notes):
            yield {
                "id": n + 1,
                "deck_id": n // per_deck + 1,
                "key": f"n{n}",
                "type": "reversed",
                "position": n,
                "fields": {"front": f"Q{n}", "back": f"A{n}"},
                "tags": [],
                "facts": [],
                "content_hash": f"{n:064d}",
            }

    def tag_rows() -> Iterator[dict[str, Any]]:
        for n in range(n_notes):
            deck = f"deck{n // per_deck}"
            topic = rng.choice(TOPICS)
            yield {"note_id": n + 1, "tag": f"{deck}::{topic}::{rng.choice(SUBTOPICS)}"}
            if rng.random() < 0.3:
                yield {"note_id": n + 1, "tag": f"{deck}::{topic}"}

    bulk(quiz, notes, note_rows())
    bulk(quiz, note_tags, tag_rows())
    bulk(
        quiz,
        cards,
        (
            {"id": c + 1, "note_id": c // 2 + 1, "deck_id": c // 2 // per_deck + 1, "ord": c % 2}
            for c in range(n_cards)
        ),
    )

    studied = int(n_cards * 0.8)

    def state_rows() -> Iterator[dict[str, Any]]:
        for c in range(studied):
            interval = max(1, int(rng.expovariate(1 / 40)))
            last = TODAY - timedelta(days=rng.randint(0, min(interval, 400)))
            yield {
                "learner_id": learner_id,
                "card_id": c + 1,
                "ef": rng.randint(130, 300),
                "interval": interval,
                "repetitions": rng.randint(0, 10),
                "lapses": rng.choice((0, 0, 0, 1, 2, 5, 9)),
                "due": last + timedelta(days=interval),
                "last_review": last,
                "redrill": last == TODAY and rng.random() < 0.2,
                "leech": rng.random() < 0.01,
                "suspended": rng.random() < 0.02,
            }

    bulk(quiz, card_states, state_rows())

    days = sorted(rng.randint(0, history_days - 1) for _ in range(n_reviews))

    def review_rows() -> Iterator[dict[str, Any]]:
        seen: set[int] = set()
        for i, back in enumerate(reversed(days)):
            day = TODAY - timedelta(days=back)
            card = rng.randint(1, studied)
            first = card not in seen
            seen.add(card)
            quality = rng.choice((1, 2, 3, 4, 4, 4, 5, 5, 3, 4))
            interval = 0 if first else max(1, int(rng.expovariate(1 / 40)))
            ef = rng.randint(130, 300)
            yield {
                "id": i + 1,
                "learner_id": learner_id,
                "card_id": card,
                "reviewed_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                "study_day": day,
                "quality": quality,
                "scheduled": first or rng.random() < 0.92,
                "duration_ms": rng.randint(2_000, 20_000),
                "ef_before": ef,
                "ef_after": ef,
                "interval_before": interval,
                "interval_after": interval,
                "repetitions_before": 0,
                "repetitions_after": 1,
                "lapses_before": 0,
                "lapses_after": 0,
                "due_before": None if first else day,
                "due_after": day + timedelta(days=max(1, interval)),
                "last_review_before": None if first else day - timedelta(days=interval),
                "redrill_before": False,
                "redrill_after": quality < 4,
                "leech_before": False,
                "leech_after": False,
                "suspended_before": False,
                "suspended_after": False,
            }

    bulk(quiz, review_log, review_rows())
    with quiz.store.read() as conn:
        count = conn.execute(select(func.count()).select_from(review_log)).scalar_one()
    assert count == n_reviews
    quiz.close()


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB.

    Linux's VmHWM belongs to the process image, whereas ru_maxrss survives exec: a child
    started by a parent that has just built the database would report the
    parent's peak as its own.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, runs: int) -> dict[str, Any]:
    """Time compute_stats in this process; called in a child so RSS is the stats' alone."""
    quiz = Quiz.open(url, learner="bench", clock=fixed_clock, tz=UTC)
    rss_open = peak_rss_mib()
    out: dict[str, Any] = {}
    for name, deck, tag in (("all", None, None), ("deck", "deck3", None), ("tag", None, "deck3")):
        compute_stats(quiz, deck, tag)  # warm-up: page cache, SQLAlchemy's compiled cache
        wall, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            compute_stats(quiz, deck, tag)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        out[name] = {
            "median_ms": statistics.median(wall),
            "max_ms": max(wall),
            "cpu_median_ms": statistics.median(cpu),
        }
    out["rss_open_mib"] = rss_open
    out["peak_rss_mib"] = peak_rss_mib()
    quiz.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3 * 365, help="days of history")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="build here (reused if it exists)")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        url = f"sqlite:///{path}"
        if not path.exists():
            start = time.perf_counter()
            build(url, args.cards, args.reviews, args.days, args.seed)
            print(f"built {path} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", url, "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout)
    for name in ("all", "deck", "tag"):
        r = result[name]
        print(
            f"{name:>4}: median {r['median_ms']:.0f} ms (CPU {r['cpu_median_ms']:.0f} ms), "
            f"max {r['max_ms']:.0f} ms"
        )
    print(
        f"| {args.reviews:,} reviews over {args.days:,} days, {args.cards:,} cards (SQLite) "
        f"| all decks {result['all']['median_ms']:.0f} ms "
        f"| one deck {result['deck']['median_ms']:.0f} ms "
        f"| one tag {result['tag']['median_ms']:.0f} ms "
        f"| peak RSS {result['peak_rss_mib']:.0f} MiB "
        f"(after opening: {result['rss_open_mib']:.0f} MiB) |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
