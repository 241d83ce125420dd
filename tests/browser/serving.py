"""Running `quiz serve` (and nginx in front of it) for the tests, as a school would.

`quiz serve` runs as the installed `quiz` command in a subprocess, on a free
loopback port, over a SQLite file (or a PostgreSQL schema) holding the tiny deck.
``Nginx`` is Debian's nginx started by the test with its own configuration: it
asks for a password (HTTP basic authentication) and passes the user name to quiz
in ``X-Remote-User``, as the README's deployment does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select

from quiz.store.tables import cards, learners, notes, review_log
from quiz.web.client import Terminal

__all__ = ["Terminal"]
from tests.conftest import TINY

QUIZ = Path(sys.executable).with_name("quiz")
"""The installed `quiz` command, as a user runs it."""
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEADLINE = 30.0
"""Seconds any one wait may take before the test fails."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: Callable[[], bool], what: str, pump: Callable[[], None]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {DEADLINE:.0f} s waiting for {what}")
        pump()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Served:
    """A running `quiz serve`."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].rstrip("/"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def answers(self, learner: str) -> list[tuple[str, int]]:
        """(note key, quality) of every logged answer of a learner."""
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(notes.c.key, review_log.c.quality)
                    .select_from(
                        review_log.join(learners, learners.c.id == review_log.c.learner_id)
                        .join(cards, cards.c.id == review_log.c.card_id)
                        .join(notes, notes.c.id == cards.c.note_id)
                    )
                    .where(learners.c.name == learner)
                    .order_by(review_log.c.id)
                ).all()
        finally:
            engine.dispose()
        return [(r[0], r[1]) for r in rows]

    def total_answers(self) -> int:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(review_log)).scalar_one())
        finally:
            engine.dispose()

    def app_processes(self) -> list[int]:
        """Process ids of the app processes this server runs now (one per open tab)."""
        found = []
        for pid in os.listdir("/proc"):  # noqa: PTH208 (names, not paths)
            if not pid.isdigit():
                continue
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            mine = f"QUIZ_DB={self.db_url}".encode() in env
            if mine and b"quiz.commands.serve" in argv and not argv[0].endswith(b"sh"):
                found.append(int(pid))
        return found


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "QUIZ_HOME": str(home)}
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        env.pop(var, None)
    return env


@contextmanager
def serve(
    tmp_path: Path,
    *args: str,
    cwd: Path | None = None,
    db_url: str | None = None,
    port: int | None = None,
    learner: str | None = None,
) -> Iterator[Served]:
    """`quiz serve ARGS... tiny` over a database holding the tiny deck, until the block ends."""
    db_url = db_url or f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
    env = environment(tmp_path / "home")
    base = [str(QUIZ), "--db", db_url, *(["--learner", learner] if learner else [])]
    subprocess.run([*base, "import", str(TINY)], env=env, check=True, capture_output=True)
    port = port or free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*base, "serve", *args, "--port", str(port), "tiny"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd or tmp_path,
        )
    served = Served(f"http://127.0.0.1:{port}", db_url, process, log)
    try:

        def up() -> bool:
            assert process.poll() is None, f"quiz serve exited:\n{served.output()}"
            return listening(port)

        wait(up, "quiz serve to listen", lambda: time.sleep(0.05))
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        auth_basic "quiz";
        auth_basic_user_file {dir}/htpasswd;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Remote-User $remote_user;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""
"""The README's nginx site, with the test's ports and files."""


@dataclass
class Nginx:
    url: str
    log_dir: Path


@contextmanager
def nginx(
    tmp_path: Path, upstream: int, users: dict[str, str], port: int | None = None
) -> Iterator[Nginx]:
    """nginx asking for one of `users` (name: password), proxying to quiz on `upstream`."""
    conf_dir = tmp_path / "nginx"
    conf_dir.mkdir()
    (conf_dir / "htpasswd").write_text(
        "".join(f"{name}:{{PLAIN}}{password}\n" for name, password in users.items())
    )
    port = port or free_port()
    # As root, nginx's workers would run as nobody and could not read the test's files.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = conf_dir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=conf_dir, port=port, upstream=upstream, user=user))
    process = subprocess.Popen(
        [NGINX, "-p", str(conf_dir), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:

        def up() -> bool:
            error = conf_dir / "error.log"
            assert process.poll() is None, f"nginx exited:\n{error.read_text(errors='replace')}"
            return listening(port)

        wait(up, "nginx to listen", lambda: time.sleep(0.05))
        yield Nginx(f"http://127.0.0.1:{port}", conf_dir)
    finally:
        process.terminate()
        process.wait(timeout=20)
