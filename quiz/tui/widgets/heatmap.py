"""A calendar heatmap of answers per day: weeks as columns, Monday to Sunday as rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from quiz.charts import HEAT_GLYPHS, WEEKDAYS, heat_grid, heat_legend


class Heatmap(Widget):
    """Answers per study day over a date range, in levels of glyph density and colour.

    Density carries the level on its own, so the map reads in either theme and without
    colour; the colour ($text-success by default) only reinforces it. Labels are dim
    rather than $text-muted, whose "auto" colour a component style cannot resolve.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"heatmap--label", "heatmap--empty", "heatmap--day"}

    DEFAULT_CSS = """
    Heatmap {
        width: auto;
        height: auto;
    }
    Heatmap > .heatmap--label {
        text-style: dim;
    }
    Heatmap > .heatmap--empty {
        text-style: dim;
    }
    Heatmap > .heatmap--day {
        color: $text-success;
    }
    """

    def __init__(
        self,
        counts: Mapping[date, int],
        start: date,
        end: date,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.grid = heat_grid(counts, start, end)

    def render(self) -> Text:
        label = self.get_component_rich_style("heatmap--label", partial=True)
        empty = self.get_component_rich_style("heatmap--empty", partial=True)
        day = self.get_component_rich_style("heatmap--day", partial=True)
        grid = self.grid
        text = Text(no_wrap=True, end="")
        text.append("    " + grid.months.rstrip(), style=label)
        for weekday, row in enumerate(grid.levels):
            text.append(f"\n{WEEKDAYS[weekday]:<4}", style=label)
            for level in row:
                if level is None:
                    text.append(" ")
                else:
                    text.append(HEAT_GLYPHS[level], style=day if level else empty)
        text.append("\n    " + heat_legend(grid.peak), style=label)
        return text
