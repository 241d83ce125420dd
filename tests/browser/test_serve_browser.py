"""`quiz serve` in a real browser: headless Chromium answers a card; the answer is in the database.

Each test starts `quiz serve` as a subprocess on a free loopback port, over a
fresh SQLite file holding the tiny deck, and drives Debian's /usr/bin/chromium
with Playwright (its Python package, with its own node driver; no downloaded
browser). The terminal is drawn on a canvas, so the test reads what the app
shows from the websocket frames the page receives, polling with deadlines.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is
missing (`.ci/run` installs Chromium when it can). With QUIZ_UPDATE_SCREENSHOT=1
the first test also rewrites docs/serve.png for the README.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from quiz.store.tables import cards, learners, notes, review_log
from tests.conftest import TINY

CHROMIUM = Path(os.environ.get("QUIZ_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Keep Chromium off the (closed) network: no updates, sync or first-run fetches."""

SCREENSHOT = Path(__file__).parents[2] / "docs" / "serve.png"
DEADLINE = 20.0
"""Seconds any one wait may take before the test fails."""

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests: {CHROMIUM} is missing (apt-get install chromium; .ci/run does)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests: the playwright package is not installed"
)

# The command, registered under "serve" once quiz.cli lists it; set here too so the
# test runs `quiz serve` exactly as a user would, with or without the registration.
QUIZ = (
    "import quiz.cli as c; "
    "c.LAZY_COMMANDS.setdefault('serve', 'quiz.commands.serve:serve'); "
    "c.main()"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(check: Callable[[], bool], what: str, pump: Callable[[], None]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {DEADLINE:.0f} s waiting for {what}")
        pump()


@dataclass
class Served:
    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log: Path

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


def _start(tmp_path: Path, *serve_args: str) -> Iterator[Served]:
    db_url = f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
    env = {**os.environ, "QUIZ_HOME": str(tmp_path / "home")}
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        env.pop(var, None)
    base = [sys.executable, "-c", QUIZ, "--db", db_url]
    subprocess.run([*base, "import", str(TINY)], env=env, check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*base, *serve_args, "--port", str(port), "tiny"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}/", db_url, process, log)
    try:

        def up() -> bool:
            assert process.poll() is None, f"quiz serve exited:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(served.url, timeout=2):
                    return True
            except urllib.error.HTTPError:
                return True  # answering, even if refusing
            except OSError:
                return False

        _wait(up, "quiz serve to listen", lambda: time.sleep(0.1))
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`quiz serve` for one learner, webby."""
    yield from _start(tmp_path, "--learner", "webby", "serve")


@pytest.fixture
def served_by_header(tmp_path: Path) -> Iterator[Served]:
    """`quiz serve` taking each connection's learner from X-Remote-User (a proxy's header)."""
    yield from _start(tmp_path, "serve", "--learner-header", "X-Remote-User")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium; Playwright gives it a new, empty profile in a temporary directory."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """One browser tab on the app, with everything the app has sent it so far."""

    page: Any
    received: list[bytes] = field(default_factory=list)

    def shown(self) -> bytes:
        return b"".join(self.received)

    def wait_for(self, text: str) -> None:
        """Wait until the app has drawn this text (it arrives in the websocket frames)."""
        needle = text.encode()
        _wait(lambda: needle in self.shown(), repr(text), lambda: self.page.wait_for_timeout(50))

    def press(self, key: str) -> None:
        self.received.clear()
        self.page.keyboard.press(key)

    def painted(self) -> None:
        """Wait until the browser has drawn two frames, so a screenshot shows the latest."""
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )


def _open(browser: Any, url: str, headers: dict[str, str] | None = None) -> Tab:
    context = browser.new_context(
        viewport={"width": 1000, "height": 560}, extra_http_headers=headers or {}
    )
    page = context.new_page()
    tab = Tab(page)

    def on_websocket(ws: Any) -> None:
        ws.on(
            "framereceived",
            lambda payload: tab.received.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    page.on("websocket", on_websocket)
    page.goto(url)
    page.wait_for_selector("body.-first-byte", timeout=DEADLINE * 1000)
    tab.wait_for("Tiny deck")  # the home screen
    page.focus(".xterm-helper-textarea")  # where xterm.js takes keyboard input
    return tab


def _answer_first_card(tab: Tab, screenshot: Path | None = None) -> None:
    """Home: space studies all decks; space shows the answer; 3 grades it Good."""
    tab.press("Space")
    tab.wait_for("Capital of France?")
    tab.press("Space")
    tab.wait_for("Paris")
    if screenshot is not None:
        tab.painted()
        tab.page.screenshot(path=str(screenshot))
    tab.press("3")
    tab.wait_for("H2O")  # the next card: the answer was committed before it was served


def test_a_card_answered_in_the_browser_lands_in_the_database(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    tab = _open(browser, served.url)
    assert served.answers("webby") == []
    shot = tmp_path / "serve.png"
    _answer_first_card(tab, screenshot=shot)
    assert served.answers("webby") == [("capital", 4)]  # Good is SM-2 quality 4
    assert served.total_answers() == 1
    assert shot.stat().st_size > 10_000
    if os.environ.get("QUIZ_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(shot.read_bytes())


def test_behind_a_proxy_each_connection_studies_as_the_header_names(
    served_by_header: Served, browser: Any
) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(served_by_header.url, timeout=5)
    assert refused.value.code == 403
    carol = _open(browser, served_by_header.url, {"X-Remote-User": "carol"})
    _answer_first_card(carol)
    dave = _open(browser, served_by_header.url, {"X-Remote-User": "dave"})
    # dave gets the capital card first too: carol answered it, but her progress is hers.
    _answer_first_card(dave)
    assert served_by_header.answers("carol") == [("capital", 4)]
    assert served_by_header.answers("dave") == [("capital", 4)]
    assert served_by_header.total_answers() == 2
