"""Hostile input, every path: decks, settings, folders, URLs, arguments and damaged databases.

Each case runs `quiz` as a real subprocess under a 1 GB address-space limit and a
time limit, on a copy of a collection that holds a deck and a day of progress,
and asserts what a user must get: a non-zero exit, one message naming the file
(or setting) and the fix, no traceback, and the database byte-for-byte as it was.
The time and peak memory of every case are kept in ``MEASURED``, printed at the
end of the module (`pytest -s tests/reliability/test_hostile_inputs.py`).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quiz.services import Quiz
from quiz.services.review import ReviewSession
from tests.conftest import TINY
from tests.reliability.harness import ROOT

MEMORY = 1024**3
"""RLIMIT_AS of every case: 1 GB of address space."""

SECONDS = 60
"""Wall-clock limit of every case (the locked-database case waits 10 s by design)."""

MEASURED: dict[str, tuple[float, int]] = {}
"""Case -> (seconds, peak RSS in KB)."""


@dataclass
class Run:
    code: int
    out: str
    seconds: float
    peak_kb: int


@dataclass
class World:
    """A scratch folder with a collection (home/quiz.sqlite3) and room for hostile files."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def db(self) -> Path:
        return self.home / "quiz.sqlite3"

    def file(self, name: str, content: bytes | str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def symlink(self, name: str, target: str) -> Path:
        path = self.root / name
        path.symlink_to(target)
        return path

    def fifo(self, name: str) -> Path:
        path = self.root / name
        os.mkfifo(path)
        return path


def run_quiz(
    world: World, args: list[str], prelude: str = "", wrap: list[str] | None = None
) -> Run:
    """Run quiz in a child limited to MEMORY and SECONDS; its peak RSS from wait4."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        os.setsid()

    code = f"{prelude}\nfrom quiz.cli import main\nmain()"
    command = [*(wrap or []), sys.executable, "-c", code, *args]
    out_path = world.root / ".out"
    start = time.perf_counter()
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=world.root,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=limit,
            env={**os.environ, "PYTHONPATH": str(ROOT), **world.env},
        )
        timer = threading.Timer(SECONDS, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    return Run(proc.returncode, out_path.read_text(errors="replace"), seconds, usage.ru_maxrss)


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection with the tiny deck imported and every card answered once."""
    home = tmp_path_factory.mktemp("collection")
    db = home / "quiz.sqlite3"
    quiz = Quiz.open(f"sqlite:///{db}", learner="ann")
    try:
        from quiz.services.decks import import_files

        import_files(quiz, [TINY])
        session = ReviewSession.start(quiz)
        while session.current() is not None:
            session.answer(4)
    finally:
        quiz.close()
    return db


@pytest.fixture
def world(tmp_path: Path, collection: Path) -> World:
    w = World(tmp_path)
    w.home.mkdir()
    shutil.copy2(collection, w.db)
    w.env = {
        "QUIZ_HOME": str(w.home),
        "QUIZ_LEARNER": "ann",
        "QUIZ_DB": "",
        "QUIZ_CONFIG": "",
        "COLUMNS": "200",
    }
    return w


# --- hostile content ------------------------------------------------------------------------

DECK = "deck: {id: hostile, title: Hostile}\nnotes:\n"


def notes(body: str) -> str:
    return DECK + body


def alias_amplification() -> str:
    text = "x" * 49_000
    lines = [DECK, f"  - {{id: n0, type: basic, front: &big {text}, back: b}}\n"]
    lines += [f"  - {{id: n{i}, type: basic, front: *big, back: *big}}\n" for i in range(1, 20_000)]
    return "".join(lines)


def billion_laughs() -> str:
    lines = [DECK, '  - &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"  - &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def fifty_megabytes(path: Path) -> None:
    with path.open("wb") as fh:
        fh.write(DECK.encode())
        line = b"  - {id: n, type: basic, front: " + b"x" * 100 + b", back: y}\n"
        fh.write(line * (50 * 1024 * 1024 // len(line)))


def damage(db: Path, offset: int) -> None:
    data = bytearray(db.read_bytes())
    for i in range(64):
        data[offset + i] ^= 0xFF
    db.write_bytes(bytes(data))


def damage_a_page_from(db: Path, fraction: float) -> None:
    """Damage the header of the first page from ``fraction`` of the file on that SQLite's
    check finds damaged (a free page's damage would go unseen, and harm nothing)."""
    from quiz.store.health import quick_check

    size, pages = page_size(db), db.stat().st_size // page_size(db)
    sound = db.read_bytes()
    for page in range(int(pages * fraction), pages):
        damage(db, page * size)
        if quick_check(db):
            return
        db.write_bytes(sound)
    raise AssertionError("no page of the collection could be damaged visibly")


def page_size(db: Path) -> int:
    return int.from_bytes(db.read_bytes()[16:18], "big")


# --- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    setup: Callable[[World], list[str]]
    """Makes the hostile files; returns quiz's arguments."""

    expect: list[str]
    """Texts the output must hold: what is wrong, where, and the fix."""

    prelude: str = ""
    wrap: Callable[[World], list[str]] | None = None
    needs: Callable[[], bool] = lambda: True


def _can(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def can_unshare() -> bool:
    return _can(["unshare", "-rm", "true"])


def can_chattr(tmp: Path = Path("/tmp")) -> bool:
    probe = tmp / f".quiz-chattr-{os.getpid()}"
    probe.touch()
    try:
        ok = _can(["chattr", "+i", str(probe)])
        _can(["chattr", "-i", str(probe)])
        return ok
    finally:
        probe.unlink(missing_ok=True)


def _deck(name: str, content: str) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        return ["import", str(w.file(name, content))]

    return setup


def _cmd(*args: str) -> Callable[[World], list[str]]:
    return lambda w: list(args)


def _symlink_zero(command: str) -> Callable[[World], list[str]]:
    return lambda w: [command, str(w.symlink("z.yaml", "/dev/zero"))]


def _fifo(command: str) -> Callable[[World], list[str]]:
    return lambda w: [command, str(w.fifo("pipe.yaml"))]


def _config(make: Callable[[World], Path]) -> Callable[[World], list[str]]:
    return lambda w: ["--config", str(make(w)), "decks"]


def _db_file(make: Callable[[World], None], *args: str) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        make(w)
        return list(args)

    return setup


def _newer_schema(w: World) -> None:
    conn = sqlite3.connect(w.db)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()


def _other_program(w: World) -> None:
    w.db.unlink()
    conn = sqlite3.connect(w.db)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()


def _replace_db(w: World, content: bytes) -> None:
    w.db.unlink()
    w.db.write_bytes(content)


def _db_dir(w: World) -> None:
    w.db.unlink()
    w.db.mkdir()


def _db_fifo(w: World) -> None:
    w.db.unlink()
    os.mkfifo(w.db)


def _immutable(w: World) -> list[str]:
    subprocess.run(["chattr", "+i", str(w.db)], check=True)
    return ["--learner", "newbie", "decks"]


def _read_only_mount(w: World) -> list[str]:
    return [
        "import",
        str(w.file("deck.yaml", notes("  - {id: a, type: basic, front: q, back: a}\n"))),
    ]


def _mount_ro(w: World) -> list[str]:
    # The child runs in its own mount namespace in which the collection's folder is
    # read-only; the test's own view of the folder stays writable.
    script = f'mount -o bind,ro "{w.home}" "{w.home}" && exec "$@"'
    return ["unshare", "-rm", "sh", "-c", script, "sh"]


def _tiny_disk(w: World) -> list[str]:
    # A tmpfs with 64 KB to spare holds the collection: a real "disk full" for SQLite.
    size = w.db.stat().st_size + 64 * 1024
    home, root = w.home, w.root
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{home}" '
        f'&& cp "{root}/db.copy" "{home}/quiz.sqlite3" && "$@"; code=$?; '
        f'cp "{home}/quiz.sqlite3" "{root}/db.after"; exit $code'
    )
    return ["unshare", "-rm", "sh", "-c", script, "sh"]


def _disk_full(w: World) -> list[str]:
    shutil.copy2(w.db, w.root / "db.copy")
    body = "".join(
        f"  - {{id: n{i}, type: basic, front: question {i} {'x' * 400}, back: a}}\n"
        for i in range(2000)
    )
    return ["import", str(w.file("big.yaml", notes(body)))]


CASES: dict[str, Case] = {
    # Clozes: a number that would make billions of cards, a check that must stay linear
    "cloze-huge-number-check": Case(
        lambda w: [
            "check",
            str(
                w.file(
                    "c.yaml",
                    notes('  - {id: a, type: cloze, text: "{{c99999999999999999999999::x}}"}\n'),
                )
            ),
        ],
        ["c.yaml:3:", "cloze numbers go up to c500"],
    ),
    "cloze-huge-number-import": Case(
        _deck("c.yaml", notes('  - {id: a, type: cloze, text: "{{c2147483648::x}}"}\n')),
        ["c.yaml:3:", "cloze numbers go up to c500"],
    ),
    "cloze-3000-deletions": Case(
        lambda w: [
            "check",
            str(
                w.file(
                    "c.yaml",
                    notes(
                        "  - {id: a, type: cloze, text: '"
                        + " ".join(f"{{{{c{i + 1}::w{i}}}}}" for i in range(3000))
                        + "'}\n"
                    ),
                )
            ),
        ],
        ["c.yaml:3:", "cloze numbers go up to c500"],
    ),
    "cloze-number-overflows-int": Case(
        _deck("c.yaml", notes('  - {id: a, type: cloze, text: "{{c' + "9" * 5000 + '::x}}"}\n')),
        ["c.yaml:3:", "cloze numbers go up to c500"],
    ),
    # Files that never end, never open, or are not files
    "deck-dev-zero-import": Case(
        _symlink_zero("import"), ["z.yaml:1:1:", "is a device, not a regular file"]
    ),
    "deck-dev-zero-check": Case(_symlink_zero("check"), ["z.yaml:1:1:", "is a device"]),
    "deck-dev-zero-ids": Case(_symlink_zero("ids"), ["z.yaml:1:1:", "is a device"]),
    "deck-dev-zero-diff": Case(
        lambda w: ["diff", str(TINY), str(w.symlink("z.yaml", "/dev/zero"))], ["z.yaml", "device"]
    ),
    "deck-fifo-import": Case(_fifo("import"), ["pipe.yaml:1:1:", "named pipe (FIFO)"]),
    "deck-fifo-check": Case(_fifo("check"), ["pipe.yaml:1:1:", "named pipe"]),
    "deck-fifo-ids": Case(_fifo("ids"), ["pipe.yaml:1:1:", "named pipe"]),
    "folder-with-a-dev-zero-deck": Case(
        lambda w: [
            "import",
            str(w.file("d/ok.yaml", notes("  - {id: a, type: basic, front: q, back: a}\n")).parent),
        ],
        ["z.yaml:1:1:", "device"],
    ),
    "deck-50-MB": Case(
        lambda w: (fifty_megabytes(w.root / "big.yaml"), ["import", str(w.root / "big.yaml")])[1],
        ["big.yaml:1:1:", "larger than 10 MB", "split the deck"],
    ),
    "deck-alias-amplification": Case(
        _deck("amp.yaml", alias_amplification()), ["amp.yaml:", "alias bomb", "alias less"]
    ),
    "deck-billion-laughs": Case(_deck("bomb.yaml", billion_laughs()), ["bomb.yaml:", "alias bomb"]),
    "deck-deep-nesting": Case(
        _deck("deep.yaml", notes("  - " + "[" * 100_000 + "]" * 100_000 + "\n")),
        ["deep.yaml:3:", "nested more than"],
    ),
    "deck-python-tag": Case(
        _deck("py.yaml", notes("  - !!python/object/apply:os.system ['touch PWNED']\n")),
        ["py.yaml:3:", "not allowed in a deck"],
    ),
    "deck-missing": Case(
        _cmd("import", "missing.yaml"), ["missing.yaml:1:1:", "no such deck file"]
    ),
    "deck-empty-folder": Case(
        lambda w: ["import", str((w.root / "empty").mkdir() or w.root / "empty")],
        ["no deck files (*.yaml) found in", "empty"],
    ),
    "ids-missing-file": Case(
        _cmd("ids", "missing.yaml"), ["missing.yaml:1:1:", "no such deck file", "left as they were"]
    ),
    # Settings
    "config-dev-zero": Case(
        _config(lambda w: w.symlink("z.toml", "/dev/zero")), ["z.toml", "is a device"]
    ),
    "config-fifo": Case(_config(lambda w: w.fifo("c.toml")), ["c.toml", "named pipe"]),
    "config-directory": Case(
        _config(lambda w: (w.root / "conf.d").mkdir() or w.root / "conf.d"),
        ["conf.d", "is a directory"],
    ),
    "config-missing": Case(
        _config(lambda w: w.root / "nope.toml"), ["nope.toml", "--config", "no such settings file"]
    ),
    "config-deep-toml": Case(
        _config(lambda w: w.file("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n")),
        ["deep.toml", "nested too deeply"],
    ),
    "config-not-toml": Case(
        _config(lambda w: w.file("bad.toml", "rollover_hour = = 4\n")),
        ["bad.toml", "not valid TOML", "line 1"],
    ),
    "config-bad-value": Case(
        _config(lambda w: w.file("bad.toml", "rollover_hour = 99\n")),
        ["bad.toml", "rollover_hour", "0 to 23"],
    ),
    "config-huge": Case(
        _config(lambda w: w.file("big.toml", "# " + "x" * (2 * 1024 * 1024) + "\n")),
        ["big.toml", "larger than 1 MB"],
    ),
    # Folders, URLs, learners and arguments
    "data-dir-is-a-file": Case(
        lambda w: ["--data-dir", str(w.file("f", "x")), "decks"],
        ["is a file, not a folder", "--data-dir"],
    ),
    "db-url-nonsense": Case(
        _cmd("--db", "nonsense", "decks"), ["'nonsense' is not a database URL", "sqlite:///"]
    ),
    "db-url-mysql": Case(
        _cmd("--db", "mysql://x/y", "decks"), ["mysql://x/y", "supports SQLite", "PostgreSQL"]
    ),
    "db-url-postgres-without-driver": Case(
        _cmd("--db", "postgresql+psycopg://u@localhost/x", "decks"),
        ["PostgreSQL driver is not installed", "pip install 'quiz[postgres]'"],
        prelude="import sys; sys.modules['psycopg'] = None; sys.modules['psycopg2'] = None",
    ),
    "db-url-missing-folder": Case(
        _cmd("--db", "sqlite:////nonexistent/dir/q.db", "decks"),
        ["/nonexistent/dir does not exist", "create the folder"],
    ),
    "db-url-in-memory": Case(_cmd("--db", "sqlite://", "decks"), ["in-memory", "sqlite:///PATH"]),
    "learner-empty": Case(
        _cmd("--learner", "", "decks"), ["learner name is empty", "--learner NAME"]
    ),
    "learner-blank": Case(_cmd("--learner", "   ", "decks"), ["learner name is empty"]),
    "unsuspend-without-arguments": Case(
        _cmd("unsuspend"), ["name the cards to unsuspend", "--leeches"]
    ),
    "unsuspend-unknown-card": Case(
        _cmd("unsuspend", "nope:nope"), ["no card 'nope:nope'", "quiz suspended"]
    ),
    "new-invalid-id": Case(_cmd("new", "bad id!"), ["not a valid deck id"]),
    # Databases that are damaged, foreign, newer, or not files
    "db-damaged-middle-import": Case(
        _db_file(lambda w: damage_a_page_from(w.db, 0.5), "import", str(TINY), "--force"),
        ["quiz.sqlite3 is damaged", "quiz doctor --check-only"],
    ),
    "db-damaged-page-3-import": Case(
        _db_file(lambda w: damage(w.db, 2 * page_size(w.db)), "import", str(TINY), "--force"),
        ["quiz.sqlite3 is damaged", "wrote nothing"],
    ),
    "db-damaged-doctor-repair": Case(
        _db_file(lambda w: damage(w.db, 2 * page_size(w.db)), "doctor"),
        ["damaged", "not repaired in place", "restore a backup"],
    ),
    "db-damaged-header": Case(
        _db_file(lambda w: damage(w.db, 0), "decks"), ["is not a SQLite database", "--db"]
    ),
    "db-newer-schema": Case(_db_file(_newer_schema, "decks"), ["newer quiz", "upgrade quiz"]),
    "db-other-program": Case(_db_file(_other_program, "decks"), ["not a quiz database", "--db"]),
    "db-text-file": Case(
        _db_file(lambda w: _replace_db(w, b"hello, I am notes\n" * 10), "decks"),
        ["is not a SQLite database"],
    ),
    "db-is-a-directory": Case(_db_file(_db_dir, "decks"), ["is a directory, not a database file"]),
    "db-is-a-fifo": Case(_db_file(_db_fifo, "decks"), ["named pipe", "not a regular file"]),
    "db-is-a-fifo-doctor": Case(_db_file(_db_fifo, "doctor"), ["named pipe", "not a regular file"]),
    "db-locked-import": Case(
        lambda w: ["import", str(TINY), "--force"],
        ["quiz.sqlite3 is locked by another program", "close other quiz sessions"],
    ),
    "db-immutable-new-learner": Case(
        _immutable,
        ["no permission to write", "quiz.sqlite3", "chattr -i"],
        needs=lambda: can_chattr(),
    ),
    "db-read-only-mount-import": Case(
        _read_only_mount,
        ["read-only file system", "remount it writable"],
        wrap=_mount_ro,
        needs=can_unshare,
    ),
    "db-read-only-mount-doctor": Case(
        _cmd("doctor", "--check-only"),
        ["read-only file system", "do not restore a backup"],
        wrap=_mount_ro,
        needs=can_unshare,
    ),
    "db-disk-full": Case(
        _disk_full,
        ["disk holding", "is full", "Free some space"],
        wrap=_tiny_disk,
        needs=can_unshare,
    ),
}


def _dump_bytes(world: World) -> bytes:
    return world.db.read_bytes() if world.db.is_file() else b""


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_refused_in_one_line_within_bounds(world: World, name: str) -> None:
    case = CASES[name]
    if not case.needs():
        pytest.skip("needs unshare or chattr on this machine")
    args = case.setup(world)
    if name == "folder-with-a-dev-zero-deck":
        world.symlink("d/z.yaml", "/dev/zero")
    before = _dump_bytes(world)
    holder = None
    if name == "db-locked-import":  # another program holds the write lock throughout
        holder = sqlite3.connect(world.db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_quiz(
            world, args, case.prelude, case.wrap(world) if case.wrap is not None else None
        )
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
        if name == "db-immutable-new-learner":
            subprocess.run(["chattr", "-i", str(world.db)], check=False)
    MEASURED[name] = (result.seconds, result.peak_kb)
    assert result.code not in (0, -signal.SIGKILL), (result.code, result.out[-2000:])
    assert result.code in (1, 2), (result.code, result.out[-2000:])
    assert "Traceback" not in result.out, result.out[-3000:]
    for text in case.expect:
        assert text in result.out, (text, result.out[-2000:])
    assert len(result.out) < 20_000  # one message per problem, not a flood
    if name == "db-disk-full":
        assert (world.root / "db.after").read_bytes() == (world.root / "db.copy").read_bytes()
    else:
        assert _dump_bytes(world) == before  # the database is byte-for-byte as it was
    assert not (world.root / "PWNED").exists()


def test_the_suite_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40


@pytest.fixture(scope="module", autouse=True)
def report_measurements() -> Iterator[None]:
    yield
    if MEASURED:
        print(f"\nhostile inputs: {len(MEASURED)} cases, slowest first (seconds, peak RSS)")
        for name, (seconds, peak_kb) in sorted(MEASURED.items(), key=lambda kv: -kv[1][0]):
            print(f"  {name:<40} {seconds:6.2f} s {peak_kb / 1024:6.0f} MB")
