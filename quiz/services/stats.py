"""Statistics for one learner: activity, forecast, retention, card states, weak topics and time.

Every figure comes from an aggregate query (``quiz.store.stats_queries``), a fixed
number of them per call, so the work left to Python grows with days, decks and
buckets, never with reviews or cards.

Definitions (the README's "Statistics" section says the same):

- An *answer* is any row of the review log, same-day re-drills included.
- A *review-card answer* is a scheduled answer (the first of its study day) to a card
  that had been reviewed before; *young* if its interval before the answer was under
  21 days, *mature* otherwise. Retention is the share of them graded q >= 3.
- Topic accuracy is the share of scheduled answers (new cards' first answers included)
  graded q >= 3 over the last 90 days, per tag as written on the notes.
- Card states are exclusive: suspended, else new (never answered), else learning
  (failed today and due again today), else young or mature by interval. Leech is a flag.
- A deck or tag filter keeps the cards of that deck, or of notes carrying the tag or a
  descendant of it (``a::b`` matches ``a::b::c``). History counts every card ever
  answered; states, forecast and today's load count live (not retired) cards only.
  Streaks are the learner's, whatever the filter: they measure the habit, not a topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from quiz.domain.sm2 import INITIAL_EF, PASS_QUALITY, format_ef
from quiz.services.cards import load_cards
from quiz.services.context import Quiz
from quiz.services.overview import streaks
from quiz.services.stats_figures import (
    Activity,
    Bucket,
    CardCounts,
    DayCount,
    Distribution,
    Forecast,
    HardCard,
    Load,
    Ratio,
    RetentionWindow,
    Stats,
    TagAccuracy,
    TimeSpent,
)
from quiz.store import queries
from quiz.store import stats_queries as sq
from quiz.store.stats_queries import QueueKind, StateKind, UnknownScope

__all__ = [
    "Activity",
    "Bucket",
    "CardCounts",
    "DayCount",
    "Distribution",
    "Forecast",
    "HardCard",
    "Load",
    "Ratio",
    "RetentionWindow",
    "Stats",
    "TagAccuracy",
    "TimeSpent",
    "UnknownScope",
    "compute_stats",
]

MATURE_DAYS = 21
"""Interval (days) from which a card counts as mature, as in Anki."""

HEATMAP_DAYS = 365
FORECAST_DAYS = 30
TIME_DAYS = 30
RETENTION_WINDOWS = (7, 30, 365)

TAG_WINDOW_DAYS = 90
"""Topic accuracy looks at recent answers: where the student stands now, not a year ago."""

TOP = 10
"""How many weakest topics and hardest cards are listed."""

MIN_TAG_ANSWERS = 5
"""Fewer answers than this say nothing about a topic; such tags are not ranked."""

EF_BOUNDS = (130, 150, 170, 190, 210, 230, 250, 270)
"""Lower bounds (EF in hundredths) of the ease buckets; the last is open-ended."""

INTERVAL_BOUNDS = (1, 2, 4, 8, 15, 21, 31, 91, 181, 366)
"""Lower bounds (days) of the interval buckets; 21 splits young from mature."""


# --- assembly --------------------------------------------------------------------------------


def _since(today: date, days: int) -> date:
    """The first day of a window of ``days`` study days ending today."""
    return today - timedelta(days=days - 1)


def _activity(rows: list[sq.DayRow], study_days: list[date], today: date) -> Activity:
    start = _since(today, HEATMAP_DAYS)
    current, longest = streaks([d for d in study_days if d <= today], today)
    counts = tuple(DayCount(r.day, r.answers) for r in rows if r.day >= start)
    return Activity(start, today, counts, current, longest)


def _retention(rows: list[sq.DayRow], today: date) -> tuple[RetentionWindow, ...]:
    out = []
    for window in RETENTION_WINDOWS:
        days = [r for r in rows if r.day >= _since(today, window)]
        young = Ratio(sum(r.young_passed for r in days), sum(r.young for r in days))
        mature = Ratio(sum(r.mature_passed for r in days), sum(r.mature for r in days))
        out.append(RetentionWindow(window, young, mature))
    return tuple(out)


def _time(rows: list[sq.DayRow], ms: dict[date, int], today: date) -> TimeSpent:
    start = _since(today, TIME_DAYS)
    answers = {r.day: r.answers for r in rows if r.day >= start}
    span = [start + timedelta(days=i) for i in range(TIME_DAYS)]
    return TimeSpent(
        start,
        tuple(answers.get(d, 0) for d in span),
        tuple(ms.get(d, 0) for d in span),
    )


def _forecast(groups: list[sq.CardGroup], today: date) -> Forecast:
    due = [0] * FORECAST_DAYS
    overdue = 0
    for g in groups:
        if g.due is None:
            continue
        offset = (g.due - today).days
        if offset < 0:
            overdue += g.cards
        due[max(0, offset)] += g.cards
    return Forecast(today, tuple(due), overdue)


def _ef_label(low: int, high: int | None) -> str:
    return f"{format_ef(low)}+" if high is None else f"{format_ef(low)}-{format_ef(high)}"


def _interval_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}d+"
    return f"{low}d" if low == high else f"{low}-{high}d"


def _distribution(
    bounds: tuple[int, ...],
    counts: list[int],
    total: int,
    label: Callable[[int, int | None], str],
) -> Distribution:
    """Buckets from their lower bounds; the mean from the sum of the values bucketed."""
    buckets = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else None
        buckets.append(Bucket(label(low, high), low, high, counts[i]))
    n = sum(counts)
    return Distribution(tuple(buckets), total / n if n else None)


@dataclass(frozen=True, slots=True)
class _CardFigures:
    cards: CardCounts
    ef: Distribution
    intervals: Distribution
    load: Load


def _card_figures(
    groups: list[sq.CardGroup],
    deck_keys: dict[int, str],
    done: dict[int, queries.DayDone],
    quiz: Quiz,
) -> _CardFigures:
    states = dict.fromkeys(StateKind, 0)
    ef_counts = [0] * len(EF_BOUNDS)
    interval_counts = [0] * len(INTERVAL_BOUNDS)
    ef_sum = interval_sum = leeches = 0
    waiting: dict[tuple[int, QueueKind], int] = {}
    for g in groups:
        states[g.state] += g.cards
        leeches += g.leeches
        if g.state not in (StateKind.NEW, StateKind.SUSPENDED):
            ef_counts[g.ef_bucket] += g.cards
            interval_counts[g.interval_bucket] += g.cards
            ef_sum += g.ef_sum
            interval_sum += g.interval_sum
        key = (g.deck_id, g.queue)
        waiting[key] = waiting.get(key, 0) + g.cards
    # Today's load as the home screen counts it: each deck's limits minus what it did today.
    new = reviews = redrill = 0
    for deck_id in {d for d, _ in waiting}:
        limits = quiz.settings.limits_for(deck_keys[deck_id])
        day = done.get(deck_id, queries.DayDone())
        new += max(0, min(waiting.get((deck_id, QueueKind.NEW), 0), limits.new_per_day - day.new))
        reviews += max(
            0, min(waiting.get((deck_id, QueueKind.DUE), 0), limits.reviews_per_day - day.reviews)
        )
        redrill += waiting.get((deck_id, QueueKind.REDRILL), 0)
    return _CardFigures(
        CardCounts(
            new=states[StateKind.NEW],
            learning=states[StateKind.LEARNING],
            young=states[StateKind.YOUNG],
            mature=states[StateKind.MATURE],
            suspended=states[StateKind.SUSPENDED],
            leech=leeches,
        ),
        _distribution(EF_BOUNDS, ef_counts, ef_sum, _ef_label),
        _distribution(INTERVAL_BOUNDS, interval_counts, interval_sum, _interval_label),
        Load(new, reviews, redrill),
    )


def compute_stats(quiz: Quiz, deck: str | None = None, tag: str | None = None) -> Stats:
    """Every statistic for one learner, for one deck, one tag (and its descendants) or all.

    Raises:
        UnknownScope: If no deck has the id ``deck``, or no note carries ``tag`` or a tag under it.
    """
    today = quiz.today()
    with quiz.store.read() as conn:
        scope = sq.resolve_scope(conn, quiz.learner_id, today, deck, tag)
        history = sq.daily(
            conn,
            scope,
            _since(today, max(HEATMAP_DAYS, TIME_DAYS, *RETENTION_WINDOWS)),
            mature_days=MATURE_DAYS,
            pass_quality=PASS_QUALITY,
        )
        ms = sq.durations(conn, scope, _since(today, TIME_DAYS))
        study_days = queries.study_days(conn, quiz.learner_id)
        groups = sq.card_groups(
            conn,
            scope,
            mature_days=MATURE_DAYS,
            ef_bounds=EF_BOUNDS,
            interval_bounds=INTERVAL_BOUNDS,
            due_until=today + timedelta(days=FORECAST_DAYS - 1),
        )
        deck_keys = {d.id: d.key for d in queries.deck_rows(conn)}
        done = queries.done_today(conn, quiz.learner_id, today)
        tags = sq.tag_accuracy(
            conn,
            scope,
            _since(today, TAG_WINDOW_DAYS),
            pass_quality=PASS_QUALITY,
            min_answers=MIN_TAG_ANSWERS,
            limit=TOP,
        )
        hard = sq.hardest(conn, scope, initial_ef=INITIAL_EF, limit=TOP)
        refs = {c: info.ref for c, info in load_cards(conn, [h.card_id for h in hard]).items()}
    figures = _card_figures(groups, deck_keys, done, quiz)
    return Stats(
        today=today,
        deck=deck,
        tag=tag,
        activity=_activity(history, study_days, today),
        forecast=_forecast(groups, today),
        load=figures.load,
        retention=_retention(history, today),
        cards=figures.cards,
        ef=figures.ef,
        intervals=figures.intervals,
        weakest_tags=tuple(TagAccuracy(t, Ratio(p, n)) for t, p, n in tags),
        hardest_cards=tuple(
            HardCard(h.card_id, refs[h.card_id], h.ef, h.lapses, h.interval, h.leech, h.suspended)
            for h in hard
        ),
        time=_time(history, ms, today),
    )
