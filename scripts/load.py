"""Load test of the services layer: many learners answering cards at once on one database.

Each simulated learner is a thread with its own ``Quiz.open(url, learner=...)``, so its
own engine and connection, as each student's own `quiz` process has over SSH or in a
`quiz serve` tab. All of them open first, wait at a barrier, then start today's review
and answer their cards as fast as the database lets them. Every acknowledged answer
(the log id ``ReviewSession.answer`` returned) is recorded, and ``audit`` checks the
database afterwards without trusting the session code: each acknowledged answer is in
``review_log`` exactly once and nothing else is, and replaying each learner's log
through ``quiz.domain.sm2.review`` gives exactly the stored card states.

"Twins" are learners with two sessions at once (two tabs, or SSH and a browser): both
start the same queue, so they race for the very same cards.

    .venv/bin/python scripts/load.py                        # SQLite, 200 learners
    .venv/bin/python scripts/load.py --postgres URL         # and PostgreSQL (a new schema)
    .venv/bin/python scripts/load.py --learners 50 --answers 10
    .venv/bin/python scripts/load.py --think 2              # learners pause ~2 s per card

The learners are shared out between ``--processes`` client processes (threads in
each), so one Python process's GIL is not the bottleneck. Prints a Markdown table:
learners, answers, failed sessions, wall time, throughput (answers/s), and the p50,
p99 and slowest latency of one answer (its commit included). Loopback only,
bounded: every run gives up after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from quiz.domain import sm2
from quiz.domain.sm2 import CardState
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from quiz.store.queries import state_from_row
from quiz.store.scratch import postgres_schema
from quiz.store.tables import card_states, learners, review_log

QUALITIES = (1, 3, 4, 5)
"""The four buttons' SM-2 qualities: Again, Hard, Good, Easy."""


def write_deck(path: Path, notes: int = 50) -> Path:
    """A generated deck of basic and reversed notes (about 1.5 cards per note)."""
    lines = ["deck: {id: load, title: Load test}", "notes:"]
    for i in range(notes):
        kind = "reversed" if i % 2 else "basic"
        lines.append(f"  - {{id: n{i}, type: {kind}, front: 'Q{i}', back: 'A{i}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class Ack:
    """An answer ``ReviewSession.answer`` acknowledged (returned from) to a learner."""

    learner: str
    log_id: int
    card_id: int
    quality: int


@dataclass
class LoadResult:
    url: str
    learners: int
    sessions: int
    acks: list[Ack] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    """Seconds per answer, commit included."""
    errors: list[str] = field(default_factory=list)
    hung: int = 0
    """Sessions still running when the time ran out (a deadlock or a stall)."""
    seconds: float = 0.0
    """Wall time from the barrier to the last answer."""

    @property
    def throughput(self) -> float:
        return len(self.acks) / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        """The p-th percentile of the answer latency, in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def learner_names(learners: int) -> list[str]:
    return [f"s{i:03d}" for i in range(learners)]


def prepare(url: str, deck: Path) -> None:
    """Create the schema and import the deck once, before the learners arrive."""
    quiz = Quiz.open(url, learner="instructor", tz=UTC)
    try:
        import_files(quiz, [deck])
    finally:
        quiz.close()


def run_load(
    url: str,
    *,
    learners: int = 200,
    answers: int = 5,
    twins: int = 0,
    timeout: float = 60.0,
    seed: int = 1,
    processes: int = 1,
    think: float = 0.0,
) -> LoadResult:
    """``learners`` learners (the first ``twins`` with two sessions) answer ``answers`` each.

    With ``processes`` > 1 the learners are shared out between that many worker
    processes (threads in each), so that Python's GIL in one client process does not
    become the bottleneck; all of them start answering together. ``think`` > 0 makes each
    learner pause a random 0 to 2 x ``think`` seconds before each answer, as people do
    (the pause is not part of the latency). The database must
    already hold the deck (see ``prepare``).
    """
    names = learner_names(learners)
    sessions = [(name, 0) for name in names] + [(name, 1) for name in names[:twins]]
    if processes <= 1:
        part = _run_sessions(url, sessions, answers, timeout, seed, think, None)
        return _merge(url, learners, [part])
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    together = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_worker,
            args=(results, url, sessions[i::processes], answers, timeout, seed, think, together),
            daemon=True,
        )
        for i in range(processes)
    ]
    for w in workers:
        w.start()
    try:
        with suppress(threading.BrokenBarrierError):
            together.wait(timeout)
        parts = [results.get(timeout=timeout + 30) for _ in workers]
    finally:
        for w in workers:
            w.join(10)
            if w.is_alive():
                w.kill()
    return _merge(url, learners, parts)


def _worker(results: Any, *args: Any) -> None:
    results.put(_run_sessions(*args))


@dataclass
class _Part:
    """What one process's sessions did (sent back from a worker process)."""

    acks: list[Ack]
    latencies: list[float]
    errors: list[str]
    hung: int
    start: float
    end: float
    sessions: int


def _merge(url: str, learners: int, parts: list[_Part]) -> LoadResult:
    result = LoadResult(url, learners, sum(p.sessions for p in parts))
    for p in parts:
        result.acks += p.acks
        result.latencies += p.latencies
        result.errors += p.errors
        result.hung += p.hung
    result.seconds = max(p.end for p in parts) - min(p.start for p in parts)
    return result


def _run_sessions(
    url: str,
    sessions: list[tuple[str, int]],
    answers: int,
    timeout: float,
    seed: int,
    think: float,
    together: Any,
) -> _Part:
    """Run sessions on threads of this process; time.monotonic is system-wide on Linux."""
    part = _Part([], [], [], 0, 0.0, 0.0, len(sessions))
    lock = threading.Lock()
    opened = threading.Barrier(len(sessions) + 1)
    go = threading.Event()
    finished: list[float] = []

    def session(name: str, copy: int) -> None:
        rng = random.Random(f"{seed}:{name}:{copy}")
        quiz: Quiz | None = None
        try:
            quiz = Quiz.open(url, learner=name, tz=UTC)
            opened.wait(timeout)
            if not go.wait(timeout):
                return
            review = ReviewSession.start(quiz, ["load"])
            for _ in range(answers):
                if review.current() is None:
                    break
                quality = rng.choice(QUALITIES)
                if think:
                    time.sleep(rng.uniform(0, 2 * think))
                start = time.monotonic()
                done = review.answer(quality)
                took = time.monotonic() - start
                with lock:
                    part.acks.append(Ack(name, done.log_id, done.card_id, quality))
                    part.latencies.append(took)
        except threading.BrokenBarrierError:
            pass  # another session failed to open; its error is the one to report
        except Exception:
            opened.abort()
            with lock:
                part.errors.append(f"{name}/{copy}: {traceback.format_exc()}")
        finally:
            if quiz is not None:
                quiz.close()
            with lock:
                finished.append(time.monotonic())

    threads = [
        threading.Thread(target=session, args=s, name=f"load-{s[0]}-{s[1]}", daemon=True)
        for s in sessions
    ]
    deadline = time.monotonic() + timeout
    for t in threads:
        t.start()
    try:
        opened.wait(timeout)
        if together is not None:
            together.wait(timeout)
    except threading.BrokenBarrierError:
        if together is not None:
            together.abort()
    part.start = time.monotonic()
    go.set()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    part.hung = sum(1 for t in threads if t.is_alive())
    with lock:
        part.end = time.monotonic() if part.hung else max(finished, default=part.start)
    return part


def audit(url: str, result: LoadResult) -> list[str]:
    """What is wrong in the database after a run; empty when every answer landed once.

    Reads the tables directly and replays each learner's log through SM-2.
    """
    problems: list[str] = []
    names = {a.learner for a in result.acks} | set(learner_names(result.learners))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = dict(
                conn.execute(
                    select(learners.c.id, learners.c.name).where(learners.c.name.in_(names))
                ).all()
            )
            rows = conn.execute(
                select(review_log).where(review_log.c.learner_id.in_(ids)).order_by(review_log.c.id)
            ).all()
            states = conn.execute(
                select(card_states).where(card_states.c.learner_id.in_(ids))
            ).all()
    finally:
        engine.dispose()

    acked: dict[int, Ack] = {}
    for a in result.acks:
        if a.log_id in acked:
            problems.append(f"log id {a.log_id} acknowledged twice")
        acked[a.log_id] = a
    logged = {r.id: r for r in rows}
    for log_id in sorted(acked.keys() - logged.keys()):
        problems.append(f"lost: acknowledged answer {acked[log_id]} is not in review_log")
    for log_id in sorted(logged.keys() - acked.keys()):
        problems.append(f"unacknowledged answer in review_log: id {log_id}")
    for log_id in sorted(acked.keys() & logged.keys()):
        a, r = acked[log_id], logged[log_id]
        if (ids[r.learner_id], r.card_id, r.quality) != (a.learner, a.card_id, a.quality):
            problems.append(f"log id {log_id} holds {r} but {a} was acknowledged")

    # Replay: each learner's answers to each card, in commit (id) order, through SM-2.
    replayed: dict[tuple[int, int], CardState] = {}
    for r in rows:
        key = (r.learner_id, r.card_id)
        before = replayed.get(key, CardState())
        logged_before = CardState(
            **{n: getattr(r, f"{n}_before") for n in _LOGGED},
            last_review=r.last_review_before,
        )
        if _scheduling(before) != _scheduling(logged_before):
            problems.append(f"log id {r.id} was applied to a stale state: {logged_before}")
        replayed[key] = sm2.review(before, r.quality, r.study_day)
    stored = {(s.learner_id, s.card_id): state_from_row(s) for s in states}
    for key in sorted(replayed.keys() | stored.keys()):
        want, got = replayed.get(key), stored.get(key)
        if want is None or got is None or _scheduling(want) != _scheduling(got):
            problems.append(f"learner {ids.get(key[0])} card {key[1]}: stored {got}, log {want}")
    return problems


_LOGGED = ("ef", "interval", "repetitions", "lapses", "due", "redrill", "leech", "suspended")


def _scheduling(state: CardState) -> tuple[Any, ...]:
    return tuple(getattr(state, n) for n in (*_LOGGED, "last_review"))


def row(backend: str, result: LoadResult) -> str:
    return (
        f"| {backend} | {result.learners} | {len(result.acks)} | {len(result.errors)} "
        f"| {result.seconds:.1f} s | {result.throughput:.0f} "
        f"| {result.percentile(50) * 1000:.0f} ms | {result.percentile(99) * 1000:.0f} ms "
        f"| {max(result.latencies, default=0):.1f} s |"
    )


HEADER = (
    "| database | learners | answers | failed sessions | wall time | answers/s "
    "| p50 latency | p99 latency | slowest |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--answers", type=int, default=5, help="answers per learner")
    parser.add_argument("--twins", type=int, default=0, help="learners with two sessions")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a learner pauses per answer"
    )
    parser.add_argument(
        "--processes", type=int, default=4, help="client processes the learners are shared by"
    )
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    args = parser.parse_args()

    failed = False
    lines = [HEADER]
    with tempfile.TemporaryDirectory(prefix="quiz-load-") as tmp:
        deck = write_deck(Path(tmp) / "load.yaml")
        backends: list[tuple[str, Any]] = []
        if not args.no_sqlite:
            backends.append(("SQLite (WAL)", _sqlite(Path(tmp))))
        if args.postgres:
            backends.append(("PostgreSQL", postgres_schema(args.postgres, prefix="load")))
        for backend, where in backends:
            with where as url:
                prepare(url, deck)
                result = run_load(
                    url,
                    learners=args.learners,
                    answers=args.answers,
                    twins=args.twins,
                    timeout=args.timeout,
                    processes=args.processes,
                    think=args.think,
                )
                problems = audit(url, result)
            lines.append(row(backend, result))
            for message in [*result.errors[:5], *problems[:20]]:
                print(f"{backend}: {message}")
            if result.hung:
                print(f"{backend}: {result.hung} session(s) still running after the timeout")
            failed |= bool(result.errors or problems or result.hung)
    print("\n".join(lines))
    return 1 if failed else 0


@contextmanager
def _sqlite(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'load.sqlite3'}"


if __name__ == "__main__":
    raise SystemExit(main())
