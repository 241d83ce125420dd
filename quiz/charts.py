"""Text charts for the terminal: a calendar heatmap grid, vertical and horizontal bars.

Plain strings and numbers only (no Rich, no Textual), so `quiz stats` prints them and
the statistics screen styles the same shapes. Levels are drawn with glyphs of rising
density, not colour alone, so they read the same in dark, light and monochrome terminals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

HEAT_GLYPHS = "·░▒▓█"
"""Glyph per heat level: no answers, then quarters of the busiest day."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Fixed English abbreviations: strftime's %b follows the locale and its width varies."""

WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")

_VERTICAL = " ▁▂▃▄▅▆▇█"
_HORIZONTAL = " ▏▎▍▌▋▊▉█"


def heat_level(count: int, peak: int) -> int:
    """0 for no answers, else 1-4 by quarter of the busiest day."""
    if count <= 0 or peak <= 0:
        return 0
    return min(4, max(1, -(-4 * count // peak)))


@dataclass(frozen=True, slots=True)
class HeatGrid:
    """A year of days as 7 rows (Monday first) by week columns."""

    first_monday: date
    levels: tuple[tuple[int | None, ...], ...]
    """levels[weekday][week]: 0-4, or None for a day outside the range."""

    months: str
    """Month abbreviations placed over the week in which each month starts."""

    peak: int

    @property
    def weeks(self) -> int:
        return len(self.levels[0])

    def day(self, weekday: int, week: int) -> date:
        return self.first_monday + timedelta(days=7 * week + weekday)


def heat_grid(counts: Mapping[date, int], start: date, end: date) -> HeatGrid:
    """Lay out the days from start to end (inclusive) as a weeks-by-weekday grid."""
    first_monday = start - timedelta(days=start.weekday())
    weeks = (end - first_monday).days // 7 + 1
    peak = max((n for d, n in counts.items() if start <= d <= end), default=0)
    rows: list[tuple[int | None, ...]] = []
    for weekday in range(7):
        row: list[int | None] = []
        for week in range(weeks):
            day = first_monday + timedelta(days=7 * week + weekday)
            row.append(heat_level(counts.get(day, 0), peak) if start <= day <= end else None)
        rows.append(tuple(row))
    labels = [" "] * weeks
    for week in range(weeks):
        monday = first_monday + timedelta(days=7 * week)
        sunday = monday + timedelta(days=6)
        first = sunday.replace(day=1)
        # Label the week holding the 1st, if the label fits before the next one.
        fits = week + 3 <= weeks and all(c == " " for c in labels[max(0, week - 1) : week + 3])
        if monday <= first <= sunday and start <= first <= end and fits:
            labels[week : week + 3] = MONTHS[first.month - 1]
    return HeatGrid(first_monday, tuple(rows), "".join(labels), peak)


def heatmap_lines(grid: HeatGrid) -> list[str]:
    """The grid as text: a month line, then one line per weekday with its label."""
    lines = ["    " + grid.months.rstrip()]
    for weekday, row in enumerate(grid.levels):
        cells = "".join(" " if level is None else HEAT_GLYPHS[level] for level in row)
        lines.append(f"{WEEKDAYS[weekday]:<4}{cells.rstrip()}")
    return lines


def heat_legend(peak: int) -> str:
    return f"less {' '.join(HEAT_GLYPHS)} more" + (f"  (busiest day {peak})" if peak else "")


def column_bars(values: Sequence[float], height: int) -> list[str]:
    """Vertical bars, one character per value, as ``height`` lines from the top.

    Heights are in eighths of a line; any value above zero shows at least one eighth.
    """
    peak = max(values, default=0)
    units = []
    for v in values:
        n = round(v / peak * height * 8) if peak > 0 else 0
        units.append(max(n, 1) if v > 0 else 0)
    lines = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        lines.append("".join(_VERTICAL[min(8, max(0, u - floor))] for u in units))
    return lines


def hbar(value: float, peak: float, width: int) -> str:
    """A horizontal bar of ``width`` characters at most, in eighths of a character."""
    if value <= 0 or peak <= 0:
        return ""
    eighths = max(1, round(value / peak * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_HORIZONTAL[part] if part else "")


def spread(text: str, gap: int) -> str:
    """Put ``gap`` spaces after each character, so bars one character wide stand apart."""
    return "".join(c + " " * gap for c in text).rstrip()


def axis(labels: Mapping[int, str], width: int, step: int = 1) -> str:
    """A line with each label starting under position ``index * step``."""
    line = [" "] * width
    for index, label in sorted(labels.items()):
        at = index * step
        if at + len(label) <= width and all(c == " " for c in line[max(0, at - 1) : at]):
            line[at : at + len(label)] = label
    return "".join(line).rstrip()


def bar_chart_lines(
    values: Sequence[float],
    height: int,
    labels: Mapping[int, str],
    peak_label: str | None = None,
) -> list[str]:
    """Vertical bars two columns apart on an axis, the peak value marked at its top.

    Every line starts with an 8-character gutter (the mark and the axis), so a caller
    can style the gutter and the bars apart; the last two lines are the axis and labels.
    """
    peak = max(values, default=0)
    out = []
    for i, row in enumerate(column_bars(values, height)):
        mark = (peak_label or f"{peak:,}") if i == 0 else ""
        out.append(f"{mark:>6} │{spread(row, 1)}".rstrip())
    out.append(" " * 7 + "└" + "─" * (2 * len(values)))
    out.append(" " * 8 + axis(labels, 2 * len(values) + 6, step=2))
    return out


def percent(rate: float | None) -> str:
    """A share as '85%', or '–' when there was nothing to count."""
    return "–" if rate is None else f"{rate:.0%}"


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """'1 card', '2 cards', '1,204 answers'."""
    return f"{n:,} {word if n == 1 else plural_form or word + 's'}"


def duration(seconds: float) -> str:
    """Seconds as '45 s', '3 min 5 s' or '1 h 2 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def short_duration(seconds: float) -> str:
    """Seconds as '45s', '12m' or '2h', for a chart's scale."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{round(whole / 60)}m"
    return f"{whole / 3600:.1f}h".replace(".0h", "h")


def days(interval: float) -> str:
    """An interval as '1d', '34d', '4.2mo' or '1.5y'."""
    if interval < 31:
        return f"{interval:.0f}d"
    if interval < 365:
        return f"{interval / 30:.1f}mo"
    return f"{interval / 365:.1f}y"


def printable(text: str) -> str:
    """Deck-supplied text (a tag) with control characters shown as U+FFFD, never executed."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
