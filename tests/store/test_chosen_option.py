"""The option a learner chose is logged by its identity, undo removes it, and 0006 keeps rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import create_engine, func, insert, select

from quiz.domain.mcq import text_fingerprint
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from quiz.store.engine import open_store
from quiz.store.migrate import upgrade_to_head
from quiz.store.tables import cards, decks, learners, notes, review_log
from tests.conftest import TINY, FakeClock


def chosen(quiz: Quiz) -> list[tuple[int, str | None]]:
    with quiz.store.read() as conn:
        rows = conn.execute(
            select(review_log.c.quality, review_log.c.chosen_option).order_by(review_log.c.id)
        )
        return [(int(q), c) for q, c in rows]


def to_vignette(session: ReviewSession) -> None:
    while (card := session.current()) is not None and card.info.ref != "tiny:vignette:0":
        session.answer(4)


def test_the_chosen_option_is_logged_and_undo_removes_it(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    session = ReviewSession.start(quiz)
    to_vignette(session)
    card = session.current()
    assert card is not None
    wrong = next(o for o in card.info.face.options if o.text == "Cellulitis")
    assert wrong.id == text_fingerprint("Cellulitis")
    session.answer(1, 1200, wrong.id)
    assert chosen(quiz)[-1] == (1, wrong.id)
    assert chosen(quiz)[:-1] == [(4, None)] * 3  # other note types log no option
    assert session.undo() is not None
    assert len(chosen(quiz)) == 3
    with quiz.store.read() as conn:
        left = conn.execute(
            select(func.count()).where(review_log.c.chosen_option.is_not(None))
        ).scalar()
    assert left == 0


def test_migration_0006_keeps_every_review_log_row(db_url: str) -> None:
    engine = create_engine(db_url)
    upgrade_to_head(engine, "0005")
    at = datetime(2026, 11, 1, 9, tzinfo=UTC)
    old_columns = [c for c in review_log.c if c.name != "chosen_option"]
    with engine.begin() as conn:
        conn.execute(insert(learners).values(id=1, name="ann", created_at=at))
        conn.execute(
            insert(decks).values(
                id=1,
                key="d",
                title="D",
                description="",
                version="1",
                sources=[],
                tags=[],
                imported_at=at,
            )
        )
        conn.execute(
            insert(notes).values(
                id=1,
                deck_id=1,
                key="n",
                type="basic",
                position=0,
                fields={"front": "F", "back": "B"},
                tags=[],
                facts=[],
                content_hash="x",
            )
        )
        conn.execute(insert(cards).values(id=1, note_id=1, ord=0, deck_id=1))
        for i in range(1, 6):
            values = {
                "id": i, "learner_id": 1, "card_id": 1, "reviewed_at": at,
                "study_day": date(2026, 11, i), "quality": i % 6, "scheduled": True,
                "duration_ms": 1000 * i, "ef_before": 250, "ef_after": 250,
                "interval_before": 0, "interval_after": 1, "repetitions_before": 0,
                "repetitions_after": 1, "lapses_before": 0, "lapses_after": 0,
                "due_before": None, "due_after": date(2026, 11, i + 1),
                "last_review_before": None, "redrill_before": False, "redrill_after": False,
                "leech_before": False, "leech_after": False, "suspended_before": False,
                "suspended_after": False,
            }  # fmt: skip
            conn.execute(insert(review_log).values(**values))
        before = conn.execute(select(*old_columns).order_by(review_log.c.id)).all()
    engine.dispose()
    store, _ = open_store(db_url, now=at)
    try:
        with store.read() as conn:
            after = conn.execute(select(*old_columns).order_by(review_log.c.id)).all()
            options = conn.execute(select(review_log.c.chosen_option)).scalars().all()
    finally:
        store.dispose()
    assert after == before and len(after) == 5
    assert options == [None] * 5


def test_answers_on_postgres_and_sqlite_round_trip_an_explicit_option_id(
    make_quiz: object, clock: FakeClock, tmp_path: object
) -> None:
    from pathlib import Path

    deck = Path(str(tmp_path)) / "ids.yaml"
    deck.write_text(
        TINY.read_text(encoding="utf-8").replace(
            "{text: Cellulitis, explanation: Not necrotic.}",
            "{text: Cellulitis, explanation: Not necrotic., id: cellulitis}",
        ),
        encoding="utf-8",
    )
    quiz: Quiz = make_quiz()  # type: ignore[operator]
    import_files(quiz, [deck])
    session = ReviewSession.start(quiz)
    to_vignette(session)
    card = session.current()
    assert card is not None
    option = next(o for o in card.info.face.options if o.text == "Cellulitis")
    assert option.id == "cellulitis"
    session.answer(1, 0, option.id)
    assert chosen(quiz)[-1] == (1, "cellulitis")
