"""`quiz serve`: the review app in web browsers, served by textual-serve (one app per tab).

textual-serve runs a command for every browser connection and relays the
terminal over a websocket. Here that command is this module run as a script
(``python -m quiz.commands.serve --learner NAME``), which finds the database and
settings given to `quiz serve` in QUIZ_DB, QUIZ_HOME and QUIZ_CONFIG; so each tab
gets the very app `quiz` opens in a terminal, in its own process (about 70 MB, and
one database connection, per open tab).

Whose progress a tab uses:

* by default, one learner per server: ``--learner`` (or QUIZ_LEARNER, or the OS
  user running the server), exactly as in the terminal. Anyone who can reach the
  port studies as that learner, so the server binds to 127.0.0.1 unless told
  otherwise.
* with ``--learner-header NAME``, the learner of each connection is the value of
  that request header, which an authenticating reverse proxy in front of quiz sets
  (for example nginx's ``proxy_set_header X-Remote-User $remote_user``). quiz does
  no log-in of its own: it trusts the header, so it must only be reachable through
  the proxy. Requests without a valid header are refused (403).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import click

from quiz.cli import Options, fail

if TYPE_CHECKING:
    from aiohttp import web

LEARNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
"""What a learner name taken from a request header may look like."""


def child_command(learner: str, decks: tuple[str, ...]) -> str:
    """The shell command textual-serve runs for one browser connection.

    The database URL (which may hold a password) is not on it, where `ps` would show
    it to every user of the server: the child finds it in QUIZ_DB, set by ``export``.
    """
    args = [sys.executable, "-m", "quiz.commands.serve", "--learner", learner]
    return shlex.join([*args, "--", *decks])


def export(opts: Options, environ: MutableMapping[str, str]) -> None:
    """Put --db, --data-dir and --config in the environment the app processes inherit."""
    for var, value in (
        ("QUIZ_DB", opts.db),
        ("QUIZ_HOME", opts.data_dir),
        ("QUIZ_CONFIG", opts.config),
    ):
        if value is not None:
            environ[var] = value


def header_learner(value: str | None) -> str | None:
    """The learner named by a proxy's header value, or None if it is missing or malformed."""
    if value is None:
        return None
    value = value.strip()
    return value if LEARNER_NAME.fullmatch(value) else None


def make_server(
    decks: tuple[str, ...],
    *,
    learner: str,
    host: str,
    port: int,
    public_url: str | None,
    learner_header: str | None,
) -> Any:
    """Build the textual-serve server (imported here: only `quiz serve` needs aiohttp)."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class QuizServer(Server):
        """textual-serve's server, with the command chosen per connection."""

        def _command(self, request: web.Request) -> str:
            if learner_header is None:
                return child_command(learner, decks)
            name = header_learner(request.headers.get(learner_header))
            if name is None:
                raise web.HTTPForbidden(text=f"quiz: no valid {learner_header} header\n")
            return child_command(name, decks)

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            self._command(request)  # refuse before serving the page
            response: web.StreamResponse = await super().handle_index(request)
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            # textual-serve 1.1.3's handler, with the command taken from the request.
            command = self._command(request)
            websocket = web.WebSocketResponse(heartbeat=15)
            width = _int(request.query.get("width"), 80)
            height = _int(request.query.get("height"), 24)
            service: AppService | None = None

            async def close() -> None:
                await websocket.close()

            try:
                await websocket.prepare(request)
                service = AppService(
                    command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                )
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            finally:
                if service is not None:
                    await service.stop()
            return websocket

    return QuizServer(
        child_command(learner, decks),
        host=host,
        port=port,
        title="quiz",
        public_url=public_url,
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@click.command()
@click.argument("decks", nargs=-1, metavar="[DECK_ID]...")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface; see --learner-header).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use, when behind a reverse proxy (e.g. https://quiz.example.edu).",
)
@click.option(
    "--learner-header",
    metavar="HEADER",
    help="Take each connection's learner from this request header, set by an authenticating "
    "reverse proxy (e.g. X-Remote-User); connections without it are refused.",
)
@click.pass_obj
def serve(
    opts: Options,
    decks: tuple[str, ...],
    host: str,
    port: int,
    public_url: str | None,
    learner_header: str | None,
) -> None:
    """Serve the review app to web browsers (textual-serve); one app process per tab.

    Every tab studies as --learner (default: your user name), unless
    --learner-header names a header set by an authenticating reverse proxy.
    """
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        fail("`quiz serve` needs textual-serve: pip install 'textual-serve==1.1.3'")
    # Open once here: the schema is migrated and the bundled decks synced before the
    # first tab connects, and a wrong --db or deck id is reported now, not in a browser.
    with opts.open() as quiz:
        from quiz.services.review import deck_keys as known_decks

        unknown = [d for d in decks if d not in known_decks(quiz)]
        learner = quiz.learner
    if unknown:
        fail(f"no deck with id {', '.join(unknown)}; `quiz decks` lists them")
    who = f"learner from the {learner_header} header" if learner_header else f"learner {learner}"
    click.echo(f"quiz: serving the review app ({who}) on http://{host}:{port}", err=True)
    export(opts, os.environ)
    make_server(
        decks,
        learner=learner,
        host=host,
        port=port,
        public_url=public_url,
        learner_header=learner_header,
    ).serve()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--learner", required=True)
@click.argument("decks", nargs=-1)
def app_process(learner: str, decks: tuple[str, ...]) -> None:
    """Run the review app for one browser tab (textual-serve starts this; stdin is a pipe).

    The database, data directory and settings come from QUIZ_DB, QUIZ_HOME and QUIZ_CONFIG.
    """
    from quiz.tui.app import make_app

    with Options(None, None, None, learner).open() as quiz:
        make_app(quiz, list(decks) or None).run()


if __name__ == "__main__":
    app_process.main(prog_name="quiz-serve-app")
