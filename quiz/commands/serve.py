"""`quiz serve`: the review app in web browsers, served by textual-serve (one app per tab).

textual-serve runs a command for every browser connection and relays the
terminal over a websocket. Here that command is this module run as a script
(``python -P -m quiz.commands.serve --learner NAME``; ``-P`` keeps the current
directory off ``sys.path``, so only the installed quiz is imported), which finds
the database and settings given to `quiz serve` in QUIZ_DB, QUIZ_HOME and
QUIZ_CONFIG; so each tab gets the very app `quiz` opens in a terminal, in its own
process (one database connection per open tab). quiz.web.server guards and bounds
the connections.

Whose progress a tab uses:

* by default, one learner per server: ``--learner`` (or QUIZ_LEARNER, or the OS
  user running the server), exactly as in the terminal. Anyone who can reach the
  port studies as that learner, so the server binds to 127.0.0.1 unless told
  otherwise, and pages of other sites may not open it (the Origin check).
* with ``--learner-header NAME``, the learner of each connection is the value of
  that request header, which an authenticating reverse proxy in front of quiz sets
  (for example nginx's ``proxy_set_header X-Remote-User $remote_user``). quiz does
  no log-in of its own: it trusts the header, so it must only be reachable through
  the proxy. Requests without a valid header are refused (403).
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import sys
from collections.abc import MutableMapping

import click

from quiz.cli import Options, fail
from quiz.web.guard import Limits

LEARNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
"""What a learner name taken from a request header may look like."""


def child_command(learner: str, decks: tuple[str, ...]) -> str:
    """The shell command textual-serve runs for one browser connection.

    The database URL (which may hold a password) is not on it, where `ps` would show
    it to every user of the server: the child finds it in QUIZ_DB, set by ``export``.
    """
    args = [sys.executable, "-P", "-m", "quiz.commands.serve", "--learner", learner]
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


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.argument("decks", nargs=-1, metavar="[DECK_ID]...")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface; then --public-url is needed).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address browsers use (e.g. https://quiz.example.edu behind a reverse proxy); "
    "pages and websockets from other origins are refused.",
)
@click.option(
    "--allow-origin",
    "allow_origins",
    metavar="URL",
    multiple=True,
    help="Another origin whose pages may open the app (repeatable).",
)
@click.option(
    "--learner-header",
    metavar="HEADER",
    help="Take each connection's learner from this request header, set by an authenticating "
    "reverse proxy (e.g. X-Remote-User); connections without it are refused.",
)
@click.option(
    "--max-sessions",
    type=click.IntRange(1),
    default=Limits.max_sessions,
    show_default=True,
    help="Open browser tabs on the whole server (each is one app process).",
)
@click.option(
    "--max-per-learner",
    type=click.IntRange(1),
    default=Limits.max_per_learner,
    show_default=True,
    help="Open tabs of one learner.",
)
@click.option(
    "--rate",
    "per_minute",
    type=click.IntRange(1),
    default=Limits.per_minute,
    show_default=True,
    help="New sessions a minute from one learner (behind a proxy) or one address.",
)
@click.option(
    "--idle-minutes",
    type=click.FloatRange(min=0.01),
    default=Limits.idle_minutes,
    show_default=True,
    help="End a session after this long without a key press (answers are already saved).",
)
@click.option(
    "--max-size",
    metavar="COLSxROWS",
    default=f"{Limits.max_width}x{Limits.max_height}",
    show_default=True,
    help="Largest terminal a browser may ask for; larger windows are clamped.",
)
@click.pass_obj
def serve(
    opts: Options,
    decks: tuple[str, ...],
    host: str,
    port: int,
    public_url: str | None,
    allow_origins: tuple[str, ...],
    learner_header: str | None,
    max_sessions: int,
    max_per_learner: int,
    per_minute: int,
    idle_minutes: float,
    max_size: str,
) -> None:
    """Serve the review app to web browsers (textual-serve); one app process per tab.

    Every tab studies as --learner (default: your user name), unless
    --learner-header names a header set by an authenticating reverse proxy.
    """
    from quiz.web.guard import BadOrigin, OriginPolicy
    from quiz.web.server import Access, QuizServer

    size = re.fullmatch(r"(\d{2,4})x(\d{1,4})", max_size.strip())
    if size is None:
        fail(f"--max-size {max_size!r}: write columns x rows, for example 240x80")
    if public_url is None:
        if not is_loopback(host):
            fail(
                f"--host {host} is reachable from other machines: give the address browsers "
                "use with --public-url (for example --public-url http://quiz.example.edu:8000)"
            )
        public_url = f"http://{host}:{port}"
    public_url = public_url.rstrip("/")
    try:
        policy = OriginPolicy.build(public_url, allow_origins)
    except BadOrigin as exc:
        fail(f"--public-url/--allow-origin: {exc}")
    limits = Limits(
        max_sessions=max_sessions,
        max_per_learner=max_per_learner,
        per_minute=per_minute,
        idle_minutes=idle_minutes,
        max_width=int(size.group(1)),
        max_height=int(size.group(2)),
    )
    # Open once here: the schema is migrated and the bundled decks synced before the
    # first tab connects, and a wrong --db or deck id is reported now, not in a browser.
    with opts.open() as quiz:
        from quiz.services.review import deck_keys as known_decks

        unknown = [d for d in decks if d not in known_decks(quiz)]
        learner = quiz.learner
    if unknown:
        fail(f"no deck with id {', '.join(unknown)}; `quiz decks` lists them")
    who = f"learner from the {learner_header} header" if learner_header else f"learner {learner}"
    click.echo(f"quiz: serving the review app ({who}) on {public_url}", err=True)
    export(opts, os.environ)
    access = Access(
        policy=policy,
        command_for=lambda name: child_command(name, decks),
        learner=None if learner_header else learner,
        learner_header=learner_header,
        header_learner=header_learner,
    )
    try:
        QuizServer(access, limits, host=host, port=port, public_url=public_url).serve()
    except OSError as exc:  # the address is taken, or not this machine's
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port")


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
