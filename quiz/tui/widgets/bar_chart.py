"""Vertical bar charts in eighths of a cell, with the peak marked and labels under the axis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from quiz.charts import bar_chart_lines

GUTTER = 8
"""Width of the peak mark and the axis at the start of every line (see bar_chart_lines)."""


class BarChart(Widget):
    """One bar per value (a day), two columns apart, ``bar_height`` lines tall."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bar-chart--axis", "bar-chart--bar"}

    DEFAULT_CSS = """
    BarChart {
        width: auto;
        height: auto;
    }
    BarChart > .bar-chart--axis {
        text-style: dim;
    }
    BarChart > .bar-chart--bar {
        color: $text-primary;
    }
    """

    def __init__(
        self,
        values: Sequence[float],
        *,
        bar_height: int = 6,
        labels: Mapping[int, str] | None = None,
        peak_label: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.values = tuple(values)
        self.lines = bar_chart_lines(values, bar_height, labels or {}, peak_label)

    def render(self) -> Text:
        axis = self.get_component_rich_style("bar-chart--axis", partial=True)
        bar = self.get_component_rich_style("bar-chart--bar", partial=True)
        text = Text(no_wrap=True, end="")
        last_bars = len(self.lines) - 2
        for i, line in enumerate(self.lines):
            if i:
                text.append("\n")
            if i < last_bars:
                text.append(line[:GUTTER], style=axis)
                text.append(line[GUTTER:], style=bar)
            else:
                text.append(line, style=axis)
        return text
