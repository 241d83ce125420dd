"""Every key of the app, grouped by screen: the help screen and the README both list these."""

from __future__ import annotations

from typing import Final

KeyHelp = tuple[str, str]
"""A key (or keys) and what it does."""

KEYS: Final[tuple[tuple[str, tuple[KeyHelp, ...]], ...]] = (
    (
        "Home",
        (
            ("enter / space", "Study the selected row (the first row is all decks)"),
            ("r", "Review all decks"),
            ("s", "Statistics for the selected row"),
            ("↑ ↓", "Select a deck"),
            ("q", "Quit"),
        ),
    ),
    (
        "Review",
        (
            ("space / enter", "Show the answer"),
            ("1 2 3 4", "Grade: Again, Hard, Good, Easy (shown with the next interval)"),
            ("0 - 5", 'Grade on SM-2\'s six-grade scale, when grade_scale = "six"'),
            ("a b c ...", "Multiple choice: pick an option; it grades itself"),
            ("enter / space", "Multiple choice: accept the grade (Good if right, Again if wrong)"),
            ("1 - 4", "Multiple choice: override that grade before moving on"),
            ("u", "Undo the last answer, suspend, bury or flag"),
            ("s", "Suspend the card"),
            ("b", "Bury the card until tomorrow"),
            ("f", "Flag the card for the instructor, with an optional reason (again to clear)"),
            ("i", "Show the card's source and tags (and extra notes, once answered)"),
            ("↑ ↓ pgup pgdn", "Scroll a long card"),
            ("q / escape", "End the session (every answer is already saved)"),
        ),
    ),
    (
        "Summary",
        (
            ("enter / q", "Back to the decks"),
            ("u", "Undo the last action and go back to its card"),
        ),
    ),
    (
        "Statistics",
        (
            ("1 - 5", "Tabs: activity, forecast, cards, topics, hardest cards"),
            ("enter / p", "Hardest cards: preview the selected card"),
            ("r", "Refresh"),
            ("escape / q", "Back"),
        ),
    ),
    (
        "Card preview",
        (
            ("space / enter", "Flip the card"),
            ("i", "Source, extra notes and tags"),
            ("escape / q", "Back"),
        ),
    ),
    (
        "Everywhere",
        (
            ("?", "This list of keys"),
            ("ctrl+p", "Command palette: actions, theme (dark / light), quit"),
            ("ctrl+q", "Quit"),
        ),
    ),
)

MCQ_NOTE: Final = (
    "On a multiple-choice question the option letters come first: "
    "when an option is lettered b, f or i, that key picks it; bury, flag and "
    "info work again once the answer is shown."
)
