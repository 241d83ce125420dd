"""`quiz serve` in a real browser: headless Chromium answers cards; the answers are in the database.

Each test starts the installed `quiz serve` on a free loopback port (tests/browser/
serving.py) and drives Debian's /usr/bin/chromium with Playwright (its Python
package, with its own node driver; no downloaded browser). The terminal is drawn on
a canvas, so the test reads what the app shows from the websocket frames the page
receives, polling with deadlines. Behind a proxy, the proxy is a real nginx that
asks for a password and sets the learner's header, as the README's deployment does.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is
missing (`.ci/run` installs Chromium when it can). With QUIZ_UPDATE_SCREENSHOT=1
the first test also rewrites docs/serve.png for the README.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.serving import DEADLINE, NGINX, free_port, nginx, serve, wait

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

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "serve.png"

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests: {CHROMIUM} is missing (apt-get install chromium; .ci/run does)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests: the playwright package is not installed"
)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium; Playwright gives it a new, empty profile in a temporary directory."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
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
    requested: list[str] = field(default_factory=list)

    def shown(self) -> bytes:
        return b"".join(self.received)

    def wait_for(self, text: str) -> None:
        """Wait until the app has drawn this text (it arrives in the websocket frames)."""
        needle = text.encode()
        wait(lambda: needle in self.shown(), repr(text), lambda: self.page.wait_for_timeout(50))

    def press(self, key: str) -> None:
        self.received.clear()
        self.page.keyboard.press(key)

    def painted(self) -> None:
        """Wait until the browser has drawn two frames, so a screenshot shows the latest."""
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )

    def ended_message(self) -> str:
        """The sentence the page shows once the session has ended."""
        self.page.wait_for_selector("body.-closed", timeout=DEADLINE * 1000)
        return str(self.page.inner_text("#ended-message"))


def new_tab(browser: Any, **context: Any) -> Tab:
    page = browser.new_context(viewport={"width": 1000, "height": 560}, **context).new_page()
    tab = Tab(page)

    def on_websocket(ws: Any) -> None:
        ws.on(
            "framereceived",
            lambda payload: tab.received.append(
                payload if isinstance(payload, bytes) else payload.encode()
            ),
        )

    page.on("websocket", on_websocket)
    page.on("request", lambda request: tab.requested.append(request.url))
    return tab


def open_app(browser: Any, url: str, **context: Any) -> Tab:
    """A tab showing the home screen, keys going to the app without a click first."""
    tab = new_tab(browser, **context)
    tab.page.goto(url)
    tab.page.wait_for_selector("body.-first-byte", timeout=DEADLINE * 1000)
    tab.wait_for("Tiny deck")
    return tab


def answer_first_card(tab: Tab, screenshot: Path | None = None) -> None:
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


def test_from_the_checkout_root_a_card_answered_in_the_browser_lands_in_the_database(
    browser: Any, tmp_path: Path
) -> None:
    # The checkout's quiz/ folder (no bundled decks) must not shadow the installed quiz.
    with serve(tmp_path, learner="webby", cwd=ROOT) as served:
        tab = open_app(browser, served.url)
        assert tab.page.title() == "quiz"
        assert served.answers("webby") == []
        shot = tmp_path / "serve.png"
        answer_first_card(tab, screenshot=shot)
        assert served.answers("webby") == [("capital", 4)]  # Good is SM-2 quality 4
        assert served.total_answers() == 1
        # Every asset came from quiz itself: nothing from another server (fonts included).
        assert tab.requested
        assert all(url.startswith(served.url) for url in tab.requested), tab.requested
    assert shot.stat().st_size > 10_000
    if os.environ.get("QUIZ_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(shot.read_bytes())


def test_a_quiz_folder_in_the_working_directory_is_never_run(browser: Any, tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    (planted / "quiz").mkdir(parents=True)
    marker = tmp_path / "ran"
    (planted / "quiz" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise SystemExit('the planted quiz ran')\n"
    )
    # The check that -P matters here: plain `python -m` would import the planted package.
    plain = subprocess.run(
        [sys.executable, "-m", "quiz.commands.serve", "--help"], cwd=planted, capture_output=True
    )
    assert plain.returncode != 0 and marker.exists()
    marker.unlink()
    with serve(tmp_path, learner="webby", cwd=planted) as served:
        tab = open_app(browser, served.url)
        answer_first_card(tab)
        assert served.answers("webby") == [("capital", 4)]
    assert not marker.exists()


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is missing (.ci/run installs it)")
def test_behind_nginx_each_student_studies_as_the_one_who_logged_in(
    browser: Any, tmp_path: Path
) -> None:
    proxy_port, quiz_port = free_port(), free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    with (
        serve(
            tmp_path,
            "--learner-header",
            "X-Remote-User",
            "--public-url",
            public,
            port=quiz_port,
        ) as served,
        nginx(tmp_path, quiz_port, {"carol": "c-pass", "dave": "d-pass"}, port=proxy_port),
    ):
        with pytest.raises(urllib.error.HTTPError) as stranger:
            urllib.request.urlopen(public, timeout=DEADLINE)
        assert stranger.value.code == 401  # nginx asks who you are
        carol = open_app(
            browser,
            public,
            http_credentials={"username": "carol", "password": "c-pass"},
            # A student trying to pass as another: nginx replaces the header.
            extra_http_headers={"X-Remote-User": "dave"},
        )
        answer_first_card(carol)
        dave = open_app(
            browser, public, http_credentials={"username": "dave", "password": "d-pass"}
        )
        # dave gets the capital card first too: carol answered it, but her progress is hers.
        answer_first_card(dave)
        assert served.answers("carol") == [("capital", 4)]
        assert served.answers("dave") == [("capital", 4)]
        assert served.total_answers() == 2


FOREIGN_PAGE = """<!DOCTYPE html><title>elsewhere</title><script>
window.result = {messages: 0, closed: false};
const ws = new WebSocket("ws://127.0.0.1:PORT/ws");
ws.onmessage = () => { window.result.messages += 1; };
ws.onclose = () => { window.result.closed = true; };
ws.onerror = () => { window.result.closed = true; };
</script>"""


def test_a_page_of_another_site_cannot_open_or_read_the_students_session(
    browser: Any, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    with serve(tmp_path, learner="webby") as served:
        (site / "index.html").write_text(FOREIGN_PAGE.replace("PORT", str(served.port)))
        port = free_port()
        other = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=site,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            tab = new_tab(browser)
            wait(
                lambda: _loads(tab, f"http://localhost:{port}/"),
                "the other site's page",
                lambda: tab.page.wait_for_timeout(50),
            )
            tab.page.wait_for_function("window.result.closed", timeout=DEADLINE * 1000)
            assert tab.page.evaluate("window.result.messages") == 0
        finally:
            other.terminate()
            other.wait(timeout=10)
        assert f"refused a request from origin 'http://localhost:{port}'" in served.output()
        assert served.app_processes() == []


def _loads(tab: Tab, url: str) -> bool:
    try:
        return bool(tab.page.goto(url).ok)
    except playwright_api.Error:
        return False  # the other site is not listening yet


def test_a_session_that_cannot_start_says_so_in_the_browser(browser: Any, tmp_path: Path) -> None:
    with serve(tmp_path, learner="webby") as served:
        path = Path(served.db_url.removeprefix("sqlite:///"))
        path.rename(path.with_suffix(".moved"))
        path.mkdir()  # every new app process now fails to open the database
        tab = new_tab(browser)
        tab.page.goto(served.url)
        message = tab.ended_message()
        assert message.startswith("quiz stopped unexpectedly. Reload to try again;")
        assert "tell your instructor: error" in message
    assert "stopped unexpectedly" in served.output()


def test_a_learner_with_too_many_tabs_gets_a_page_saying_so(browser: Any, tmp_path: Path) -> None:
    with serve(tmp_path, "--max-per-learner", "1", learner="webby") as served:
        first = open_app(browser, served.url)
        second = new_tab(browser)
        response = second.page.goto(served.url)
        assert response.status == 503
        assert "You already have 1 quiz tab open" in second.page.inner_text("body")
        first.page.close()
