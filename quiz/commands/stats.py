"""`quiz stats`: where a learner stands, as text for 80 columns or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

import click

from quiz.cli import Options, fail

if TYPE_CHECKING:
    from quiz.services.stats import Distribution, Stats

WIDTH = 80
BAR_HEIGHT = 6
TIME_HEIGHT = 4


@click.command()
@click.option("--deck", metavar="DECK_ID", help="Only this deck (see `quiz decks`).")
@click.option("--tag", metavar="TAG", help="Only notes with this tag or a tag under it.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(opts: Options, deck: str | None, tag: str | None, as_json: bool) -> None:
    """Statistics: reviews per day, streak, forecast, retention, cards, weak topics, time."""
    from quiz.services.stats import UnknownScope, compute_stats

    with opts.open() as quiz:
        try:
            figures = compute_stats(quiz, deck=deck, tag=tag)
        except UnknownScope as exc:
            fail(str(exc))
    if as_json:
        click.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(render(figures)))


def render(s: Stats) -> list[str]:
    """The statistics as lines of at most 80 characters."""
    return [
        *_heading(s),
        "",
        *_activity(s),
        "",
        *_forecast(s),
        "",
        *_retention(s),
        "",
        *_cards(s),
        "",
        *_topics(s),
        "",
        *_hardest(s),
        "",
        *_time(s),
    ]


def _heading(s: Stats) -> list[str]:
    from quiz.charts import printable

    scope = []
    if s.deck is not None:
        scope.append(f"deck {printable(s.deck)}")
    if s.tag is not None:
        scope.append(f"tag {printable(s.tag)}")
    day = s.today
    return [f"Statistics: {', '.join(scope) or 'all decks'} · {day:%A} {day.day} {day:%B %Y}"]


def _activity(s: Stats) -> list[str]:
    from quiz.charts import heat_grid, heat_legend, heatmap_lines, plural

    a = s.activity
    grid = heat_grid(a.by_day(), a.start, a.end)
    return [
        f"Reviews   {plural(a.answers, 'answer')} on {plural(a.active_days, 'day')}"
        " in the past year",
        f"Streak    {plural(a.current_streak, 'day')} (longest {a.longest_streak})",
        *heatmap_lines(grid),
        "    " + heat_legend(grid.peak),
    ]


def _forecast(s: Stats) -> list[str]:
    f, load = s.forecast, s.load
    lines = [
        f"Due       {f.total:,} in the next {len(f.due)} days ({f.overdue:,} overdue)",
        f"Today     {load.new} new · {load.reviews} reviews · {load.redrill} re-drill"
        " left to study",
    ]
    lines += _bars(list(f.due), BAR_HEIGHT, {0: "today", 7: "+7d", 14: "+14d", 21: "+21d"})
    return lines


def _bars(
    values: Sequence[float], height: int, labels: dict[int, str], peak: str | None = None
) -> list[str]:
    from quiz.charts import bar_chart_lines

    return bar_chart_lines(values, height, labels, peak)


def _retention(s: Stats) -> list[str]:
    from quiz.charts import percent

    head = "".join(f"{f'{w.days} days':>17}" for w in s.retention)
    lines = ["Retention of review cards (answers graded q >= 3)", f"{'':<10}{head}"]
    for name in ("young", "mature", "all"):
        cells = []
        for w in s.retention:
            r = getattr(w, name)
            cells.append(f"{percent(r.rate):>6} {f'{r.passed:,}/{r.total:,}':>10}")
        lines.append(f"  {name:<8}" + "".join(cells))
    return lines


def _cards(s: Stats) -> list[str]:
    c = s.cards
    lines = [
        f"Cards     {c.total:,} live: {c.new:,} new · {c.learning:,} learning · "
        f"{c.young:,} young · {c.mature:,} mature",
        f"          {c.suspended:,} suspended · {c.leech:,} leech{'' if c.leech == 1 else 'es'}",
    ]
    left = _distribution("Ease (EF)", s.ef, ef=True)
    right = _distribution("Interval", s.intervals, ef=False)
    for a, b in zip_longest(left, right, fillvalue=""):
        lines.append(f"{a:<40}{b}".rstrip())
    return lines


def _distribution(title: str, d: Distribution, *, ef: bool) -> list[str]:
    from quiz.charts import days, hbar

    if d.mean is None:
        mean = "–"
    elif ef:
        mean = f"{d.mean / 100:.2f}"
    else:
        mean = days(d.mean)
    peak = max((b.count for b in d.buckets), default=0)
    lines = [f"{title}, mean {mean}"]
    for b in d.buckets:
        lines.append(f"  {b.label:<10}{b.count:>6} {hbar(b.count, peak, 18)}")
    return lines


def _topics(s: Stats) -> list[str]:
    from quiz.charts import clip, hbar, percent, printable

    lines = ["Weakest topics (scheduled answers passed, last 90 days, 5+ answers)"]
    if not s.weakest_tags:
        return [*lines, "  not enough answers yet"]
    for t in s.weakest_tags:
        r = t.accuracy
        counts = f"{r.passed:,}/{r.total:,}"
        lines.append(
            f"  {clip(printable(t.tag), 38):<38} {percent(r.rate):>5} {counts:>11} "
            f"{hbar(r.rate or 0, 1, 20)}".rstrip()
        )
    return lines


def _hardest(s: Stats) -> list[str]:
    from quiz.charts import clip, days, printable

    lines = ["Hardest cards (lowest EF, most lapses; `quiz preview CARD` shows one)"]
    if not s.hardest_cards:
        return [*lines, "  none yet"]
    lines.append(f"  {'EF':>4} {'lapses':>6} {'interval':>8}  card")
    for h in s.hardest_cards:
        flags = [f for f, on in (("leech", h.leech), ("suspended", h.suspended)) if on]
        note = f"  ({', '.join(flags)})" if flags else ""
        ref = clip(printable(h.ref), WIDTH - 26 - len(note))
        lines.append(f"  {h.ef / 100:>4.2f} {h.lapses:>6} {days(h.interval):>8}  {ref}{note}")
    return lines


def _time(s: Stats) -> list[str]:
    from quiz.charts import duration, short_duration

    t = s.time
    per = t.seconds_per_answer
    average = "–" if per is None else f"{per:.1f} s"
    last = len(t.ms) - 1
    peak = short_duration(max(t.ms, default=0) / 1000)
    return [
        f"Time      {duration(t.total_seconds)} in the last {len(t.ms)} days · "
        f"{average} per answer",
        *_bars(t.ms, TIME_HEIGHT, {0: f"-{last}d", last - 2: "today"}, peak),
    ]
