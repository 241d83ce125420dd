"""`quiz report`: item analysis for instructors, per card across every learner (text, JSON, CSV).

Every piece of deck or learner text goes through one sanitiser: ``clean`` for the
terminal (no escapes, controls or bidi overrides) and ``csv_cell`` for CSV (the same,
plus OWASP's formula neutralising), so a hostile deck cannot drive the terminal or
the spreadsheet the report is opened in.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import click

from quiz.cli import Options, fail
from quiz.domain.text import clean, csv_cell

if TYPE_CHECKING:
    from quiz.domain.items import Choice
    from quiz.services.report import CardStats, LearnerStats

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
    "n",
    "p",
    "point_biserial",
    "upper_lower",
    "findings",
    "caveat",
    "distractors",
]

LEARNER_COLUMNS = [
    "learner",
    "cards_answered",
    "first_try_correct",
    "accuracy",
    "answers",
    "weakest_tags",
]

_PROMPT_WIDTH = 50


@click.command()
@click.option("--deck", "deck_key", metavar="ID", help="Only this deck.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv"]),
    default=None,
    help="Output format (default text).",
)
@click.option("--csv", "as_csv", is_flag=True, help="Same as --format csv.")
@click.option(
    "--by-learner",
    is_flag=True,
    help="One row per learner instead: first-try accuracy and weakest tags.",
)
@click.option(
    "--min-reviews",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    metavar="N",
    help="Leave out cards with fewer scheduled answers, unless a learner flagged them.",
)
@click.pass_obj
def report(
    opts: Options,
    deck_key: str | None,
    fmt: str | None,
    as_csv: bool,
    by_learner: bool,
    min_reviews: int,
) -> None:
    """Item analysis per card, across all learners: difficulty, discrimination, distractors.

    From each learner's first attempt at each card: p (share correct), the
    point-biserial against the rest-score and the upper-lower 27% index, and for
    multiple choice how often each option drew the upper and the lower group.
    Worst cards first: likely miskeys, negative discrimination, student flags,
    near-zero discrimination, too hard or too easy, dead distractors (README:
    "Find weak and ambiguous cards"). Fix them in the deck, then re-import.
    """
    from quiz.services.report import card_report, deck_exists, learner_report

    if as_csv and fmt not in (None, "csv"):
        fail("--csv and --format disagree; use one of them")
    fmt = "csv" if as_csv else fmt or "text"
    with opts.open(sync_bundled=False) as quiz, quiz.store.read() as conn:
        if deck_key is not None and not deck_exists(conn, deck_key):
            fail(f"no deck with id {deck_key}; `quiz decks` lists them")
        if by_learner:
            people = learner_report(conn, deck_key=deck_key)
        else:
            rows = card_report(conn, deck_key=deck_key, min_reviews=min_reviews)
    if by_learner:
        _learners(people, fmt)
        return
    if fmt == "csv":
        click.echo(_csv(rows), nl=False)
    elif fmt == "json":
        click.echo(json.dumps({"items": [item_json(r) for r in rows]}, indent=2))
    elif not rows:
        click.echo("No card has been reviewed or flagged yet.")
    else:
        _text(rows)


# --- values --------------------------------------------------------------------------------


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _accuracy(r: CardStats) -> str:
    share = r.first_try
    if share is None:
        return ""
    exact = Decimal(share.numerator) / share.denominator
    return str(exact.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _fixed(value: float | None, places: int = 2, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{places}f}" if sign else f"{value:.{places}f}"


def choice_json(c: Choice) -> dict[str, Any]:
    return {
        "option": c.option or None,
        "label": c.label,
        "text": c.text,
        "key": c.key,
        "all": c.all,
        "upper": c.upper,
        "lower": c.lower,
    }


def item_json(r: CardStats) -> dict[str, Any]:
    """One card's figures for `--format json` (deck text as written: JSON escapes it)."""
    items = r.items
    return {
        "ref": r.ref,
        "deck": r.deck,
        "note": r.note,
        "card": r.ord,
        "type": str(r.type),
        "question": r.prompt,
        "n": items.n if items else 0,
        "correct": items.correct if items else 0,
        "p": _round(items.p) if items else None,
        "discrimination": {
            "point_biserial": _round(items.r_pb) if items else None,
            "upper_lower": _round(items.d) if items else None,
            "group_size": items.group_size if items else 0,
        },
        "caveat": items.caveat if items else None,
        "flags": [{"issue": f.issue.name.lower(), "text": f.text} for f in r.findings],
        "student_flags": [{"at": f.at.isoformat(), "reason": f.note or None} for f in r.flags],
        "distractors": [choice_json(c) for c in items.choices] if items else [],
        "reviews": r.reviews,
        "learners": r.learners,
        "lapses": r.lapses,
        "leeches": r.leeches,
        "average_ef": None if r.average_ef is None else float(r.average_ef),
    }


def _distractors(choices: tuple[Choice, ...]) -> str:
    return " | ".join(
        f"{c.label}{'*' if c.key else ''} {c.text}: {c.all} (upper {c.upper}, lower {c.lower})"
        for c in choices
    )


# --- CSV ---------------------------------------------------------------------------------


def _csv(rows: list[CardStats]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        items = r.items
        values: list[object] = [
            r.deck,
            r.note,
            r.ord,
            str(r.type),
            r.prompt,
            r.reviews,
            r.learners,
            r.first_answers,
            r.first_passed,
            _accuracy(r),
            "" if r.average_ef is None else str(r.average_ef),
            r.lapses,
            r.leeches,
            len(r.flags),
            " | ".join(f.note for f in r.flags if f.note),
            items.n if items else 0,
            _fixed(items.p, 3) if items and items.p is not None else "",
            _fixed(items.r_pb, 3) if items and items.r_pb is not None else "",
            _fixed(items.d, 3) if items and items.d is not None else "",
            "; ".join(f.text for f in r.findings),
            (items.caveat or "") if items else "",
            _distractors(items.choices) if items else "",
        ]
        writer.writerow([csv_cell(v) for v in values])
    return out.getvalue()


# --- text --------------------------------------------------------------------------------


def _one_line(text: str | None, width: int) -> str:
    line = " ".join(clean(text).split())  # deck text never drives the terminal
    return line if len(line) <= width else line[: width - 3] + "..."


def _text(rows: list[CardStats]) -> None:
    from quiz.domain.items import MIN_FLAG_N, SMALL_N

    width = max(len("card"), *(len(r.ref) for r in rows))
    click.echo(
        f"{'card':<{width}}  {'n':>4} {'p':>5} {'r_pb':>5} {'D':>5} {'lapses':>6} "
        f"{'leeches':>7} {'flags':>5}  question"
    )
    small = 0
    for r in rows:
        items = r.items
        n = str(items.n) if items else "0"
        if items is None or items.n < SMALL_N:
            n += "*"
            small += 1
        p = _fixed(items.p) if items else "-"
        r_pb = _fixed(items.r_pb, sign=True) if items else "-"
        d = _fixed(items.d, sign=True) if items else "-"
        click.echo(
            f"{r.ref:<{width}}  {n:>4} {p:>5} {r_pb:>5} {d:>5} {r.lapses:>6} "
            f"{r.leeches:>7} {len(r.flags):>5}  {_one_line(r.prompt, _PROMPT_WIDTH)}"
        )
        pad = " " * (width + 2)
        for finding in r.findings:
            click.echo(f"{pad}! {_one_line(finding.text, 100)}")
        for flag in r.flags:
            reason = _one_line(flag.note, 100) if flag.note else "(no reason given)"
            click.echo(f"{pad}  flagged {flag.at:%Y-%m-%d}: {reason}")
        if items is not None and items.choices and r.findings:
            click.echo(f"{pad}  {'option':<40} {'all':>4} {'upper':>5} {'lower':>5}")
            for c in items.choices:
                label = f"{c.label}{'*' if c.key else ' '} {_one_line(c.text, 36)}"
                click.echo(f"{pad}  {label:<40} {c.all:>4} {c.upper:>5} {c.lower:>5}")
    flagged = sum(1 for r in rows if r.flags)
    with_findings = sum(1 for r in rows if r.findings)
    click.echo(
        f"{len(rows)} card(s); {with_findings} with findings; {flagged} flagged by learners",
        err=True,
    )
    if small:
        click.echo(
            f"* n < {SMALL_N}: small sample, read with care; below {MIN_FLAG_N} first "
            "attempts no statistical flag is raised",
            err=True,
        )


# --- per learner -------------------------------------------------------------------------


def _learners(people: list[LearnerStats], fmt: str) -> None:
    def weakest(p: LearnerStats) -> str:
        return ", ".join(f"{t.tag} {t.share:.0%} ({t.answered})" for t in p.weakest)

    if fmt == "json":
        data = [
            {
                "learner": p.name,
                "cards_answered": p.answered,
                "first_try_correct": p.correct,
                "accuracy": _round(p.accuracy),
                "answers": p.answers,
                "weakest_tags": [
                    {"tag": t.tag, "correct": t.correct, "answered": t.answered} for t in p.weakest
                ],
            }
            for p in people
        ]
        click.echo(json.dumps({"learners": data}, indent=2))
        return
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(LEARNER_COLUMNS)
        for p in people:
            values: list[object] = [
                p.name,
                p.answered,
                p.correct,
                _fixed(p.accuracy, 3) if p.accuracy is not None else "",
                p.answers,
                weakest(p),
            ]
            writer.writerow([csv_cell(v) for v in values])
        click.echo(out.getvalue(), nl=False)
        return
    if not people:
        click.echo("No learner has answered a card yet.")
        return
    width = max(len("learner"), *(len(_one_line(p.name, 30)) for p in people))
    click.echo(f"{'learner':<{width}}  {'cards':>5} {'first-try':>9} {'answers':>7}  weakest tags")
    for p in people:
        accuracy = "-" if p.accuracy is None else f"{p.accuracy:.0%}"
        click.echo(
            f"{_one_line(p.name, 30):<{width}}  {p.answered:>5} {accuracy:>9} {p.answers:>7}  "
            f"{_one_line(weakest(p), 80) or '-'}"
        )
