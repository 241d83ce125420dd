"""Load test of `quiz serve`: several servers on one database, learners in browser sessions.

Starts ``--servers`` `quiz serve` processes on loopback ports, all on one database and
all taking the learner from the ``X-Remote-User`` header (as behind the school's
proxy), then opens one session per simulated learner, spread round-robin over the
servers. Each learner speaks the browser page's websocket protocol: it waits for the
home screen, starts the review, and for each card shows the answer and grades it
Good, waiting for the next card to be drawn before it goes on (the app saves an
answer before it shows the next card). Afterwards ``audit`` reads the database: every
learner has exactly its answers, each on a different card, and nothing else.

    .venv/bin/python scripts/load_serve.py --postgres URL               # 200 learners, 2 servers
    .venv/bin/python scripts/load_serve.py --postgres URL --learners 20 --servers 3

Prints a Markdown table: servers, learners, answers, failed sessions, wall time, and
the memory of one session's app process at the peak (RSS and PSS, the latter sharing
common pages fairly between processes). Loopback only, bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, func, select

from quiz.store.scratch import postgres_schema
from quiz.store.tables import learners, review_log
from quiz.web.client import Terminal

HEADER = "X-Remote-User"
DECK_TITLE = b"Load test"
FRONT = b"Show answer"
"""Drawn with every new card (the hint under a card's front)."""
BACK = b"Good"
"""Drawn when the answer is shown (the grade buttons)."""
QUIZ = Path(sys.executable).with_name("quiz")
"""The installed `quiz` command beside this interpreter."""


def write_deck(path: Path, notes: int = 50) -> Path:
    """A generated deck of basic notes titled "Load test"."""
    lines = ["deck: {id: load, title: Load test}", "notes:"]
    lines += [f"  - {{id: n{i}, type: basic, front: 'Q{i}', back: 'A{i}'}}" for i in range(notes)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"quiz serve exited:\n{log.read_text(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"quiz serve did not listen on {port} within 60 s")


@contextmanager
def servers(db_url: str, count: int, workdir: Path, *extra: str) -> Iterator[list[str]]:
    """Start `count` `quiz serve` processes on one database; yield their base URLs."""
    env = {**os.environ, "QUIZ_HOME": str(workdir / "home"), "QUIZ_DB": db_url}
    env.pop("QUIZ_CONFIG", None)
    started: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for i in range(count):
            port = free_port()
            log = workdir / f"serve-{i}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(QUIZ), "serve", "--port", str(port), "--learner-header", HEADER, *extra],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=workdir,
                )
            started.append(process)
            wait_until_listening(port, process, log)
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Result:
    learners: list[str]
    answers: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    pss_mb: list[float] = field(default_factory=list)


async def learner_session(
    http: aiohttp.ClientSession, base: str, learner: str, answers: int, deadline: float
) -> int:
    """One learner's session: start the review and grade `answers` cards Good."""
    url = base.replace("http", "ws", 1) + "/ws?width=100&height=30"
    headers = {HEADER: learner, "Origin": base}
    done = 0
    async with http.ws_connect(url, headers=headers) as ws:
        screen = Terminal(ws, timeout=max(1.0, deadline - time.monotonic()))
        await screen.until(DECK_TITLE)
        await screen.key(" ")  # study all decks
        await screen.until(FRONT)
        for _ in range(answers):
            await screen.key(" ")
            await screen.until(BACK)
            await screen.key("3")
            await screen.until(FRONT)  # the next card: the answer is saved
            done += 1
    return done


def session_memory() -> dict[int, tuple[float, float]]:
    """RSS and PSS (MB) of every running app process of `quiz serve`, by process id."""
    found: dict[int, tuple[float, float]] = {}
    for pid in os.listdir("/proc"):  # noqa: PTH208 (names, not paths)
        if not pid.isdigit():
            continue
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"quiz.commands.serve" not in argv or argv[0].endswith(b"sh"):
                continue  # not an app process (or the shell textual-serve starts it with)
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
            )
        except (OSError, ValueError):
            continue
        kb = [int(fields[k].split()[0]) for k in ("Rss", "Pss")]
        found[int(pid)] = (kb[0] / 1024, kb[1] / 1024)
    return found


async def run(bases: list[str], count: int, answers: int, timeout: float) -> Result:
    """`count` learners spread over the servers, all at once, and their sessions' memory."""
    names = [f"student{i:03d}" for i in range(count)]
    result = Result(names)
    start = time.monotonic()
    deadline = start + timeout
    finished = asyncio.Event()

    async def one(i: int, name: str, http: aiohttp.ClientSession) -> None:
        try:
            result.answers[name] = await learner_session(
                http, bases[i % len(bases)], name, answers, deadline
            )
        except Exception as exc:  # a failed session is reported, not raised
            result.errors.append(f"{name}: {type(exc).__name__}: {exc}")

    async def sample() -> None:
        # Each app process's largest size while it runs, sampled twice a second.
        peak: dict[int, tuple[float, float]] = {}
        while not finished.is_set():
            for pid, (rss, pss) in session_memory().items():
                old = peak.get(pid, (0.0, 0.0))
                peak[pid] = (max(old[0], rss), max(old[1], pss))
            try:
                await asyncio.wait_for(finished.wait(), 0.5)
            except TimeoutError:
                continue
        result.rss_mb = [rss for rss, _ in peak.values()]
        result.pss_mb = [pss for _, pss in peak.values()]

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(one(i, n, http) for i, n in enumerate(names)))
        finished.set()
        await sampler
    result.seconds = time.monotonic() - start
    return result


def audit(db_url: str, result: Result, answers: int) -> list[str]:
    """Every learner has exactly `answers` answers, each on a different card; nothing else."""
    problems: list[str] = []
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    learners.c.name,
                    func.count(),
                    func.count(func.distinct(review_log.c.card_id)),
                )
                .select_from(review_log.join(learners, learners.c.id == review_log.c.learner_id))
                .group_by(learners.c.name)
            ).all()
    finally:
        engine.dispose()
    logged = {name: (n, distinct) for name, n, distinct in rows}
    for name in result.learners:
        n, distinct = logged.pop(name, (0, 0))
        if n != answers:
            problems.append(f"{name}: {n} answers logged, {answers} given")
        if distinct != n:
            problems.append(f"{name}: {n - distinct} answers logged twice on one card")
    problems += [f"{name}: {n} answers nobody gave" for name, (n, _) in logged.items()]
    return problems


def prepare(db_url: str, workdir: Path) -> None:
    deck = write_deck(workdir / "load.yaml")
    env = {**os.environ, "QUIZ_HOME": str(workdir / "home"), "QUIZ_DB": db_url}
    subprocess.run([str(QUIZ), "import", str(deck)], env=env, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", required=True, help="PostgreSQL server")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--answers", type=int, default=5, help="answers per learner (< 20)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for the run")
    args = parser.parse_args()
    per_server = -(-args.learners // args.servers)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quiz-serve-")))
        db_url = stack.enter_context(postgres_schema(args.postgres, prefix="serve"))
        prepare(db_url, workdir)
        bases = stack.enter_context(
            servers(db_url, args.servers, workdir, "--max-sessions", str(per_server))
        )
        result = asyncio.run(run(bases, args.learners, args.answers, args.timeout))
        problems = audit(db_url, result, args.answers)
    for message in [*result.errors[:10], *problems[:20]]:
        print(message)
    mean = statistics.fmean
    print(
        "| servers | learners | answers | failed sessions | wall | RSS / session | PSS / session |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.servers} | {args.learners} | {sum(result.answers.values())} "
        f"| {len(result.errors)} | {result.seconds:.1f} s "
        f"| {mean(result.rss_mb or [0]):.0f} MB | {mean(result.pss_mb or [0]):.0f} MB |"
    )
    return 1 if result.errors or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
