"""Study days: a day starts at a rollover hour in the learner's time zone, not at midnight."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

DEFAULT_ROLLOVER_HOUR = 4


def study_day(now: datetime, tz: tzinfo, rollover_hour: int = DEFAULT_ROLLOVER_HOUR) -> date:
    """The study day that an instant belongs to.

    A review at 01:30 with a 04:00 rollover still counts for the previous day,
    so a late-night session does not eat into tomorrow's cards.

    Raises:
        ValueError: If now is naive (timestamps must be timezone-aware) or the hour is not 0..23.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover hour must be 0..23, got {rollover_hour}")
    return (now.astimezone(tz) - timedelta(hours=rollover_hour)).date()
