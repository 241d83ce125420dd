"""`quiz report`: item analysis for instructors, per card across every learner (text or CSV)."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import click

from quiz.cli import Options, fail
from quiz.domain.text import clean

if TYPE_CHECKING:
    from quiz.services.report import CardStats

CSV_COLUMNS = [
    "deck",
    "note",
    "card",
    "type",
    "question",
    "reviews",
    "learners",
    "first_answers",
    "first_try_passed",
    "first_try_accuracy",
    "average_ef",
    "lapses",
    "leeches",
    "flagged",
    "flag_notes",
]

_PROMPT_WIDTH = 60


@click.command()
@click.option("--deck", "deck_key", metavar="ID", help="Only this deck.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV (one row per card) instead.")
@click.option(
    "--min-reviews",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    metavar="N",
    help="Leave out cards with fewer scheduled answers, unless a learner flagged them.",
)
@click.pass_obj
def report(opts: Options, deck_key: str | None, as_csv: bool, min_reviews: int) -> None:
    """Per card, across all learners: reviews, first-try accuracy, EF, lapses, leeches, flags.

    Worst cards first: flagged, then leeches, then the lowest share of learners
    who got the card right the first time, the most lapses and the lowest
    average EF. Fix or rewrite them in the deck, then re-import.
    """
    from quiz.services.report import card_report, deck_exists

    with opts.open(sync_bundled=False) as quiz, quiz.store.read() as conn:
        if deck_key is not None and not deck_exists(conn, deck_key):
            fail(f"no deck with id {deck_key}; `quiz decks` lists them")
        rows = card_report(conn, deck_key=deck_key, min_reviews=min_reviews)
    if as_csv:
        click.echo(_csv(rows), nl=False)
        return
    if not rows:
        click.echo("No card has been reviewed or flagged yet.")
        return
    _text(rows)


def _csv(rows: list[CardStats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.deck,
                r.note,
                r.ord,
                str(r.type),
                r.prompt,
                r.reviews,
                r.learners,
                r.first_answers,
                r.first_passed,
                _decimal(r),
                "" if r.average_ef is None else str(r.average_ef),
                r.lapses,
                r.leeches,
                len(r.flags),
                " | ".join(f.note for f in r.flags if f.note),
            ]
        )
    return out.getvalue()


def _decimal(r: CardStats) -> str:
    share = r.first_try
    if share is None:
        return ""
    exact = Decimal(share.numerator) / share.denominator
    return str(exact.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _percent(r: CardStats) -> str:
    share = r.first_try
    if share is None:
        return "-"
    exact = Decimal(share.numerator * 100) / share.denominator
    return f"{exact.quantize(Decimal(1), ROUND_HALF_UP)}%"


def _text(rows: list[CardStats]) -> None:
    width = max(len("card"), *(len(r.ref) for r in rows))
    click.echo(
        f"{'card':<{width}}  {'reviews':>7} {'learners':>8} {'first-try':>9} {'avg EF':>6} "
        f"{'lapses':>6} {'leeches':>7} {'flags':>5}  question"
    )
    for r in rows:
        first = _percent(r)
        ef = "-" if r.average_ef is None else str(r.average_ef)
        prompt = " ".join(clean(r.prompt).split())  # deck text never drives the terminal
        if len(prompt) > _PROMPT_WIDTH:
            prompt = prompt[: _PROMPT_WIDTH - 3] + "..."
        click.echo(
            f"{r.ref:<{width}}  {r.reviews:>7} {r.learners:>8} {first:>9} {ef:>6} "
            f"{r.lapses:>6} {r.leeches:>7} {len(r.flags):>5}  {prompt}"
        )
        for flag in r.flags:
            click.echo(
                f"{'':<{width}}  flagged {flag.at:%Y-%m-%d}: {clean(flag.note) or '(no note)'}"
            )
    flagged = sum(1 for r in rows if r.flags)
    click.echo(f"{len(rows)} card(s); {flagged} flagged", err=True)
