"""`quiz doctor`: check the database and repair what can be repaired safely."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.cli import FORMAT_OPTION, Options, echo_json, fail

if TYPE_CHECKING:
    from quiz.services.doctor import DoctorReport


@click.command()
@click.option(
    "--repair/--check-only",
    default=True,
    show_default=True,
    help="Repair what can be repaired safely (after a backup), or only report.",
)
@FORMAT_OPTION
@click.pass_obj
def doctor(opts: Options, repair: bool, fmt: str) -> None:
    """Check the database: file integrity, orphaned rows, card states against the review log.

    Like Anki's Check Database. Before changing anything in a SQLite file it
    saves a backup beside it and says where. A damaged file is never changed:
    doctor lists the backups to restore instead. Exits 0 when the database is
    healthy or was fully repaired, 1 when problems remain.
    """
    from sqlalchemy.exc import DBAPIError

    from quiz.services.doctor import access_report, damaged_report, run_doctor, sqlite_damage
    from quiz.store.engine import StoreError, describe, open_store, sqlite_path
    from quiz.store.health import access_problem

    where = opts.checked_locations()
    path = sqlite_path(where.db_url)
    if path is not None and _looks_like_sqlite(path):
        # Before opening: quiz would migrate and write to the file, which must not
        # happen to a damaged one.
        damage = sqlite_damage(path)
        if damage:
            _print(damaged_report(path, damage), fmt)
            sys.exit(1)
        # A sound file quiz cannot write (read-only mount, permission, immutable) is
        # reported as such, never as damage with advice to restore an older backup.
        problem = access_problem(path)
        if problem is not None:
            _print(access_report(path, problem.sentence))
            sys.exit(1)
    # The store is opened directly, not through Options.open: that would also create
    # a learner profile, and on SQLite a new learner can take the id of a deleted one
    # and silently adopt the orphaned progress doctor is about to report.
    try:
        store, backup = open_store(where.db_url, now=datetime.now(UTC))
    except StoreError as exc:
        fail(str(exc))
    if backup is not None:
        click.echo(f"quiz: database upgraded; the old version is saved at {backup}", err=True)
    try:
        report = run_doctor(
            store,
            repair=repair,
            now=datetime.now(UTC),
            check_file=False,
            # With JSON on stdout, the backup's path goes to stderr (and is in the JSON).
            on_backup=lambda p: click.echo(
                f"backed up the database to {p} before repairing", err=fmt == "json"
            ),
        )
    except DBAPIError as exc:
        fail(describe(exc, where.db_url))
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.dispose()
    _print(report, fmt)
    sys.exit(0 if report.ok else 1)


def _looks_like_sqlite(path: Path) -> bool:
    # Anything else (a text file, another format, a FIFO) gets open_store's clear refusal.
    from quiz.files import InputFileError, check_regular

    try:
        check_regular(path)
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except (OSError, InputFileError):
        return False


def _print(report: DoctorReport, fmt: str = "text") -> None:
    if fmt == "json":
        echo_json(_json(report))
        return
    click.echo(f"database: {report.database}")
    if report.checked:
        tables = ", ".join(f"{n} {t}" for t, n in report.checked.items())
        click.echo(f"checked: {tables}")
    for f in report.findings:
        if f.repaired:
            outcome = "done"
        elif f.repairable and f.level == "problem":
            outcome = "not done (--check-only)"
        else:
            outcome = ""
        click.echo(f"{f}\n  -> {f.repair}" + (f": {outcome}" if outcome else ""))
    if report.removed:
        click.echo(
            "removed: " + ", ".join(f"{n} row(s) from {t}" for t, n in report.removed.items())
        )
    for backup in report.backups:
        click.echo(f"backup available: {backup}")
    if not report.ok:
        click.echo(f"{len(report.remaining)} problem(s) remain", err=True)
    elif any(f.repaired for f in report.findings):
        click.echo("all problems repaired")
    else:
        click.echo("no problems found")


def _json(report: DoctorReport) -> dict[str, object]:
    return {
        "database": report.database,
        "ok": report.ok,
        "checked": report.checked,
        "findings": [
            {
                "check": f.check,
                "level": str(f.level),
                "message": f.message,
                "count": f.count,
                "repairable": f.repairable,
                "repaired": f.repaired,
                "repair": f.repair,
            }
            for f in report.findings
        ],
        "removed": report.removed,
        "backup": None if report.backup is None else str(report.backup),
        "backups": [str(b) for b in report.backups],
    }
