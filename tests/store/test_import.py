"""Importing and re-importing decks: progress kept by note id, retire, reset, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from quiz.decks import DeckError
from quiz.domain.plan import NoteChange as Change
from quiz.domain.plan import Outcome
from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from quiz.store.tables import card_states, cards, decks, note_tags, notes, review_log
from tests.conftest import TINY


def count(quiz: Quiz, table: object, *where: object) -> int:
    with quiz.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())  # type: ignore[arg-type]


def study_all(quiz: Quiz, quality: int = 4) -> ReviewSession:
    session = ReviewSession.start(quiz)
    while session.current() is not None:
        session.answer(quality)
    return session


def edited(tmp_path: Path, replacements: dict[str, str], name: str = "tiny.yaml") -> Path:
    text = TINY.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_first_import_creates_notes_cards_and_tags(quiz: Quiz) -> None:
    [report] = import_files(quiz, [TINY])
    assert report.created
    assert report.count(Change.ADDED) == 4
    assert report.cards_added == 6
    assert count(quiz, notes) == 4
    assert count(quiz, cards) == 6
    assert count(quiz, note_tags, note_tags.c.tag == "chem") == 2


def test_reimport_unchanged_changes_nothing(quiz: Quiz) -> None:
    import_files(quiz, [TINY])
    [report] = import_files(quiz, [TINY])
    assert report.count(Change.UNCHANGED) == 4
    assert report.changed == []


def test_edits_keep_progress_new_notes_added_removed_notes_retired(
    quiz: Quiz, tmp_path: Path
) -> None:
    import_files(quiz, [TINY])
    study_all(quiz)
    states_before = count(quiz, card_states)
    logs_before = count(quiz, review_log)
    assert states_before == 4  # one card per note today: siblings wait

    path = edited(
        tmp_path,
        {
            "back: Paris": "back: Paris (on the Seine)",  # text edit, same id
            "  - id: water\n    type: reversed": "  - id: water2\n    type: reversed",  # id change
            "{{c2::Na::two letters}}.": "{{c2::Na::two letters}} ({{c3::11::atomic number}}).",
        },
    )
    [report] = import_files(quiz, [path])
    by_key = {n.key: n for n in report.notes}
    assert by_key["capital"].change is Change.EDITED
    assert [(c.outcome, c.learners) for c in by_key["capital"].cards] == [
        (Outcome.ANSWER_CHANGED, 1)
    ]
    assert by_key["water2"].change is Change.ADDED
    assert by_key["water"].change is Change.RETIRED
    assert [c.ord for c in by_key["water"].cards if c.outcome is Outcome.RETIRED] == [0, 1]
    assert [c.ord for c in by_key["sodium"].cards if c.outcome is Outcome.NEW] == [3]
    # progress and history kept: the retired note's history stays, nothing deleted
    assert count(quiz, card_states) == states_before
    assert count(quiz, review_log) == logs_before
    assert count(quiz, notes, notes.c.retired_at.is_not(None)) == 1
    # the edited note's card keeps its schedule
    with quiz.store.read() as conn:
        interval = conn.execute(
            select(card_states.c.interval)
            .select_from(
                card_states.join(cards, cards.c.id == card_states.c.card_id).join(
                    notes, notes.c.id == cards.c.note_id
                )
            )
            .where(notes.c.key == "capital")
        ).scalar()
    assert interval == 1

    # bringing the note back restores it with its old cards and progress
    [again] = import_files(quiz, [TINY])
    assert {n.key: n.change for n in again.notes}["water"] is Change.RESTORED
    assert count(quiz, cards, cards.c.retired_at.is_(None)) == 6


def test_reset_token_restarts_progress_on_that_note_only(quiz: Quiz, tmp_path: Path) -> None:
    import_files(quiz, [TINY])
    study_all(quiz)
    path = edited(tmp_path, {"  - id: capital\n": "  - id: capital\n    reset: '2026-11'\n"})
    [report] = import_files(quiz, [path])
    assert [n.key for n in report.notes if n.change is Change.RESET] == ["capital"]
    assert count(quiz, card_states) == 3
    assert count(quiz, review_log) == 4  # history stays


def test_dry_run_reports_without_writing(quiz: Quiz, tmp_path: Path) -> None:
    import_files(quiz, [TINY])
    path = edited(tmp_path, {"back: Paris": "back: Lyon"})
    [report] = import_files(quiz, [path], dry_run=True)
    assert [n.key for n in report.changed] == ["capital"]
    with quiz.store.read() as conn:
        fields = conn.execute(select(notes.c.fields).where(notes.c.key == "capital")).scalar()
    assert fields["back"] == "Paris"


def test_a_broken_file_imports_nothing_at_all(quiz: Quiz, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: {id: bad, title: Bad}\nnotes:\n  - {id: x, type: basic, front: q}\n")
    with pytest.raises(DeckError) as info:
        import_files(quiz, [TINY, bad])
    assert str(bad) in str(info.value)
    assert count(quiz, decks) == 0


def test_two_files_with_the_same_deck_id_are_refused(quiz: Quiz, tmp_path: Path) -> None:
    copy = edited(tmp_path, {"title: Tiny deck": "title: Copy"}, "copy.yaml")
    with pytest.raises(DeckError, match="also used by"):
        import_files(quiz, [TINY, copy])


def test_directories_import_their_top_level_deck_files(quiz: Quiz, tmp_path: Path) -> None:
    edited(tmp_path, {}, "a.yaml")
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "not-a-deck.yaml").write_text("facts: []\n")
    [report] = import_files(quiz, [tmp_path])
    assert report.deck_key == "tiny"


def test_bundled_decks_import_once_and_never_overwrite_an_instructors_copy(
    quiz: Quiz, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quiz.services import decks as deck_service

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shipped = edited(bundle, {}, "tiny.yaml")
    monkeypatch.setattr(deck_service, "bundled_paths", lambda: [shipped])
    assert [r.deck_key for r in deck_service.sync_bundled(quiz)] == ["tiny"]
    assert deck_service.sync_bundled(quiz) == []  # unchanged: nothing to do
    # a new version of quiz ships an edited deck: it is re-imported, keeping progress
    shipped.write_text(shipped.read_text().replace("back: Paris", "back: Paris (France)"))
    [report] = deck_service.sync_bundled(quiz)
    assert [n.key for n in report.changed] == ["capital"]
    # an instructor imports their own version under the same id: the bundle leaves it alone
    own = edited(tmp_path, {"back: Paris": "back: Lutetia"}, "mine.yaml")
    import_files(quiz, [own])
    shipped.write_text(shipped.read_text().replace("(France)", "(FR)"))
    assert deck_service.sync_bundled(quiz) == []
    with quiz.store.read() as conn:
        fields = conn.execute(select(notes.c.fields).where(notes.c.key == "capital")).scalar()
    assert fields["back"] == "Lutetia"


def test_an_unchanged_file_is_not_parsed_again_unless_forced(
    quiz: Quiz, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quiz.decks.loader as loader

    import_files(quiz, [TINY])
    calls: list[object] = []
    real = loader.load_deck
    monkeypatch.setattr(loader, "load_deck", lambda *a, **k: calls.append(a) or real(*a, **k))
    [report] = import_files(quiz, [TINY])
    assert calls == [] and report.count(Change.UNCHANGED) == 4
    [forced] = import_files(quiz, [TINY], force=True)
    assert len(calls) == 1 and forced.count(Change.UNCHANGED) == 4


def tags_of(quiz: Quiz, key: str) -> list[str]:
    with quiz.store.read() as conn:
        rows = conn.execute(
            select(note_tags.c.tag)
            .join(notes, notes.c.id == note_tags.c.note_id)
            .where(notes.c.key == key)
            .order_by(note_tags.c.tag)
        )
        return list(rows.scalars())


def test_tag_rows_follow_edits_and_restores(quiz: Quiz, tmp_path: Path) -> None:
    import_files(quiz, [TINY])
    assert tags_of(quiz, "water") == ["chem"]
    retag = edited(tmp_path, {"tags: [geo::europe]": "tags: [geo::france, travel]"})
    import_files(quiz, [retag])
    assert tags_of(quiz, "capital") == ["geo::france", "travel"]
    assert tags_of(quiz, "water") == ["chem"]  # untouched notes keep their rows
    gone = edited(tmp_path, {"  - id: water\n": "  - id: water-b\n"}, "gone.yaml")
    import_files(quiz, [gone])
    water_tags = '    tags: [chem]\n    source: {id: book, section: "Ch. 2"}'
    back = edited(tmp_path, {water_tags: water_tags.replace("chem", "h2o")}, "back.yaml")
    import_files(quiz, [back])
    assert tags_of(quiz, "water") == ["h2o"]  # restored with the file's tags
    assert count(quiz, note_tags) == 5


def test_import_leaves_the_garbage_collector_on(quiz: Quiz, tmp_path: Path) -> None:
    import gc

    import_files(quiz, [TINY])
    assert gc.isenabled()
    bad = tmp_path / "bad.yaml"
    bad.write_text("deck: {id: bad, title: Bad}\nnotes:\n  - {id: x, type: basic, front: q}\n")
    with pytest.raises(DeckError):
        import_files(quiz, [bad])
    assert gc.isenabled()


def test_content_hash_is_the_one_earlier_versions_stored() -> None:
    import hashlib
    import json

    from quiz.decks import load_deck
    from quiz.domain.plan import content_hash

    for note in load_deck(TINY).deck.notes:
        payload = {
            "type": str(note.type),
            "fields": note.fields,
            "tags": list(note.tags),
            "source": [note.source.source, note.source.section] if note.source else None,
            "extra": note.extra,
            "facts": list(note.facts),
        }
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        assert content_hash(note) == hashlib.sha256(text.encode()).hexdigest()


def test_two_imports_of_one_new_deck_at_once_take_turns(make_quiz: object, tmp_path: Path) -> None:
    """On PostgreSQL both used to plan an insert and one died on uq_decks_key."""
    import threading

    lines = ["deck: {id: race, title: Race}", "notes:"]
    lines += [f"  - {{id: n{i}, type: basic, front: q{i}, back: a{i}}}" for i in range(300)]
    path = tmp_path / "race.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    quizzes = [make_quiz(), make_quiz()]  # type: ignore[operator]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(quiz: Quiz) -> None:
        start.wait()
        try:
            import_files(quiz, [path], force=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(q,)) for q in quizzes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with quizzes[0].store.read() as conn:
        assert conn.execute(select(func.count()).select_from(decks)).scalar() == 1
        count = conn.execute(select(func.count()).select_from(notes)).scalar()
    assert count == 300
