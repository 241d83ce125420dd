"""Study settings: daily limits, day rollover, grade scale and leech thresholds, from TOML."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from quiz.domain.grading import GradeScale
from quiz.domain.sm2 import MAX_INTERVAL, LeechPolicy


class ConfigError(Exception):
    """The settings file is unusable; the message names the file, key and fix."""


@dataclass(frozen=True, slots=True)
class DeckLimits:
    """How many cards of one deck a learner sees per study day."""

    new_per_day: int = 20
    """New cards introduced per day."""

    reviews_per_day: int = 200
    """Review cards shown per day."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a learner can tune; the defaults suit most medical students."""

    limits: DeckLimits = field(default_factory=DeckLimits)
    """Daily limits for every deck, unless overridden in ``decks``."""

    decks: dict[str, DeckLimits] = field(default_factory=dict)
    """Per-deck limits, keyed by deck id."""

    rollover_hour: int = 4
    """Local hour at which a new study day starts."""

    grade_scale: GradeScale = GradeScale.FOUR
    """Four buttons (Again/Hard/Good/Easy) or SM-2's six grades 0-5."""

    leech: LeechPolicy = field(default_factory=LeechPolicy)
    """Lapses after which a card is marked a leech and suspended."""

    max_interval: int = MAX_INTERVAL
    """Longest interval between reviews, in days (SM-2 itself has none)."""

    def limits_for(self, deck_key: str) -> DeckLimits:
        return self.decks.get(deck_key, self.limits)


EXAMPLE = """\
# quiz settings (all optional)
rollover_hour = 4          # a new study day starts at 04:00 local time
grade_scale = "four"       # "four" (Again/Hard/Good/Easy) or "six" (SM-2 grades 0-5)
new_per_day = 20
reviews_per_day = 200
leech_lapses = 8           # lapses that mark a card as a leech
leech_suspend_lapses = 8   # lapses that suspend it
max_interval = 36500       # longest interval in days (100 years, as Anki)

[decks.calciphylaxis]      # per-deck limits
new_per_day = 10
"""


MAX_CONFIG_BYTES = 1024 * 1024
"""Largest settings file read; a real one is a few hundred bytes."""


def load_settings(path: Path, *, required: bool = False) -> Settings:
    """Read settings from a TOML file; a missing file means the defaults.

    Args:
        path: The TOML file.
        required: The user named the file (--config, QUIZ_CONFIG): then a missing file
            is an error rather than the defaults, since a typo would otherwise go unseen.

    Raises:
        ConfigError: If the file is not a readable regular file, not valid TOML, or a
            value is wrong.
    """
    from quiz.files import InputFileError, read_bounded

    if not required and not os.path.lexists(path):
        return Settings()
    try:
        data = read_bounded(path, MAX_CONFIG_BYTES, "settings file", "a settings file is small")
    except InputFileError as exc:
        hint = " (--config / QUIZ_CONFIG)" if required else ""
        raise ConfigError(f"{exc.path}{hint}: {exc.message}") from None
    import tomllib  # only with a settings file: most starts have none

    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the line it names") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the settings file as UTF-8") from None
    except RecursionError:
        raise ConfigError(f"{path}: tables or arrays nested too deeply to be settings") from None
    return parse_settings(raw, str(path))


def parse_settings(raw: dict[str, Any], name: str = "settings") -> Settings:
    """Build Settings from parsed TOML, checking every key and value."""
    known = {
        "rollover_hour",
        "grade_scale",
        "new_per_day",
        "reviews_per_day",
        "leech_lapses",
        "leech_suspend_lapses",
        "max_interval",
        "decks",
    }
    _no_unknown(raw, known, name)
    limits = _limits(raw, DeckLimits(), name)
    decks_raw = raw.get("decks", {})
    if not isinstance(decks_raw, dict):
        raise ConfigError(f"{name}: `decks` must be a table, e.g. [decks.calciphylaxis]")
    decks: dict[str, DeckLimits] = {}
    for key, table in decks_raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{name}: `decks.{key}` must be a table")
        _no_unknown(table, {"new_per_day", "reviews_per_day"}, f"{name} [decks.{key}]")
        decks[key] = _limits(table, limits, f"{name} [decks.{key}]")
    scale = raw.get("grade_scale", "four")
    if scale not in {s.value for s in GradeScale}:
        raise ConfigError(f'{name}: grade_scale must be "four" or "six", not {scale!r}')
    rollover = _int(raw, "rollover_hour", 4, name, 0, 23)
    tag_at = _int(raw, "leech_lapses", LeechPolicy().tag_at, name, 1, 1000)
    suspend_at = _int(raw, "leech_suspend_lapses", tag_at, name, 1, 1000)
    longest = _int(raw, "max_interval", MAX_INTERVAL, name, 1, MAX_INTERVAL)
    return Settings(
        limits, decks, rollover, GradeScale(scale), LeechPolicy(tag_at, suspend_at), longest
    )


def _limits(raw: dict[str, Any], base: DeckLimits, name: str) -> DeckLimits:
    return replace(
        base,
        new_per_day=_int(raw, "new_per_day", base.new_per_day, name, 0, 100_000),
        reviews_per_day=_int(raw, "reviews_per_day", base.reviews_per_day, name, 0, 1_000_000),
    )


def _int(raw: dict[str, Any], key: str, default: int, name: str, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"{name}: `{key}` must be a whole number from {low} to {high}, not {value!r}"
        )
    return value


def _no_unknown(raw: dict[str, Any], known: set[str], name: str) -> None:
    for key in raw:
        if key not in known:
            raise ConfigError(f"{name}: unknown setting `{key}`; known: {', '.join(sorted(known))}")


def settings_fields() -> list[str]:
    return [f.name for f in fields(Settings)]
