"""Benchmarks quiz against Anki's Rust backend on the same synthetic data, in one run.

Builds a synthetic collection (default: 100k cards over 50k notes of every type and 1M
review-log rows over two years, reproducible from ``--seed``) both as a quiz store and as
an Anki collection, then measures each figure over several runs and reports the median
and the spread (min-max) as a Markdown table and, with ``--json``, as JSON:

    .venv/bin/python scripts/bench.py                   # the full table (a few minutes)
    .venv/bin/python scripts/bench.py --scaling         # plus the 1k..1M sweep
    .venv/bin/python scripts/bench.py --quick           # tiny sizes, seconds (smoke test)

Start-up and memory are measured in fresh subprocesses, timed from process start to the
first screen painted by a headless Textual app. The ``anki`` package (a test dependency)
is only needed for the Anki column; without it, or with ``--no-anki``, that column is blank.
See docs/benchmarks.md for what each row measures and the latest results.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_data
from bench_data import LEARNER, Size, human

STATS_AIM_MS = 300.0
MEMORY_AIM_MB = 150.0
START_AIM_RATIO = 1.5
REIMPORT_AIM_RATIO = 0.25
"""'Well under the first import': at most a quarter of it."""

ANSWER_MIX = ((4, 80), (3, 10), (1, 10))
"""Grades given in the answer benchmark: quality and weight (Good, Hard, Again)."""

SCALING_SIZES = (1_000, 10_000, 100_000, 1_000_000)
SCALING_REVIEWS_PER_CARD = 10
SCALING_IMPORT_NOTES = (1_000, 10_000, 50_000)
"""Notes imported in the import sweep; above 10k they come as several 10k-note files."""


# --- figures -------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """Samples of one measurement: durations in ms, or memory in MB."""

    samples: list[float]
    unit: str = "ms"
    latency: bool = False
    """Samples are single operations, summarised as p50 and p99 (spread: per-run p50)."""

    run_p50s: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)

    def spread(self) -> tuple[float, float]:
        values = self.run_p50s if self.latency and self.run_p50s else self.samples
        return min(values), max(values)

    def text(self) -> str:
        lo, hi = self.spread()
        if self.latency:
            return (
                f"p50 {fmt(self.median, self.unit)}, p99 {fmt(self.p99, self.unit)} "
                f"(run p50s {fmt(lo, self.unit)}–{fmt(hi, self.unit)}; n={len(self.samples)})"
            )
        if len(self.samples) == 1:
            return fmt(self.median, self.unit)
        return f"{fmt(self.median, self.unit)} ({fmt(lo, self.unit)}–{fmt(hi, self.unit)})"

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.spread()
        out: dict[str, Any] = {
            "unit": self.unit,
            "median": round(self.median, 3),
            "min": round(lo, 3),
            "max": round(hi, 3),
            "n": len(self.samples),
        }
        if self.latency:
            out["p50"] = round(self.median, 3)
            out["p99"] = round(self.p99, 3)
            out["run_p50s"] = [round(v, 3) for v in self.run_p50s]
        else:
            out["samples"] = [round(v, 3) for v in self.samples]
        return {**out, **self.extra}


def fmt(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:.0f} MB"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


@dataclass
class Row:
    key: str
    what: str
    quiz: Figure | None
    anki: Figure | None
    aim: str
    met: bool | None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "what": self.what,
            "quiz": self.quiz.as_dict() if self.quiz else None,
            "anki": self.anki.as_dict() if self.anki else None,
            "aim": self.aim,
            "met": self.met,
            "note": self.note,
        }


def _keep(into: list[Any], fn: Callable[..., Any], *args: Any) -> None:
    """Call ``fn`` and keep its result (to time a call whose result is used afterwards)."""
    into.append(fn(*args))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


# --- set-up ----------------------------------------------------------------------------------


@dataclass
class Config:
    size: Size
    import_notes: int
    seed: int
    runs: int
    answers: int
    anki: bool
    scaling: bool
    scaling_max: int
    warmup: bool
    workdir: Path


@dataclass
class Dataset:
    """A built quiz store, and the same collection in Anki when Anki is measured."""

    size: Size
    quiz_db: Path
    built: bench_data.Built
    anki_db: Path | None = None
    anki_parent: int = 0
    anki_built: bench_data.AnkiBuilt | None = None
    build_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.quiz_db}"


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def build_dataset(cfg: Config, size: Size, *, anki: bool) -> Dataset:
    directory = cfg.workdir / f"c{size.cards}-n{size.notes}-r{size.reviews}-s{cfg.seed}"
    directory.mkdir(parents=True, exist_ok=True)
    quiz_db = directory / "quiz.sqlite3"
    seconds: dict[str, float] = {}
    log(f"building the quiz store: {size.label}")
    start = time.perf_counter()
    for stale in directory.glob("quiz.sqlite3*"):
        stale.unlink()
    built = bench_data.build_quiz_store(quiz_db, size, cfg.seed)
    seconds["quiz_store"] = time.perf_counter() - start
    data = Dataset(size, quiz_db, built, build_seconds=seconds)
    if anki:
        log("building the same collection in Anki")
        start = time.perf_counter()
        csv_path = directory / "all-notes.csv"
        bench_data.write_anki_csv_from_store(data.url, csv_path)
        anki_db = directory / "anki" / "collection.anki2"
        if anki_db.parent.exists():
            shutil.rmtree(anki_db.parent)
        anki_db.parent.mkdir()
        result = bench_data.build_anki_collection(anki_db, quiz_db, csv_path, built.today)
        seconds["anki_collection"] = time.perf_counter() - start
        data.anki_db, data.anki_parent, data.anki_built = anki_db, result.parent_deck_id, result
    log(
        f"built in {', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())}: "
        f"{built.reviews} reviews, {built.studied} cards studied"
    )
    return data


def copy_sqlite(source: Path, target: Path) -> Path:
    """A copy of a closed SQLite database (and its WAL, if one was left)."""
    for old in target.parent.glob(target.name + "*"):
        if old.is_file():
            old.unlink()
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        side = source.with_name(source.name + suffix)
        if side.exists():
            shutil.copyfile(side, target.with_name(target.name + suffix))
    return target


@contextmanager
def open_quiz(url: str) -> Iterator[Any]:
    from quiz.services.context import Quiz

    quiz = Quiz.open(url, learner=LEARNER)
    try:
        yield quiz
    finally:
        quiz.close()


@contextmanager
def open_anki(path: Path) -> Iterator[Any]:
    from anki.collection import Collection

    col = Collection(str(path))
    try:
        yield col
    finally:
        col.close(downgrade=False)


# --- import ------------------------------------------------------------------------------


def bench_import(cfg: Config, notes: int, files: int = 1) -> dict[str, Figure]:
    """First import into an empty store, re-import unchanged, re-import with one note
    edited; quiz (YAML files) and Anki (the same notes as CSV), run by run in turn.

    Keys: quiz_first, quiz_again, quiz_edit and, when Anki is measured, anki_first,
    anki_again, anki_edit.
    """
    from quiz.export.anki_csv import write_anki_csv
    from quiz.services.decks import import_files, load_all

    directory = cfg.workdir / f"import-{notes}-{files}"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    paths, texts, edited = [], [], []
    for i in range(files):
        sub = directory / f"part{i}"
        sub.mkdir()
        key = f"bench-import-{i}"
        deck = bench_data.import_deck_yaml(sub, cfg.seed + i, notes // files, key=key)
        changed = bench_data.import_deck_yaml(
            sub, cfg.seed + i, notes // files, key=key, edited=True
        )
        paths.append(deck)
        texts.append(deck.read_text(encoding="utf-8"))
        edited.append(changed.read_text(encoding="utf-8"))
        changed.unlink()
    csv_path, edit_csv = directory / "import.csv", directory / "import-edited.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        write_anki_csv([item.deck for item in load_all(paths)], fh)
    for path, text in zip(paths, edited, strict=True):
        path.write_text(text, encoding="utf-8")
    with edit_csv.open("w", encoding="utf-8", newline="") as fh:
        write_anki_csv([item.deck for item in load_all(paths)], fh)
    out: dict[str, list[float]] = {k: [] for k in ("quiz_first", "quiz_again", "quiz_edit")}
    if cfg.anki:
        out.update({k: [] for k in ("anki_first", "anki_again", "anki_edit")})
    for run in range(cfg.runs):
        for path, text in zip(paths, texts, strict=True):
            path.write_text(text, encoding="utf-8")
        url = f"sqlite:///{directory / f'run{run}.sqlite3'}"
        with open_quiz(url) as quiz:  # the empty store is created (migrated) before timing
            out["quiz_first"].append(timed(partial(import_files, quiz, list(paths))))
            out["quiz_again"].append(timed(partial(import_files, quiz, list(paths))))
            for path, text in zip(paths, edited, strict=True):
                path.write_text(text, encoding="utf-8")
            out["quiz_edit"].append(timed(partial(import_files, quiz, list(paths))))
        for old in directory.glob(f"run{run}.sqlite3*"):
            old.unlink()
        if cfg.anki:
            col_dir = directory / f"anki{run}"
            col_dir.mkdir()
            with open_anki(col_dir / "collection.anki2") as col:
                for key, source in (("first", csv_path), ("again", csv_path), ("edit", edit_csv)):
                    out[f"anki_{key}"].append(
                        timed(partial(bench_data.anki_import_csv, col, source))
                    )
            shutil.rmtree(col_dir)
    return {key: Figure(values) for key, values in out.items()}


# --- answering ---------------------------------------------------------------------------


def grade_sequence(seed: int, n: int) -> list[int]:
    rng = random.Random(seed * 101 + 3)
    return rng.choices([q for q, _ in ANSWER_MIX], [w for _, w in ANSWER_MIX], k=n)


class _QuizAnswers:
    """quiz's side of the answer benchmark: a review session through the services layer."""

    def __init__(self, url: str) -> None:
        from quiz.services.context import Quiz
        from quiz.services.review import ReviewSession

        self.quiz = Quiz.open(url, learner=LEARNER)
        self.session = ReviewSession.start(self.quiz)
        self.session.current()

    def ready(self) -> bool:
        return self.session.current_id() is not None

    def answer(self, quality: int) -> None:
        self.session.answer(quality, 5000)
        self.session.current()

    def close(self) -> None:
        self.quiz.close()


_RATINGS = {1: "AGAIN", 3: "HARD", 4: "GOOD", 5: "EASY"}


class _AnkiAnswers:
    """Anki's side: answer_card, then get_queued_cards for the next card."""

    def __init__(self, path: Path, deck_id: int) -> None:
        from anki.collection import Collection
        from anki.scheduler_pb2 import CardAnswer

        self.answer_type = CardAnswer
        col: Any = Collection(str(path))  # the anki stubs type ids and schedulers loosely
        col.decks.set_current(deck_id)
        self.col = col
        self.queued = col.sched.get_queued_cards()

    def ready(self) -> bool:
        return bool(self.queued.cards)

    def answer(self, quality: int) -> None:
        card = self.queued.cards[0]
        states = card.states
        name = _RATINGS[quality]
        self.col.sched.answer_card(
            self.answer_type(
                card_id=card.card.id,
                current_state=states.current,
                new_state=getattr(states, name.lower()),
                rating=getattr(self.answer_type, name),
                answered_at_millis=int(time.time() * 1000),
                milliseconds_taken=5000,
            )
        )
        self.queued = self.col.sched.get_queued_cards()

    def close(self) -> None:
        self.col.close(downgrade=False)


def bench_answer(cfg: Config, data: Dataset) -> tuple[Figure, Figure | None]:
    """Grade, commit and have the next card ready; quiz and Anki take turns, answer by
    answer, on fresh copies of the collection, so that both meet the same machine load."""
    anki = cfg.anki and data.anki_db is not None
    quiz_copy = data.quiz_db.with_name("answer.sqlite3")
    anki_copy = data.quiz_db.parent / "anki-answer" / "collection.anki2"
    samples: dict[str, list[float]] = {"quiz": [], "anki": []}
    p50s: dict[str, list[float]] = {"quiz": [], "anki": []}
    for run in range(cfg.runs):
        sides: dict[str, Any] = {"quiz": _QuizAnswers(copy_sqlite_url(data.quiz_db, quiz_copy))}
        if anki:
            assert data.anki_db is not None
            anki_copy.parent.mkdir(exist_ok=True)
            sides["anki"] = _AnkiAnswers(copy_sqlite(data.anki_db, anki_copy), data.anki_parent)
        runs: dict[str, list[float]] = {name: [] for name in sides}
        try:
            for quality in grade_sequence(cfg.seed + run, cfg.answers):
                for name, side in sides.items():
                    if side.ready():
                        runs[name].append(timed(partial(side.answer, quality)))
        finally:
            for side in sides.values():
                side.close()
        for name, values in runs.items():
            if values:
                samples[name] += values
                p50s[name].append(statistics.median(values))
    quiz_fig = Figure(samples["quiz"], latency=True, run_p50s=p50s["quiz"])
    anki_fig = Figure(samples["anki"], latency=True, run_p50s=p50s["anki"]) if anki else None
    return quiz_fig, anki_fig


def copy_sqlite_url(source: Path, target: Path) -> str:
    return f"sqlite:///{copy_sqlite(source, target)}"


# --- today's queue and counts ------------------------------------------------------------


def bench_counts(cfg: Config, data: Dataset) -> dict[str, Figure]:
    """Each run opens the collection afresh and times the first call, as a learner would;
    quiz and Anki alternate run by run."""
    from quiz.services.overview import deck_overview
    from quiz.services.review import ReviewSession

    anki = cfg.anki and data.anki_db is not None
    out: dict[str, list[float]] = {"quiz_counts": [], "quiz_queue": []}
    if anki:
        out["anki_counts"], out["anki_queue"] = [], []
    counts: dict[str, Any] = {}
    for _ in range(cfg.runs):
        with open_quiz(data.url) as quiz:
            holder: list[Any] = []
            out["quiz_counts"].append(timed(partial(_keep, holder, deck_overview, quiz)))
            counts["quiz"] = {
                "new": sum(r.new for r in holder[0]),
                "due": sum(r.due for r in holder[0]),
                "decks": len(holder[0]),
            }
        if anki:
            assert data.anki_db is not None
            with open_anki(data.anki_db) as col:
                tree: list[Any] = []
                out["anki_counts"].append(
                    timed(partial(_keep, tree, col.sched.deck_due_tree))
                )
                parent = next(n for n in tree[0].children if n.deck_id == data.anki_parent)
                counts["anki"] = {
                    "new": parent.new_count,
                    "due": parent.review_count,
                    "learning": parent.learn_count,
                    "decks": len(parent.children),
                }
        with open_quiz(data.url) as quiz:
            out["quiz_queue"].append(timed(partial(ReviewSession.start, quiz)))
        if anki:
            assert data.anki_db is not None
            with open_anki(data.anki_db) as col:
                # Changing the current deck drops Anki's cached queues; then time a rebuild.
                col.decks.set_current(1)
                col.decks.set_current(data.anki_parent)
                out["anki_queue"].append(timed(col.sched.get_queued_cards))
    figures = {k: Figure(v) for k, v in out.items()}
    for key, figure in figures.items():
        figure.extra["counts"] = counts.get(key.split("_")[0], {})
    return figures


# --- export --------------------------------------------------------------------------------


def bench_export(cfg: Config, data: Dataset) -> tuple[Figure, Figure | None]:
    from quiz.cli import cli

    with open_quiz(data.url) as quiz, quiz.store.read() as conn:
        from sqlalchemy import select

        from quiz.store.tables import decks

        keys = [k for (k,) in conn.execute(select(decks.c.key)) if k.startswith("bench-")]
    out = data.quiz_db.with_name("export-quiz.csv")
    args = ["--db", data.url, "--learner", LEARNER, "--data-dir", str(cfg.workdir),
            "export", "anki", *keys, "-o", str(out)]
    anki = cfg.anki and data.anki_db is not None
    anki_out = data.quiz_db.with_name("export-anki.csv")
    quiz_samples: list[float] = []
    anki_samples: list[float] = []
    for _ in range(cfg.runs):
        # The `quiz export anki` command, run in this process (start-up is measured apart).
        with contextlib.redirect_stderr(io.StringIO()):
            quiz_samples.append(
                timed(partial(cli.main, args=args, prog_name="quiz", standalone_mode=False))
            )
        if anki:
            assert data.anki_db is not None
            with open_anki(data.anki_db) as col:
                anki_samples.append(
                    timed(
                        partial(
                            col.export_note_csv,
                            out_path=str(anki_out),
                            limit=None,
                            with_html=True,
                            with_tags=True,
                            with_deck=True,
                            with_notetype=True,
                            with_guid=True,
                        )
                    )
                )
    quiz_fig = Figure(quiz_samples, extra={"notes": data.size.notes, "bytes": out.stat().st_size})
    if not anki:
        return quiz_fig, None
    return quiz_fig, Figure(anki_samples, extra={"bytes": anki_out.stat().st_size})


# --- statistics ------------------------------------------------------------------------------


def bench_stats(cfg: Config, data: Dataset) -> tuple[Figure | None, Figure | None, str]:
    """compute_stats in process (fresh open per run), and the `quiz stats` command if any."""
    try:
        from quiz.services.stats import compute_stats
    except ImportError as exc:
        return None, None, f"quiz.services.stats is not available: {exc}"
    samples = []
    for _ in range(cfg.runs):
        with open_quiz(data.url) as quiz:
            samples.append(timed(partial(compute_stats, quiz)))
    command = None
    import importlib.util

    if importlib.util.find_spec("quiz.commands.stats") is not None:
        wall = []
        for _ in range(cfg.runs):
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", "from quiz.cli import main; main()", "--db", data.url,
                 "--learner", LEARNER, "--data-dir", str(cfg.workdir), "stats"],
                capture_output=True,
                check=False,
            )
            wall.append((time.perf_counter() - start) * 1000)
            if done.returncode != 0:
                return Figure(samples), None, f"`quiz stats` failed: {done.stderr.decode()[-300:]}"
        command = Figure(wall)
    return Figure(samples), command, ""


# --- start-up and memory (subprocesses) -------------------------------------------------

_CHILD = r'''
import asyncio, resource, sys
mode, url, config, answers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def rss_mb():
    # VmHWM (peak RSS) belongs to this program's memory map, which exec started afresh;
    # ru_maxrss would carry over the parent's peak on Linux.
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def until(pilot, ready, marker=""):
    """Wait for a state, let the screen handle what it queued, then paint until marker shows."""
    while True:
        while not ready():
            await asyncio.sleep(0.001)
        await pilot._wait_for_screen()
        strips = pilot.app.screen._compositor.render_strips()
        if marker in "\n".join(strip.text for strip in strips):
            return
        await asyncio.sleep(0.001)

async def bare():
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("one line")

    app = Bare()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: bool(app.screen.query(Static)), "one line")
        print("READY", rss_mb(), flush=True)

async def quiz():
    from quiz.cli import Options
    with Options(url, config, None, "bench").open() as opened:
        from quiz.tui.app import make_app
        app = make_app(opened, None, start_review=mode != "home")
        async with app.run_test(size=(100, 30)) as pilot:
            if mode == "home":
                from quiz.tui.screens.home import HomeScreen
                def home():
                    return isinstance(app.screen, HomeScreen) and app.screen.loaded
                await until(pilot, home, "All decks")
                print("READY", rss_mb(), flush=True)
                return
            from quiz.tui.screens.review import ReviewScreen
            def front():
                s = app.screen
                return not isinstance(s, ReviewScreen) or (s.phase == "front" and not s.busy)
            await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and front(), " · ")
            print("READY", rss_mb(), flush=True)
            done = 0
            while mode == "memory" and done < answers and isinstance(app.screen, ReviewScreen):
                # The actions the space and grade keys are bound to (pilot.press would add
                # ~0.1 s of test-driver waiting per key).
                app.screen.action_flip()
                app.screen.action_grade("3" if done % 5 else "1")
                await until(pilot, front)
                done += 1
            if mode == "memory":
                print("RSS", rss_mb(), done, flush=True)

async def anki():
    import time
    from anki.collection import Collection
    from anki.scheduler_pb2 import CardAnswer
    col = Collection(url)
    col.decks.set_current(int(config))
    queued = col.sched.get_queued_cards()
    print("READY", rss_mb(), flush=True)
    done = 0
    while done < answers and queued.cards:
        card = queued.cards[0]
        s = card.states
        col.sched.answer_card(CardAnswer(card_id=card.card.id, current_state=s.current,
            new_state=s.good if done % 5 else s.again,
            rating=CardAnswer.GOOD if done % 5 else CardAnswer.AGAIN,
            answered_at_millis=int(time.time() * 1000), milliseconds_taken=5000))
        queued = col.sched.get_queued_cards()
        done += 1
    print("RSS", rss_mb(), done, flush=True)
    col.close(downgrade=False)

asyncio.run({"bare": bare, "anki": anki}.get(mode, quiz)())
'''


@dataclass
class ChildResult:
    ready_ms: float
    ready_rss_mb: float
    final_rss_mb: float | None = None
    answered: int = 0


def run_child(mode: str, target: str, config: str, answers: int = 0) -> ChildResult:
    """Run the child, timing from just before the process starts to its READY line."""
    # Byte code as an installed quiz has it: cached after the warm-up run (in a temporary
    # folder, not the source tree) even where PYTHONDONTWRITEBYTECODE is set.
    pycache = Path(tempfile.gettempdir()) / "quiz-bench-pycache"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, mode, target, config, str(answers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    ready_ms = rss = None
    final = None
    answered = 0
    for line in proc.stdout:
        parts = line.split()
        if parts and parts[0] == "READY" and ready_ms is None:
            ready_ms = (time.perf_counter() - start) * 1000
            rss = float(parts[1])
        elif parts and parts[0] == "RSS":
            final, answered = float(parts[1]), int(parts[2])
    _, err = proc.communicate()
    if proc.returncode != 0 or ready_ms is None or rss is None:
        raise RuntimeError(f"benchmark child {mode!r} failed ({proc.returncode}): {err[-2000:]}")
    return ChildResult(ready_ms, rss, final, answered)


def bench_startup(cfg: Config, data: Dataset, modes: Sequence[str]) -> dict[str, Figure]:
    config = str(cfg.workdir)  # a data dir without a config.toml: the defaults
    if cfg.warmup:
        for mode in modes:
            run_child(mode, data.url, config)  # byte-code and page caches, not counted
    results: dict[str, list[ChildResult]] = {mode: [] for mode in modes}
    for _ in range(cfg.runs):
        for mode in modes:  # the modes take turns, so that they meet the same machine load
            results[mode].append(run_child(mode, data.url, config))
    return {
        mode: Figure(
            [r.ready_ms for r in done],
            extra={"rss_mb_at_ready": round(statistics.median(r.ready_rss_mb for r in done), 1)},
        )
        for mode, done in results.items()
    }


def bench_memory(cfg: Config, data: Dataset) -> tuple[Figure, Figure | None]:
    """Peak RSS of a headless review session answering ``cfg.answers`` cards."""
    config = str(cfg.workdir)  # a data dir without a config.toml: the defaults
    scratch = copy_sqlite(data.quiz_db, data.quiz_db.with_name("memory.sqlite3"))
    peaks, answered = [], []
    for _ in range(max(1, min(cfg.runs, 3))):
        copy_sqlite(data.quiz_db, scratch)
        result = run_child("memory", f"sqlite:///{scratch}", config, cfg.answers)
        assert result.final_rss_mb is not None
        peaks.append(result.final_rss_mb)
        answered.append(result.answered)
    quiz_fig = Figure(peaks, unit="MB", extra={"answers": answered})
    if not (cfg.anki and data.anki_db is not None):
        return quiz_fig, None
    scratch_dir = data.anki_db.parent.with_name("anki-memory")
    scratch_dir.mkdir(exist_ok=True)
    anki_peaks, anki_answered = [], []
    for _ in range(max(1, min(cfg.runs, 3))):
        path = copy_sqlite(data.anki_db, scratch_dir / "collection.anki2")
        result = run_child("anki", str(path), str(data.anki_parent), cfg.answers)
        assert result.final_rss_mb is not None
        anki_peaks.append(result.final_rss_mb)
        anki_answered.append(result.answered)
    return quiz_fig, Figure(anki_peaks, unit="MB", extra={"answers": anki_answered})


# --- the report ------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions: dict[str, str] = {}
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("quiz", "textual", "sqlalchemy", "anki"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "**no**")


def markdown(result: dict[str, Any], rows: list[Row]) -> str:
    m = result["machine"]
    size = result["config"]
    lines = [
        f"Data: {size['label']} (seed {size['seed']}), {size['runs']} runs per figure; "
        "median (min–max), latencies as p50/p99 over every answer.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}; quiz {m['packages']['quiz']}, "
        f"Anki {m['packages']['anki']}, Textual {m['packages']['textual']}, "
        f"SQLAlchemy {m['packages']['sqlalchemy']}; {m['date']}; load average "
        f"{m['load_average_at_start'][0]} at the start, {m['load_average'][0]} at the end.",
        "",
        "| what | quiz | Anki (same data, same run) | aim | met |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        quiz = row.quiz.text() if row.quiz else "—"
        anki = row.anki.text() if row.anki else "—"
        lines.append(f"| {row.what} | {quiz} | {anki} | {row.aim} | {verdict(row.met)} |")
    notes = [f"- {row.what}: {row.note}" for row in rows if row.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def scaling_markdown(points: list[dict[str, Any]], imports: list[dict[str, Any]]) -> str:
    lines = [
        "| collection | quiz answer p50 / p99 | Anki answer p50 / p99 | quiz start-up "
        "(home) | quiz counts |",
        "|---|---|---|---|---|",
    ]
    for p in points:
        anki = (
            f"{fmt(p['anki_answer']['p50'], 'ms')} / {fmt(p['anki_answer']['p99'], 'ms')}"
            if p.get("anki_answer")
            else "—"
        )
        lines.append(
            f"| {p['label']} | {fmt(p['quiz_answer']['p50'], 'ms')} / "
            f"{fmt(p['quiz_answer']['p99'], 'ms')} | {anki} | "
            f"{fmt(p['quiz_start']['median'], 'ms')} | {fmt(p['quiz_counts']['median'], 'ms')} |"
        )
    if imports:
        lines += [
            "",
            "| notes imported | quiz first import | per 1k notes | quiz re-import unchanged "
            "| quiz re-import, one note edited | Anki first import | Anki per 1k notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for i in imports:
            per_k = i["quiz_first"]["median"] / i["notes"] * 1000
            anki = anki_k = "—"
            if i.get("anki_first"):
                anki = fmt(i["anki_first"]["median"], "ms")
                anki_k = fmt(i["anki_first"]["median"] / i["notes"] * 1000, "ms")
            lines.append(
                f"| {human(i['notes'])} ({i['files']} file(s)) | "
                f"{fmt(i['quiz_first']['median'], 'ms')} | {fmt(per_k, 'ms')} | "
                f"{fmt(i['quiz_again']['median'], 'ms')} | {fmt(i['quiz_edit']['median'], 'ms')} "
                f"| {anki} | {anki_k} |"
            )
    return "\n".join(lines) + "\n"


# --- the run ---------------------------------------------------------------------------------


def main_rows(cfg: Config) -> tuple[list[Row], Dataset, dict[str, Any]]:
    rows: list[Row] = []
    extra: dict[str, Any] = {}
    n = human(cfg.import_notes)

    log(f"import: a {n}-note deck, {cfg.runs} runs")
    imp = bench_import(cfg, cfg.import_notes)
    first, again, edit = imp["quiz_first"], imp["quiz_again"], imp["quiz_edit"]
    anki_first = imp.get("anki_first")
    rows.append(Row(
        "import", f"import a {n}-note deck into an empty store", first, anki_first,
        "quiz ≤ Anki",
        first.median <= anki_first.median if anki_first else None,
        "quiz: YAML file parsed, validated and written (`import_files`); Anki: the same notes "
        "as quiz's Anki CSV export, through `import_csv`. Store creation is not timed.",
    ))
    rows.append(Row(
        "reimport", "re-import the same deck unchanged", again, imp.get("anki_again"),
        f"well under the first import (≤ {REIMPORT_AIM_RATIO:.0%} of it)",
        again.median <= REIMPORT_AIM_RATIO * first.median,
        f"quiz's re-import is {again.median / first.median:.0%} of its first import: a file "
        "byte for byte the one last imported is not parsed again.",
    ))
    rows.append(Row(
        "reimport_edit", "re-import after editing one note", edit, imp.get("anki_edit"),
        "(for reference)", None,
        "The whole file is parsed and compared again; one note is updated.",
    ))

    data = build_dataset(cfg, cfg.size, anki=cfg.anki)
    extra["dataset"] = {
        "quiz": bench_data.describe(data.built),
        "anki": data.anki_built.__dict__ if data.anki_built else None,
        "build_seconds": data.build_seconds,
    }
    big = human(cfg.size.cards)

    log("start-up: headless Textual, fresh processes")
    starts = bench_startup(cfg, data, ("bare", "home", "card"))
    bare = starts["bare"]
    for key, what in (("home", "home screen with today's counts"), ("card", "first card")):
        fig = starts[key]
        rows.append(Row(
            f"start_{key}",
            f"cold start to the {what} (headless Textual, {big} cards, "
            f"{human(cfg.size.reviews)} reviews)",
            fig, bare, f"≤ {START_AIM_RATIO}× the bare app",
            fig.median <= START_AIM_RATIO * bare.median,
            f"Anki column: a bare Textual app showing one line, timed the same way; quiz is "
            f"{fig.median / bare.median:.2f}× it.",
        ))

    log("answering")
    quiz_answer, anki_answer = bench_answer(cfg, data)
    rows.append(Row(
        "answer", "answer a card: grade, commit, next card ready", quiz_answer, anki_answer,
        "quiz ≤ Anki",
        (quiz_answer.median <= anki_answer.median and quiz_answer.p99 <= anki_answer.p99)
        if anki_answer else None,
        "quiz: `ReviewSession.answer` + `current()`; Anki: `answer_card` + `get_queued_cards`. "
        "Both commit every answer with SQLite synchronous=FULL in WAL mode.",
    ))

    log("today's queue and deck counts")
    counts = bench_counts(cfg, data)
    rows.append(Row(
        "counts", f"deck counts (home screen) at {big} cards", counts["quiz_counts"],
        counts.get("anki_counts"), "quiz ≤ Anki",
        counts["quiz_counts"].median <= counts["anki_counts"].median
        if "anki_counts" in counts else None,
        "quiz: `deck_overview` (the day plan, so counts match the session, and due "
        "tomorrow); Anki: `deck_due_tree`. Counts shown: quiz "
        f"{counts['quiz_counts'].extra.get('counts')}, Anki "
        f"{counts.get('anki_counts', Figure([0])).extra.get('counts')}.",
    ))
    rows.append(Row(
        "queue", f"today's queue (start a review session) at {big} cards", counts["quiz_queue"],
        counts.get("anki_queue"), "quiz ≤ Anki",
        counts["quiz_queue"].median <= counts["anki_queue"].median
        if "anki_queue" in counts else None,
        "quiz: `ReviewSession.start`; Anki: `get_queued_cards` after its cached queues were "
        "dropped.",
    ))

    log("export")
    quiz_export, anki_export = bench_export(cfg, data)
    rows.append(Row(
        "export", f"export {human(cfg.size.notes)} notes ({big} cards) to Anki CSV",
        quiz_export, anki_export, "quiz ≤ Anki",
        quiz_export.median <= anki_export.median if anki_export else None,
        "quiz: the `quiz export anki` command run in-process (`decks_from_db` + "
        "`write_anki_csv`); Anki: `export_note_csv` with html, tags, deck, notetype and guid.",
    ))

    log("statistics")
    stats, stats_cmd, problem = bench_stats(cfg, data)
    rows.append(Row(
        "stats", f"statistics over {human(data.built.reviews)} reviews", stats, None,
        f"< {STATS_AIM_MS:.0f} ms", stats.median < STATS_AIM_MS if stats else None,
        problem or "quiz: `compute_stats` (every figure of the stats screen), fresh open.",
    ))
    if stats_cmd is not None:
        rows.append(Row(
            "stats_command", "`quiz stats` command, whole process", stats_cmd, None,
            "(for reference)", None, "Includes Python start-up and opening the store.",
        ))

    log("memory")
    mem, anki_mem = bench_memory(cfg, data)
    rows.append(Row(
        "memory", f"peak memory (RSS) of a review session at {big} cards", mem, anki_mem,
        f"≤ {MEMORY_AIM_MB:.0f} MB", mem.median <= MEMORY_AIM_MB,
        f"quiz: headless Textual app answering {cfg.answers} cards; Anki column: the `anki` "
        f"package answering as many cards, no GUI. Bare Textual app: "
        f"{bare.extra['rss_mb_at_ready']:.0f} MB.",
    ))
    return rows, data, extra


def scaling_sizes(cfg: Config) -> list[Size]:
    sizes = []
    for cards in SCALING_SIZES:
        if cards > cfg.scaling_max:
            continue
        reviews = min(SCALING_REVIEWS_PER_CARD * cards, 1_000_000)
        sizes.append(Size(cards, cards // 2, reviews))
    return sizes


def run_scaling(cfg: Config, main: Dataset | None) -> tuple[list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    from dataclasses import replace

    points = []
    sub = replace(cfg, runs=max(1, min(cfg.runs, 3)))
    for size in scaling_sizes(cfg):
        if main is not None and main.size == size:
            data = main
        else:
            data = build_dataset(cfg, size, anki=cfg.anki)
        log(f"scaling: {size.label}")
        point: dict[str, Any] = {"label": size.label, "cards": size.cards, "notes": size.notes,
                                 "reviews": data.built.reviews}
        quiz_answer, anki_answer = bench_answer(sub, data)
        point["quiz_answer"] = quiz_answer.as_dict()
        if anki_answer is not None:
            point["anki_answer"] = anki_answer.as_dict()
        point["quiz_start"] = bench_startup(sub, data, ("home",))["home"].as_dict()
        point["quiz_counts"] = bench_counts(replace(sub, anki=False), data)["quiz_counts"].as_dict()
        points.append(point)
        if data is not main:
            shutil.rmtree(data.quiz_db.parent, ignore_errors=True)
    imports = []
    for notes in SCALING_IMPORT_NOTES:
        files = max(1, notes // 10_000)
        log(f"import sweep: {human(notes)} notes")
        imp = bench_import(sub, notes, files)
        imports.append({
            "notes": notes,
            "files": files,
            **{key: figure.as_dict() for key, figure in imp.items()},
        })
    return points, imports


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cards", type=int, default=100_000, help="cards in the big collection")
    p.add_argument("--notes", type=int, default=50_000, help="notes those cards come from")
    p.add_argument("--reviews", type=int, default=1_000_000, help="review-log rows")
    p.add_argument("--import-notes", type=int, default=10_000, help="notes of the import deck")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=5, help="runs per figure")
    p.add_argument("--answers", type=int, default=200, help="answers per answering run")
    p.add_argument("--scaling", action="store_true",
                   help="also sweep answer and start-up over 1k..1M cards, import over 1k..50k")
    p.add_argument("--scaling-max", type=int, default=1_000_000,
                   help="largest collection of the sweep (1M cards takes minutes to build)")
    p.add_argument("--quick", action="store_true", help="tiny sizes and 2 runs (smoke test)")
    p.add_argument("--no-anki", action="store_true", help="leave the Anki column out")
    p.add_argument("--json", type=Path, metavar="PATH", help="write the results as JSON")
    p.add_argument("--markdown", type=Path, metavar="PATH", help="write the table to a file")
    p.add_argument("--workdir", type=Path, help="keep the data here (default: a temp dir)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.quick:
        args.cards, args.notes, args.reviews = 400, 200, 4_000
        args.import_notes, args.runs, args.answers = 100, 2, 20
        args.scaling_max = min(args.scaling_max, 1_000)
    anki = not args.no_anki
    if anki:
        try:
            import anki as _anki  # noqa: F401
        except ImportError:
            log("the anki package is not installed: the Anki column stays empty")
            anki = False
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="quiz-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = Config(
        size=Size(args.cards, args.notes, args.reviews),
        import_notes=args.import_notes,
        seed=args.seed,
        runs=max(1, args.runs),
        answers=args.answers,
        anki=anki,
        scaling=args.scaling,
        scaling_max=args.scaling_max,
        warmup=not args.quick,
        workdir=workdir.resolve(),
    )
    load_at_start = [round(v, 2) for v in os.getloadavg()]
    try:
        rows, data, extra = main_rows(cfg)
        result: dict[str, Any] = {
            "machine": {**machine_info(), "load_average_at_start": load_at_start},
            "config": {
                "label": cfg.size.label,
                "cards": cfg.size.cards,
                "notes": cfg.size.notes,
                "reviews": cfg.size.reviews,
                "import_notes": cfg.import_notes,
                "seed": cfg.seed,
                "runs": cfg.runs,
                "answers": cfg.answers,
                "anki": cfg.anki,
            },
            "rows": [r.as_dict() for r in rows],
            **extra,
        }
        text = markdown(result, rows)
        if cfg.scaling:
            points, imports = run_scaling(cfg, data)
            result["scaling"] = {"collections": points, "imports": imports}
            text += "\nScaling:\n\n" + scaling_markdown(points, imports)
        result["markdown"] = text
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
