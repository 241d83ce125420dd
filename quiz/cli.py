"""The `quiz` command line: review, import, check, decks, schema, export, locate."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from quiz.domain.text import clean

if TYPE_CHECKING:
    from quiz.decks.diagnostics import Diagnostic
    from quiz.paths import Locations
    from quiz.services import Quiz


@dataclass
class Options:
    """Global options, resolved lazily so that `quiz --help` opens nothing."""

    db: str | None
    data_dir: str | None
    config: str | None
    learner: str | None

    def locations(self) -> Locations:
        from quiz.paths import resolve

        return resolve(self.db, self.data_dir, self.config)

    @contextmanager
    def open(self, *, sync_bundled: bool = True) -> Iterator[Quiz]:
        """Open the collection, with clear messages instead of tracebacks."""
        import sqlite3

        from sqlalchemy.exc import DBAPIError

        from quiz.config import ConfigError, load_settings
        from quiz.decks.diagnostics import DeckError
        from quiz.services import Quiz
        from quiz.services.decks import sync_bundled as sync
        from quiz.store.engine import StoreError, describe

        database_errors = (DBAPIError, sqlite3.Error)
        where = self.checked_locations()
        try:
            settings = load_settings(where.config_file, required=where.config_named)
            quiz = Quiz.open(where.db_url, learner=self.learner, settings=settings)
        except (ConfigError, StoreError) as exc:
            fail(str(exc))
        except database_errors as exc:
            fail(describe(exc, where.db_url))
        if quiz.backup is not None:
            click.echo(
                f"quiz: database upgraded; the old version is saved at {quiz.backup}", err=True
            )
        try:
            if sync_bundled:
                try:
                    sync(quiz)
                except DeckError as exc:  # a broken bundled deck must not lock a learner out
                    print_diagnostics(exc.diagnostics)
                    click.echo("quiz: warning: a bundled deck could not be updated", err=True)
            yield quiz
        except StoreError as exc:
            fail(str(exc))
        except database_errors as exc:
            # Damaged, read-only, locked, disk full: a sentence, never SQL or a traceback.
            fail(describe(exc, where.db_url))
        finally:
            quiz.close()

    def checked_locations(self) -> Locations:
        """The locations, with every setting a user can get wrong refused in one line."""
        from quiz.store.engine import sqlite_path

        if self.learner is not None and not self.learner.strip():
            fail("the learner name is empty; give --learner NAME (or unset QUIZ_LEARNER)")
        where = self.locations()
        if where.data_dir.exists() and not where.data_dir.is_dir():
            fail(
                f"{where.data_dir} is a file, not a folder; "
                "point --data-dir or QUIZ_HOME at a folder"
            )
        path = sqlite_path(where.db_url)
        if where.db_named and path is not None and not path.parent.is_dir():
            fail(
                f"{path.parent} does not exist (from --db or QUIZ_DB); create the folder "
                "first, or fix the path"
            )
        return where


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"quiz: error: {message}", err=True)
    sys.exit(code)


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        click.echo(str(d), err=True)


LAZY_COMMANDS: dict[str, str] = {
    "build": "quiz.commands.build:build",
    "check": "quiz.commands.check:check",
    "coverage": "quiz.commands.build:coverage",
    "diff": "quiz.commands.authoring:diff",
    "doctor": "quiz.commands.doctor:doctor",
    "export": "quiz.commands.export:export",
    "ids": "quiz.commands.authoring:ids",
    "new": "quiz.commands.authoring:new",
    "preview": "quiz.commands.preview:preview",
    "report": "quiz.commands.report:report",
    "serve": "quiz.commands.serve:serve",
    "stats": "quiz.commands.stats:stats",
}
"""Command name -> "module:attribute" of a click command in quiz.commands."""


class LazyGroup(click.Group):
    """A group whose larger commands live in quiz.commands and load only when run.

    Keeps `quiz --help` and the review start-up from importing every feature.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            import importlib

            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    envvar="QUIZ_DB",
    metavar="URL",
    help="SQLAlchemy database URL [env QUIZ_DB; default: SQLite in the data directory].",
)
@click.option(
    "--data-dir",
    envvar="QUIZ_HOME",
    metavar="DIR",
    help="Directory for the default database [env QUIZ_HOME].",
)
@click.option(
    "--config", envvar="QUIZ_CONFIG", metavar="FILE", help="Settings file (TOML) [env QUIZ_CONFIG]."
)
@click.option(
    "--learner",
    envvar="QUIZ_LEARNER",
    metavar="NAME",
    help="Whose progress to use [env QUIZ_LEARNER; default: your user name].",
)
@click.version_option(package_name="quiz")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    data_dir: str | None,
    config: str | None,
    learner: str | None,
) -> None:
    """Spaced-repetition review for medical students, in the terminal.

    Run without a command to open today's review.
    """
    ctx.obj = Options(db, data_dir, config, learner)
    if ctx.invoked_subcommand is None:
        ctx.invoke(review)


@cli.command()
@click.argument("decks", nargs=-1, metavar="[DECK_ID]...")
@click.pass_obj
def review(opts: Options, decks: tuple[str, ...]) -> None:
    """Open the review app (home screen; Enter starts today's review)."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        fail("the review app needs an interactive terminal; try `quiz decks` for a summary")
    with opts.open() as quiz:
        from quiz.services.review import deck_keys as known_decks

        unknown = [d for d in decks if d not in known_decks(quiz)]
        if unknown:
            fail(f"no deck with id {', '.join(unknown)}; `quiz decks` lists them")
        from quiz.tui.app import make_app

        make_app(quiz, list(decks) or None).run()


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would change, note by note, and whose progress it touches; import nothing.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Parse and validate files even when they are byte for byte the last import.",
)
@click.pass_obj
def import_(opts: Options, paths: tuple[Path, ...], dry_run: bool, force: bool) -> None:
    """Import deck files (or every deck file in a directory), keeping progress."""
    from quiz.commands.plan_view import plan_lines, summary, warning_lines
    from quiz.decks.diagnostics import DeckError
    from quiz.domain.plan import ImportPlan
    from quiz.services.decks import expand_paths, import_files

    def show_warnings(plan: ImportPlan) -> None:
        # Printed before anything is written, so they come before a failure too.
        for line in warning_lines(plan):
            click.echo(line, err=True)

    if not expand_paths(list(paths)):
        fail("no deck files (*.yaml) found in " + ", ".join(map(str, paths)))
    with opts.open(sync_bundled=False) as quiz:
        try:
            reports = import_files(
                quiz,
                list(paths),
                dry_run=dry_run,
                force=force,
                on_plan=None if dry_run else show_warnings,
            )
        except DeckError as exc:
            print_diagnostics(exc.diagnostics)
            fail(f"nothing imported: {_errors(exc.diagnostics)}")
    for r in reports:
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb} {r.deck_key} ({clean(r.title)}): {summary(r)}")
        if dry_run:
            for line in [*warning_lines(r), *plan_lines(r, learners=True)]:
                click.echo(line)


def _errors(diagnostics: list[Diagnostic]) -> str:
    files = {d.file for d in diagnostics}
    return f"{len(diagnostics)} error(s) in {len(files)} file(s)"


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format (json: one object, for tools).",
)


def echo_json(data: object) -> None:
    """Print one JSON document (deck text as written: JSON escapes what a terminal would run)."""
    import json

    click.echo(json.dumps(data, indent=2))


@cli.command()
@FORMAT_OPTION
@click.pass_obj
def decks(opts: Options, fmt: str) -> None:
    """List decks with today's new, due and re-drill counts."""
    from quiz.services.overview import deck_overview, deck_sizes, today_progress

    with opts.open() as quiz:
        rows = deck_overview(quiz)
        sizes = deck_sizes(quiz)
        today = today_progress(quiz)
    if fmt == "json":
        echo_json(
            {
                "decks": [
                    {
                        "deck": r.key,
                        "title": r.title,
                        "new": r.new,
                        "due": r.due,
                        "redrill": r.redrill,
                        "cards": sizes.get(r.key, 0),
                    }
                    for r in rows
                ],
                "today": {"answers": today.answers, "streak": today.streak},
            }
        )
        return
    if not rows:
        click.echo("No decks yet: `quiz import PATH` adds one.")
        return
    width = max(len(r.key) for r in rows)
    click.echo(f"{'deck':<{width}}  {'new':>5} {'due':>5} {'redrill':>7} {'cards':>6}  title")
    for r in rows:
        click.echo(
            f"{r.key:<{width}}  {r.new:>5} {r.due:>5} {r.redrill:>7} {sizes.get(r.key, 0):>6}  "
            f"{clean(r.title)}"
        )
    click.echo(f"today: {today.answers} answer(s); streak {today.streak} day(s)")


@cli.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file instead of standard output.",
)
@click.option(
    "--facts", "facts", is_flag=True, help="The schema of facts files (`quiz build` input) instead."
)
def schema(output: Path | None, facts: bool) -> None:
    """Print the JSON Schema of deck files (for editor completion and validation)."""
    if facts:
        from quiz.decks.generate import facts_json_schema_text

        text = facts_json_schema_text()
    else:
        from quiz.decks.schema import json_schema_text

        text = json_schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@cli.command()
@click.pass_obj
def locate(opts: Options) -> None:
    """Show where the database and settings live."""
    from quiz.store.engine import sqlite_path

    where = opts.locations()
    path = sqlite_path(where.db_url)
    click.echo(f"database: {path if path is not None else where.db_url}")
    click.echo(
        f"settings: {where.config_file}" + ("" if where.config_file.exists() else " (not created)")
    )
    click.echo(f"data dir: {where.data_dir}")


@cli.command()
@click.argument("refs", nargs=-1)
@click.option("--leeches", is_flag=True, help="Unsuspend every suspended leech.")
@click.pass_obj
def unsuspend(opts: Options, refs: tuple[str, ...], leeches: bool) -> None:
    """Unsuspend cards given as DECK:NOTE[:CARD] (see `quiz suspended`)."""
    from quiz.services.cards import resolve_card
    from quiz.services.review import suspended_cards
    from quiz.services.review import unsuspend as do_unsuspend

    if not refs and not leeches:
        fail("name the cards to unsuspend (DECK:NOTE[:CARD], see `quiz suspended`) or --leeches")
    with opts.open(sync_bundled=False) as quiz:
        ids: list[int] = []
        with quiz.store.read() as conn:
            for ref in refs:
                card_id, close = resolve_card(conn, ref)
                if card_id is None:
                    hint = f"; did you mean {' or '.join(close)}?" if close else "."
                    fail(
                        f"no card {ref!r}{hint} Cards are named DECK:NOTE or DECK:NOTE:CARD, "
                        "as `quiz suspended` lists them"
                    )
                ids.append(card_id)
        if leeches:
            ids += [c.card_id for c in suspended_cards(quiz) if c.leech]
        count = do_unsuspend(quiz, ids)
    click.echo(f"unsuspended {count} card(s)")


@cli.command()
@FORMAT_OPTION
@click.pass_obj
def suspended(opts: Options, fmt: str) -> None:
    """List suspended cards (leeches marked)."""
    from quiz.services.review import suspended_cards

    with opts.open(sync_bundled=False) as quiz:
        rows = suspended_cards(quiz)
    if fmt == "json":
        echo_json({"suspended": [{"card": r.ref, "leech": r.leech} for r in rows]})
        return
    for r in rows:
        click.echo(f"{r.ref}{'  (leech)' if r.leech else ''}")
    click.echo(f"{len(rows)} suspended card(s)", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="quiz")
