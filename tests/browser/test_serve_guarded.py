"""`quiz serve` over its websocket, as the page speaks it: who is let in, and the limits.

No browser here: an aiohttp client sends exactly what a browser would send (its
Origin and Host headers, the page's JSON messages), so foreign pages, limits and
crashes are tested on the real server and real app processes. The browser tests
(test_serve_browser.py) show the same in Chromium.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from tests.browser.serving import NGINX, Terminal, free_port, nginx, serve, wait
from tests.conftest import POSTGRES_ENV

FOREIGN = "http://evil.example"
ROOT = Path(__file__).resolve().parents[2]


def run(test: Callable[[aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as http:
            await test(http)

    asyncio.run(main())


async def status(
    http: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    auth: str | None = None,
) -> int:
    headers = {**headers, "Authorization": auth} if auth else headers
    async with http.get(url, headers=headers) as response:
        return response.status


async def handshake(
    http: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    auth: str | None = None,
) -> int:
    """The HTTP status of a websocket handshake (101 when the session opens)."""
    headers = {**headers, "Authorization": auth} if auth else headers
    try:
        async with http.ws_connect(f"{url}/ws", headers=headers):
            return 101
    except aiohttp.WSServerHandshakeError as refused:
        return refused.status


async def session(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], query: str = ""
) -> Terminal:
    ws = await http.ws_connect(f"{url}/ws{query}", headers={"Origin": url, **headers})
    return Terminal(ws)


def test_pages_of_other_sites_and_other_host_names_are_refused(tmp_path: Path) -> None:
    with serve(tmp_path, learner="webby") as served:
        url = served.url

        async def test(http: aiohttp.ClientSession) -> None:
            assert await status(http, url, {}) == 200
            assert await status(http, url, {"Origin": url}) == 200
            assert await status(http, url, {"Origin": FOREIGN}) == 403
            assert await status(http, url, {"Host": "evil.example"}) == 403
            assert await handshake(http, url, {"Origin": url}) == 101
            assert await handshake(http, url, {"Origin": "http://localhost:1"}) == 403
            assert await handshake(http, url, {"Origin": FOREIGN}) == 403
            # DNS rebinding: a hostile name resolving to the server makes its page same-origin.
            assert await handshake(http, url, {"Origin": FOREIGN, "Host": "evil.example"}) == 403

        run(test)
    assert "refused a request from origin 'http://evil.example'" in served.output()


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is missing (.ci/run installs it)")
def test_behind_the_proxy_a_logged_in_students_browser_on_a_foreign_page_is_refused(
    tmp_path: Path,
) -> None:
    proxy_port, quiz_port = free_port(), free_port()
    public = f"http://127.0.0.1:{proxy_port}"
    header = ("--learner-header", "X-Remote-User", "--public-url", public)
    with (
        serve(tmp_path, *header, port=quiz_port),
        nginx(tmp_path, quiz_port, {"carol": "pw"}, port=proxy_port),
    ):
        carol = aiohttp.encode_basic_auth("carol", "pw")

        async def test(http: aiohttp.ClientSession) -> None:
            assert await status(http, public, {}) == 401  # nginx asks for the password
            assert await status(http, public, {}, carol) == 200
            assert await status(http, public, {"Origin": FOREIGN}, carol) == 403
            assert await handshake(http, public, {"Origin": public}, carol) == 101
            assert await handshake(http, public, {"Origin": FOREIGN}, carol) == 403

        run(test)


def test_sessions_are_limited_per_learner_and_on_the_whole_server(tmp_path: Path) -> None:
    limits = ("--max-sessions", "2", "--max-per-learner", "1")
    with serve(tmp_path, "--learner-header", "X-Remote-User", *limits) as served:
        url = served.url

        async def test(http: aiohttp.ClientSession) -> None:
            ann = await session(http, url, {"X-Remote-User": "ann"})
            await ann.until(b"Tiny deck")
            async with http.get(url, headers={"X-Remote-User": "ann"}) as page:
                assert page.status == 503
                assert "You already have 1 quiz tab open" in await page.text()
            again = await session(http, url, {"X-Remote-User": "ann"})
            assert await again.closed() == (
                4008,
                "You already have 1 quiz tab open. Close one, then reload this page.",
            )
            bob = await session(http, url, {"X-Remote-User": "bob"})
            await bob.until(b"Tiny deck")
            async with http.get(url, headers={"X-Remote-User": "cy"}) as page:
                assert page.status == 503
                assert page.headers["Retry-After"] == "60"
                assert "The server is full. Try again in a minute." in await page.text()
            cy = await session(http, url, {"X-Remote-User": "cy"})
            assert await cy.closed() == (4008, "The server is full. Try again in a minute.")
            await ann.ws.close()
            wait(lambda: "session of ann closed" in served.output(), "ann's session to end", pump)
            cy = await session(http, url, {"X-Remote-User": "cy"})
            await cy.until(b"Tiny deck")
            await cy.ws.close()
            await bob.ws.close()

        run(test)


def test_new_sessions_are_rate_limited_per_client(tmp_path: Path) -> None:
    with serve(tmp_path, "--rate", "2", learner="webby") as served:

        async def test(http: aiohttp.ClientSession) -> None:
            for _ in range(2):
                tab = await session(http, served.url, {})
                await tab.until(b"Tiny deck")
                await tab.ws.close()
            third = await session(http, served.url, {})
            assert await third.closed() == (
                4008,
                "Too many new sessions. Wait a minute, then reload.",
            )

        run(test)


def test_a_huge_window_gets_a_clamped_terminal(tmp_path: Path) -> None:
    with serve(tmp_path, "--max-size", "100x30", learner="webby") as served:

        async def test(http: aiohttp.ClientSession) -> None:
            tab = await session(http, served.url, {}, "?width=8000&height=8000")
            await tab.until(b"Tiny deck")
            [pid] = served.app_processes()
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"COLUMNS=100" in env
            assert b"ROWS=30" in env
            await tab.ws.close()

        run(test)


def test_an_idle_session_ends_and_says_the_answers_are_saved(tmp_path: Path) -> None:
    with serve(tmp_path, "--idle-minutes", "0.02", learner="webby") as served:

        async def test(http: aiohttp.ClientSession) -> None:
            tab = await session(http, served.url, {})
            assert await tab.closed() == (
                4010,
                "Ended after 0.02 minutes without a key press. Your answers are saved.",
            )

        run(test)
        wait(lambda: served.app_processes() == [], "the idle app to end", pump)
    assert "session of webby ended after 0.02 idle minutes" in served.output()


def pump() -> None:
    """Between two looks at the server's log (another process): no busy loop."""
    time.sleep(0.02)


def break_database(db_url: str) -> None:
    """Put a directory where the SQLite file was: every new app process fails to start."""
    path = Path(db_url.removeprefix("sqlite:///"))
    path.rename(path.with_suffix(".moved"))
    path.mkdir()


def test_a_session_that_dies_says_so_and_is_logged_on_the_server(tmp_path: Path) -> None:
    with serve(tmp_path, learner="webby") as served:
        break_database(served.db_url)

        async def test(http: aiohttp.ClientSession) -> None:
            tab = await session(http, served.url, {})
            code, reason = await tab.closed()
            assert code == 4500
            assert reason.startswith("quiz stopped unexpectedly. Reload to try again; ")
            assert "tell your instructor: error " in reason

        run(test)
    log = served.output()
    assert "session of webby stopped unexpectedly" in log
    assert "quiz: error:" in log  # the app's own message, for the instructor


def _load_serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "quiz_load_serve", ROOT / "scripts" / "load_serve.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"PostgreSQL: set {POSTGRES_ENV}")
def test_two_servers_on_one_postgresql_lose_and_double_no_answer(tmp_path: Path) -> None:
    """scripts/load_serve.py at a test's size: 24 learners over two servers, 3 answers each."""
    from quiz.store.scratch import postgres_schema

    load = _load_serve()
    with postgres_schema(os.environ[POSTGRES_ENV]) as db_url:
        load.prepare(db_url, tmp_path)
        with load.servers(db_url, 2, tmp_path) as bases:
            assert len(set(bases)) == 2
            result = asyncio.run(load.run(bases, 24, 3, 240.0))
        assert result.errors == []
        assert sum(result.answers.values()) == 72
        assert load.audit(db_url, result, 3) == []
