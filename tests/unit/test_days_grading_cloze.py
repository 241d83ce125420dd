"""Study-day rollover, grade scales and cloze parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from quiz.domain import cloze
from quiz.domain.days import study_day
from quiz.domain.grading import GradeScale, grades, quality_for_key
from quiz.domain.sm2 import PASS_QUALITY

EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("utc_time", "expected"),
    [
        (datetime(2026, 11, 22, 8, 59, tzinfo=UTC), date(2026, 11, 21)),  # 03:59 local
        (datetime(2026, 11, 22, 9, 0, tzinfo=UTC), date(2026, 11, 22)),  # 04:00 local
        (datetime(2026, 11, 23, 4, 30, tzinfo=UTC), date(2026, 11, 22)),  # 23:30 local
    ],
)
def test_study_day_rolls_over_at_four_local_time(utc_time: datetime, expected: date) -> None:
    assert study_day(utc_time, EST, 4) == expected


def test_study_day_rollover_hour_is_configurable() -> None:
    t = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert study_day(t, UTC, 0) == date(2026, 11, 22)
    assert study_day(t, UTC, 2) == date(2026, 11, 21)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        study_day(datetime(2026, 1, 1), UTC)


def test_four_button_mapping_again_fails_others_pass() -> None:
    four = grades(GradeScale.FOUR)
    assert [(g.key, g.label, g.quality) for g in four] == [
        ("1", "Again", 1),
        ("2", "Hard", 3),
        ("3", "Good", 4),
        ("4", "Easy", 5),
    ]
    assert four[0].quality < PASS_QUALITY
    assert all(g.quality >= PASS_QUALITY for g in four[1:])


def test_six_grade_scale_is_sm2_itself() -> None:
    assert [quality_for_key(GradeScale.SIX, str(k)) for k in range(6)] == list(range(6))
    assert quality_for_key(GradeScale.FOUR, "0") is None
    assert quality_for_key(GradeScale.FOUR, "5") is None


def test_cloze_cards_one_per_number_with_hint_and_blank() -> None:
    text = (
        "{{c1::Sodium thiosulfate}} can cause {{c2::metabolic acidosis::acid-base}} "
        "and {{c2::hypernatremia}}."
    )
    assert cloze.numbers(text) == [1, 2]
    assert cloze.render_prompt(text, 1) == "[...] can cause metabolic acidosis and hypernatremia."
    assert cloze.render_prompt(text, 2) == "Sodium thiosulfate can cause [acid-base] and [...]."
    assert cloze.answers(text, 2) == ["metabolic acidosis", "hypernatremia"]
    assert (
        cloze.render_full(text)
        == "Sodium thiosulfate can cause metabolic acidosis and hypernatremia."
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no deletion here", "no cloze deletion"),
        ("{{c1:missing colon}}", "malformed"),
        ("{{c1::unclosed", "malformed"),
        ("{{c1::}} empty", "empty answer"),
        ("{{c0::zero}}", "1 or more"),
        ("{{c1::a {{c2::nested}} }}", "malformed"),
    ],
)
def test_cloze_problems(text: str, problem: str) -> None:
    assert any(problem in p for p in cloze.problems(text))


def test_cloze_number_gaps() -> None:
    assert cloze.number_gaps("{{c1::a}} {{c3::b}}") == [2]
    assert cloze.number_gaps("{{c1::a}} {{c2::b}}") == []
