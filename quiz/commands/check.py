"""`quiz check`: every error and warning of deck files in one run, once or on every save."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.cli import fail

if TYPE_CHECKING:
    from quiz.decks.diagnostics import Diagnostic
    from quiz.decks.loader import LoadedDeck


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format."
)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running and check again whenever a file changes (Ctrl-C stops).",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.01, 60),
    default=0.5,
    show_default=True,
    metavar="SECONDS",
    help="With --watch: how often to look for changes.",
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The deck's previous version (e.g. from git): every `from:` must name one of its cards.",
)
def check(
    paths: tuple[Path, ...], fmt: str, watch: bool, interval: float, previous: Path | None
) -> None:
    """Validate deck files without importing them.

    Prints every problem as FILE:LINE:COLUMN: SEVERITY: MESSAGE and exits 1 if
    any is an error. Every note that can be read is checked, so one run shows
    everything there is to fix. With --watch it checks again on every save,
    for keeping it open beside the editor. With --previous, each `from:` must name a
    card of that earlier version of the deck.
    """
    from quiz.cli import print_diagnostics
    from quiz.decks.diagnostics import DeckError
    from quiz.decks.loader import load_deck
    from quiz.services.decks import expand_paths

    files = expand_paths(list(paths))
    if not files and not watch:
        fail("no deck files (*.yaml) found in " + ", ".join(map(str, paths)))
    before = None
    if previous is not None:
        try:
            before = load_deck(previous)
        except DeckError as exc:
            print_diagnostics(exc.diagnostics)
            fail(f"cannot check `from:` against {previous}: it has errors")
    if not watch:
        sys.exit(1 if _check_files(files, fmt, before) else 0)
    import time

    seen: object = None
    try:
        while True:
            files = expand_paths(list(paths))
            now = _stamps([*paths, *files])
            if now != seen:
                seen = now
                click.echo(f"--- {time.strftime('%H:%M:%S')}: checking", err=True)
                _check_files(files, fmt, before)
            time.sleep(interval)
    except KeyboardInterrupt:
        sys.exit(0)


def _stamps(paths: list[Path]) -> list[tuple[str, int, int]]:
    """What changes when a file is saved (or a deck file is added to a folder)."""
    out = []
    for p in paths:
        try:
            info = p.stat()
        except OSError:
            out.append((str(p), -1, -1))
            continue
        out.append((str(p), info.st_mtime_ns, info.st_size))
    return out


def _check_files(files: list[Path], fmt: str, before: LoadedDeck | None = None) -> int:
    """Check and print; returns the number of errors.

    Args:
        before: The deck's previous version, whose cards each `from:` must name.
    """
    from quiz.decks.diagnostics import Severity
    from quiz.decks.loader import check_deck, load_deck

    found: list[Diagnostic] = []
    for f in files:
        diagnostics = check_deck(f)
        found.extend(diagnostics)
        if before is not None and not any(d.severity is Severity.ERROR for d in diagnostics):
            from quiz.services.report import move_problems

            found.extend(move_problems(before, load_deck(f)))
    errors = sum(1 for d in found if d.severity is Severity.ERROR)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"files": [str(f) for f in files], "diagnostics": [d.as_dict() for d in found]},
                indent=2,
            )
        )
    else:
        for d in found:
            click.echo(str(d))
        warnings = len(found) - errors
        click.echo(
            f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s)", err=True
        )
    return errors
