"""Synthetic benchmark data: deck YAML files, a quiz store and the same collection in Anki.

Everything is reproducible from a seed. The notes are a mixture of every note type
(basic, reversed, cloze with one to three deletions, multiple choice) with medical-looking
text, tags and source references. Review history is simulated with quiz's own SM-2
code: each studied card is introduced on a day in the past two years and reviewed on
(or a little after) every day it fell due, with same-day re-drills after a grade below
4, until the total reaches the number of review-log rows asked for. Dates are relative
to the study day the data is built on, so a collection always has cards due "today".

The quiz store is filled with SQLAlchemy Core bulk inserts (executemany) into a store
opened with ``quiz.store.engine.open_store``; the Anki collection gets the same notes
through Anki's own CSV importer (from quiz's Anki export) and then the same card states
and review log through SQL, read back from the quiz store.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, insert

from quiz.domain import sm2
from quiz.domain.days import study_day
from quiz.domain.notes import Note, NoteType, SourceRef
from quiz.domain.plan import content_hash
from quiz.domain.sm2 import CardState
from quiz.services.context import local_timezone
from quiz.store.deck_import import note_values
from quiz.store.engine import open_store
from quiz.store.queries import ensure_learner
from quiz.store.tables import card_states, cards, decks, note_tags, notes, review_log

LEARNER = "bench"
"""The learner whose progress the synthetic collection holds."""

ROLLOVER_HOUR = 4
"""quiz's and Anki's default start of a study day."""

HISTORY_DAYS = 730
"""Reviews are spread over the two years before today."""

SUBJECTS = (
    "Cardiology",
    "Pulmonology",
    "Nephrology",
    "Gastroenterology",
    "Endocrinology",
    "Hematology",
    "Infectious disease",
    "Neurology",
    "Pharmacology",
    "Pathology",
)
"""Deck titles under the "Board prep" parent (one deck per subject, ten at most)."""

PARENT_TITLE = "Board prep"

_VOCABULARY = (
    "acute chronic renal hepatic cardiac pulmonary arterial venous systemic focal diffuse "
    "bilateral unilateral proximal distal primary secondary idiopathic congenital acquired "
    "inflammatory infectious autoimmune metabolic toxic ischemic hemorrhagic neoplastic "
    "benign malignant fibrosis necrosis stenosis thrombosis embolism infarction edema "
    "effusion hypertrophy atrophy hyperplasia dysplasia metaplasia calcification granuloma "
    "abscess sodium potassium calcium phosphate magnesium bicarbonate chloride glucose "
    "insulin cortisol aldosterone renin angiotensin vasopressin thyroxine parathyroid hormone "
    "troponin creatinine albumin bilirubin ferritin hemoglobin platelet neutrophil lymphocyte "
    "eosinophil macrophage antibody complement cytokine interleukin receptor kinase inhibitor "
    "agonist antagonist diuretic beta-blocker statin anticoagulant antiplatelet antibiotic "
    "antiviral antifungal steroid biopsy ultrasound radiograph tomography echocardiogram "
    "electrocardiogram culture serology urinalysis dialysis transplant resection infusion "
    "prophylaxis screening patient presents with fever cough dyspnea chest pain abdominal "
    "nausea vomiting diarrhea rash jaundice weight loss fatigue syncope palpitations headache "
    "seizure weakness numbness confusion hypotension tachycardia bradycardia hypoxia oliguria "
    "hematuria proteinuria anemia leukocytosis thrombocytopenia hyperkalemia hyponatremia "
    "acidosis alkalosis kidney liver heart lung brain bone skin muscle nerve vessel valve "
    "artery vein first-line treatment diagnosis complication mechanism risk factor prognosis "
    "finding sign symptom test result cause effect management dose contraindication adverse"
)
_WORDS = tuple(_VOCABULARY.split())

_FIRST_GRADES = ((5, 28), (4, 47), (3, 15), (2, 5), (1, 4), (0, 1))
"""Grade mix of a card's first answer on a day: 90% recalled (a typical retention),
25% re-drilled the same day (grades below 4)."""

_REPEAT_GRADES = ((5, 30), (4, 50), (3, 10), (2, 5), (1, 5))
"""Grade mix of same-day re-drills."""


@dataclass(frozen=True, slots=True)
class Size:
    """How much data: cards over notes, review-log rows."""

    cards: int
    notes: int
    reviews: int

    def __post_init__(self) -> None:
        if self.notes < 1 or not self.notes <= self.cards <= 3 * self.notes:
            raise ValueError(
                f"{self.cards} cards over {self.notes} notes: a note has one to three cards"
            )
        if self.reviews < 0:
            raise ValueError("the number of reviews cannot be negative")

    @property
    def label(self) -> str:
        return (
            f"{human(self.cards)} cards / {human(self.notes)} notes / "
            f"{human(self.reviews)} reviews"
        )


def human(n: int) -> str:
    """1000 -> 1k, 1000000 -> 1M, others unchanged."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def bench_today(now: datetime | None = None, tz: tzinfo | None = None) -> date:
    """Today's study day as ``quiz`` computes it with the default settings."""
    return study_day(now or datetime.now(UTC), tz or local_timezone(), ROLLOVER_HOUR)


# --- notes ---------------------------------------------------------------------------------


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize()


def _note_values(rng: random.Random, key: str, kind: NoteType, deletions: int) -> dict[str, Any]:
    """One note as a deck file writes it (type-specific fields at the top level)."""
    subject = rng.choice(SUBJECTS).lower().replace(" ", "-")
    topic = rng.choice(_WORDS)
    note: dict[str, Any] = {"id": key, "type": str(kind)}
    if kind in (NoteType.BASIC, NoteType.REVERSED):
        note["front"] = _sentence(rng, 6, 14) + "?"
        note["back"] = _sentence(rng, 2, 8)
    elif kind is NoteType.CLOZE:
        words = rng.choices(_WORDS, k=rng.randint(12, 24))
        for number, at in enumerate(sorted(rng.sample(range(len(words)), deletions)), start=1):
            hint = f"::{rng.choice(_WORDS)}" if rng.random() < 0.2 else ""
            words[at] = f"{{{{c{number}::{words[at]}{hint}}}}}"
        note["text"] = " ".join(words) + "."
    else:
        options = [
            {"text": _sentence(rng, 1, 4), "correct": False, "explanation": _sentence(rng, 5, 12)}
            for _ in range(5)
        ]
        options[rng.randrange(5)]["correct"] = True
        note["stem"] = _sentence(rng, 25, 45) + "."
        note["question"] = "Which is the most likely diagnosis?"
        note["options"] = options
    note["tags"] = [f"board::{subject}::{topic}"]
    if rng.random() < 0.3:
        note["tags"].append(f"high-yield::{rng.choice(_WORDS)}")
    note["source"] = {"id": "review-book", "section": f"Ch. {rng.randint(1, 60)}"}
    if rng.random() < 0.6:
        note["extra"] = _sentence(rng, 12, 30) + "."
    return note


_TYPE_WEIGHTS = ((NoteType.BASIC, 15), (NoteType.REVERSED, 35), (NoteType.CLOZE, 40),
                 (NoteType.MCQ, 10))
_CLOZE_WEIGHTS = ((1, 20), (2, 40), (3, 40))


def _plan_types(rng: random.Random, n_notes: int, n_cards: int) -> list[tuple[NoteType, int]]:
    """A type and card count per note, adjusted so that the counts add up to ``n_cards``."""
    kinds = rng.choices([k for k, _ in _TYPE_WEIGHTS], [w for _, w in _TYPE_WEIGHTS], k=n_notes)
    plan: list[tuple[NoteType, int]] = []
    for kind in kinds:
        if kind is NoteType.CLOZE:
            plan.append((kind, rng.choices([1, 2, 3], [w for _, w in _CLOZE_WEIGHTS])[0]))
        else:
            plan.append((kind, 2 if kind is NoteType.REVERSED else 1))
    total = sum(k for _, k in plan)
    order = list(range(n_notes))
    rng.shuffle(order)
    # Grow (or shrink) cloze notes first, then change types, until the total is exact.
    for step in (_cloze_step, _type_step):
        for i in order:
            if total == n_cards:
                return plan
            kind, count = plan[i]
            new = step(kind, count, n_cards > total)
            if new is not None:
                total += new[1] - count
                plan[i] = new
    assert total == n_cards, (total, n_cards)
    return plan


def _cloze_step(kind: NoteType, count: int, grow: bool) -> tuple[NoteType, int] | None:
    if kind is not NoteType.CLOZE:
        return None
    if grow and count < 3:
        return kind, count + 1
    if not grow and count > 1:
        return kind, count - 1
    return None


def _type_step(kind: NoteType, count: int, grow: bool) -> tuple[NoteType, int] | None:
    if grow and count == 1:
        return NoteType.CLOZE, 2
    if not grow and count == 2:
        return NoteType.BASIC, 1
    return None


def generate_notes(
    rng: random.Random, n_notes: int, n_cards: int, prefix: str = "n"
) -> list[dict[str, Any]]:
    """Notes as deck-file mappings, with exactly ``n_cards`` cards between them."""
    plan = _plan_types(rng, n_notes, n_cards)
    return [
        _note_values(rng, f"{prefix}{i:07d}.{kind}", kind, count)
        for i, (kind, count) in enumerate(plan)
    ]


def to_note(values: dict[str, Any]) -> Note:
    """The domain note the loader would build from a deck-file mapping."""
    kind = NoteType(values["type"])
    keys = {
        NoteType.BASIC: ("front", "back"),
        NoteType.REVERSED: ("front", "back"),
        NoteType.CLOZE: ("text",),
        NoteType.MCQ: ("stem", "question", "options"),
    }[kind]
    source = values.get("source")
    return Note(
        id=values["id"],
        type=kind,
        fields={k: values[k] for k in keys if k in values},
        tags=tuple(values.get("tags", ())),
        source=SourceRef(source["id"], source.get("section")) if source else None,
        extra=values.get("extra"),
    )


def deck_meta(key: str, title: str) -> dict[str, Any]:
    return {
        "id": key,
        "title": title,
        "description": "Synthetic notes for quiz's benchmark (scripts/bench.py).",
        "version": 1,
        "sources": [{"id": "review-book", "title": "A board review book", "url": None}],
    }


def write_deck_yaml(
    path: Path, key: str, title: str, note_values: Sequence[dict[str, Any]]
) -> Path:
    """Write a deck file quiz can import."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    document = {"deck": deck_meta(key, title), "notes": list(note_values)}
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(document, fh, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return path


def import_deck_yaml(
    directory: Path, seed: int, n_notes: int, *, key: str = "bench-import", edited: bool = False
) -> Path:
    """The deck of the import rows: ``n_notes`` notes of every type, about two cards each.

    ``edited``: the same deck with the wording of its first note changed, as an
    instructor's typical edit.
    """
    rng = random.Random(seed * 7919 + 1)
    values = generate_notes(rng, n_notes, 2 * n_notes, prefix="imp")
    if edited:
        first = dict(values[0])
        field = next(f for f in ("back", "text", "stem") if f in first)
        first[field] = f"{first[field]} (edited)"
        values[0] = first
    name = "import-deck-edited.yaml" if edited else "import-deck.yaml"
    return write_deck_yaml(directory / name, key, "Import test", values)


# --- review history ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogRow:
    day: date
    quality: int
    scheduled: bool
    before: CardState
    after: CardState


def _grade(rng: random.Random, table: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([q for q, _ in table], [w for _, w in table])[0]


def card_history(rng: random.Random, today: date) -> list[LogRow]:
    """A card's answers, from its introduction until today (exclusive), following SM-2."""
    day = today - timedelta(days=rng.randint(1, HISTORY_DAYS))
    state = CardState()
    rows: list[LogRow] = []
    while day < today:
        quality = _grade(rng, _FIRST_GRADES)
        after = sm2.review(state, quality, day)
        rows.append(LogRow(day, quality, True, state, after))
        state = after
        for _ in range(4):
            if not state.redrill or state.suspended:
                break
            quality = _grade(rng, _REPEAT_GRADES)
            after = sm2.review(state, quality, day)
            rows.append(LogRow(day, quality, False, state, after))
            state = after
        if state.suspended:
            break
        late = 0 if rng.random() < 0.75 else rng.randint(1, 8)
        assert state.due is not None
        day = state.due + timedelta(days=late)
    return rows


def histories(
    seed: int, card_ids: Sequence[int], reviews: int, today: date
) -> Iterator[tuple[int, list[LogRow]]]:
    """(card id, answers) for cards in a seeded random order until ``reviews`` answers.

    Cards not reached stay new. The last card's history is cut at the total.
    """
    order = list(card_ids)
    random.Random(seed * 31 + 7).shuffle(order)
    left = reviews
    for card_id in order:
        if left <= 0:
            return
        rows = card_history(random.Random(seed * 1_000_003 + card_id), today)[:left]
        left -= len(rows)
        yield card_id, rows


# --- the quiz store --------------------------------------------------------------------------


@dataclass
class Built:
    """What was put in a store."""

    url: str
    today: date
    decks: int
    notes: int
    cards: int
    reviews: int
    studied: int
    """Cards with at least one answer."""


CHUNK = 20_000


def _flush(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)
        rows.clear()


def _deck_sizes(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def build_quiz_store(
    path: Path, size: Size, seed: int, *, today: date | None = None, tz: tzinfo | None = None
) -> Built:
    """Create a quiz SQLite store at ``path`` holding ``size`` of synthetic data.

    The bundled decks are synced too, as on a learner's first start, so that a
    later ``quiz`` start only compares their hashes.
    """
    from quiz.services.context import Quiz
    from quiz.services.decks import sync_bundled

    tz = tz or local_timezone()
    today = today or bench_today(tz=tz)
    url = f"sqlite:///{path}"
    now = datetime.now(UTC)
    store, _ = open_store(url, now=now)
    rng = random.Random(seed)
    n_decks = min(len(SUBJECTS), size.notes)
    note_sizes = _deck_sizes(size.notes, n_decks)
    # Split the cards in proportion, keeping one to three cards per note in every deck.
    card_sizes = _deck_sizes(size.cards, n_decks)
    card_sizes = [max(n, min(3 * n, c)) for n, c in zip(note_sizes, card_sizes, strict=True)]
    card_sizes[-1] += size.cards - sum(card_sizes)
    card_ids: list[int] = []
    try:
        with store.write() as conn:
            learner_id = ensure_learner(conn, LEARNER, now)
            note_id = card_id = 0
            for d, (n_notes, n_cards) in enumerate(zip(note_sizes, card_sizes, strict=True)):
                deck_id = d + 1
                key = f"bench-{SUBJECTS[d].lower().replace(' ', '-')}"
                meta = deck_meta(key, f"{PARENT_TITLE}::{SUBJECTS[d]}")
                conn.execute(
                    insert(decks).values(
                        id=deck_id,
                        key=key,
                        title=meta["title"],
                        description=meta["description"],
                        version="1",
                        sources=meta["sources"],
                        tags=[],
                        file_sha256=None,
                        source_path=None,
                        imported_at=now,
                    )
                )
                note_rows: list[dict[str, Any]] = []
                tag_rows: list[dict[str, Any]] = []
                card_rows: list[dict[str, Any]] = []
                values_list = generate_notes(rng, n_notes, n_cards, prefix=f"d{d}n")
                for position, values in enumerate(values_list):
                    note = to_note(values)
                    note_id += 1
                    note_rows.append(
                        {
                            "id": note_id,
                            "deck_id": deck_id,
                            **note_values(note, position, content_hash(note)),
                        }
                    )
                    tag_rows.extend(
                        {"note_id": note_id, "tag": t} for t in dict.fromkeys(note.tags)
                    )
                    for ord_ in note.card_ords():
                        card_id += 1
                        card_ids.append(card_id)
                        card_rows.append(
                            {
                                "id": card_id,
                                "note_id": note_id,
                                "ord": ord_,
                                "retired_at": None,
                                "deck_id": deck_id,
                            }
                        )
                    if len(note_rows) >= CHUNK:
                        _flush(conn, notes, note_rows)
                        _flush(conn, note_tags, tag_rows)
                        _flush(conn, cards, card_rows)
                _flush(conn, notes, note_rows)
                _flush(conn, note_tags, tag_rows)
                _flush(conn, cards, card_rows)
            reviews, studied = _insert_history(conn, learner_id, card_ids, size, seed, today, tz)
    finally:
        store.dispose()
    quiz = Quiz.open(url, learner=LEARNER)
    try:
        sync_bundled(quiz)
    finally:
        quiz.close()
    return Built(url, today, n_decks, size.notes, size.cards, reviews, studied)


def _insert_history(
    conn: Connection,
    learner_id: int,
    card_ids: list[int],
    size: Size,
    seed: int,
    today: date,
    tz: tzinfo,
) -> tuple[int, int]:
    log_rows: list[dict[str, Any]] = []
    state_rows: list[dict[str, Any]] = []
    total = studied = 0
    clock = random.Random(seed * 13 + 5)
    for card_id, rows in histories(seed, card_ids, size.reviews, today):
        if not rows:
            continue
        studied += 1
        total += len(rows)
        start = datetime.combine(rows[0].day, time(ROLLOVER_HOUR), tz)
        for i, row in enumerate(rows):
            if i == 0 or row.day != rows[i - 1].day:
                offset = clock.randint(2 * 3600, 19 * 3600)
                start = datetime.combine(row.day, time(ROLLOVER_HOUR), tz) + timedelta(
                    seconds=offset
                )
            else:
                start += timedelta(seconds=clock.randint(20, 600))
            log_rows.append(_log_values(learner_id, card_id, start, row, clock))
        final = rows[-1].after
        state_rows.append(
            {
                "learner_id": learner_id,
                "card_id": card_id,
                "ef": final.ef,
                "interval": final.interval,
                "repetitions": final.repetitions,
                "lapses": final.lapses,
                "due": final.due,
                "last_review": final.last_review,
                "redrill": final.redrill,
                "leech": final.leech,
                "suspended": final.suspended,
                "buried_until": None,
                "flagged_at": None,
                "flag_note": None,
            }
        )
        if len(log_rows) >= CHUNK:
            _flush(conn, review_log, log_rows)
            _flush(conn, card_states, state_rows)
    _flush(conn, review_log, log_rows)
    _flush(conn, card_states, state_rows)
    return total, studied


def _log_values(
    learner_id: int, card_id: int, at: datetime, row: LogRow, clock: random.Random
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "learner_id": learner_id,
        "card_id": card_id,
        "reviewed_at": at.astimezone(UTC),
        "study_day": row.day,
        "quality": row.quality,
        "scheduled": row.scheduled,
        "duration_ms": min(60_000, int(clock.lognormvariate(9.0, 0.6))),
        "last_review_before": row.before.last_review,
    }
    for name in ("ef", "interval", "repetitions", "lapses", "due", "redrill", "leech", "suspended"):
        values[f"{name}_before"] = getattr(row.before, name)
        values[f"{name}_after"] = getattr(row.after, name)
    return values


# --- the same collection in Anki -----------------------------------------------------------


def write_anki_csv_from_store(url: str, out: Path) -> int:
    """Export every synthetic deck of a quiz store with quiz's Anki export; returns notes."""
    from quiz.export.anki_csv import write_anki_csv
    from quiz.services.context import Quiz
    from quiz.services.decks import deck_from_db
    from quiz.store.tables import decks as decks_table

    quiz = Quiz.open(url, learner=LEARNER)
    try:
        with quiz.store.read() as conn:
            keys = [k for (k,) in conn.execute(decks_table.select().with_only_columns(
                decks_table.c.key).order_by(decks_table.c.id)) if k.startswith("bench-")]
        chosen = [deck_from_db(quiz, key) for key in keys]
        with out.open("w", encoding="utf-8", newline="") as fh:
            summary = write_anki_csv([d for d in chosen if d is not None], fh)
    finally:
        quiz.close()
    return summary.notes


def anki_import_csv(col: Any, path: Path) -> Any:
    """Import a file as Anki's import dialog does, with the defaults the file's header sets."""
    from anki.collection import ImportCsvRequest

    metadata = col.get_csv_metadata(str(path), None)
    return col.import_csv(ImportCsvRequest(path=str(path), metadata=metadata)).log


def configure_anki_limits(col: Any, n_decks: int) -> int:
    """Give Anki quiz's daily limits and sibling burial; returns the parent deck's id.

    Every subject deck keeps Anki's defaults (20 new, 200 reviews a day, like quiz), with
    siblings buried as quiz does. The parent deck, which a learner studies to review
    everything, allows the sum of its children's limits, as quiz's "all decks" does.
    """
    parent_id = col.decks.id_for_name(PARENT_TITLE)
    # Anki's v3 scheduler counts new cards against the review limit unless told not to;
    # quiz's limits are independent (20 new and 200 reviews).
    col.set_config("newCardsIgnoreReviewLimit", True)
    child = col.decks.config_dict_for_deck_id(parent_id)
    child["new"]["bury"] = True
    child["rev"]["bury"] = True
    col.decks.update_config(child)
    parent = col.decks.add_config_returning_id("bench parent")
    conf = col.decks.get_config(parent)
    conf["new"]["perDay"] = 20 * n_decks
    conf["rev"]["perDay"] = 200 * n_decks
    conf["new"]["bury"] = True
    conf["rev"]["bury"] = True
    col.decks.update_config(conf)
    deck = col.decks.get(parent_id)
    deck["conf"] = parent
    col.decks.save(deck)
    return int(parent_id)


def _anki_ord(note_type: str, ord_: int) -> int:
    # Anki numbers cloze cards from 0 for {{c1::...}}; quiz keeps the cloze number.
    return ord_ - 1 if note_type == "cloze" else ord_


def copy_states_to_anki(col: Any, quiz_db: Path, today: date) -> tuple[int, int]:
    """Give Anki's cards the quiz store's card states and review log; returns (states, log).

    quiz's states map to Anki review cards (due on the same day relative to today, with
    the same interval, ease, repetitions and lapses; suspended ones suspended); its log
    rows become revlog rows (ease 1-4 from quality, ivl/lastIvl, factor, time, type).
    """
    anki_cards = {
        (guid, ord_): cid
        for cid, guid, ord_ in col.db.all(
            "select c.id, n.guid, c.ord from cards c join notes n on n.id = c.nid"
        )
    }
    counts: list[int] = []
    # One transaction: outside one, each row would be its own (fsynced) commit.
    col.db.transact(lambda: counts.extend(_copy_states(col, quiz_db, today, anki_cards)))
    return counts[0], counts[1]


def _copy_states(
    col: Any, quiz_db: Path, today: date, anki_cards: dict[tuple[str, int], int]
) -> tuple[int, int]:
    src = sqlite3.connect(quiz_db)
    try:
        mapping: dict[int, int] = {}
        query = (
            "select c.id, d.key, n.key, n.type, c.ord from cards c "
            "join notes n on n.id = c.note_id join decks d on d.id = n.deck_id "
            "where d.key like 'bench-%'"
        )
        from quiz.export.anki_text import anki_guid

        for card_id, deck_key, note_key, note_type, ord_ in src.execute(query):
            anki_id = anki_cards.get((anki_guid(deck_key, note_key), _anki_ord(note_type, ord_)))
            if anki_id is not None:
                mapping[card_id] = anki_id
        anki_today = int(col.sched.today)
        updates = []
        for card_id, ef, interval, reps, lapses, due, suspended in src.execute(
            "select card_id, ef, interval, repetitions, lapses, due, suspended from card_states"
        ):
            if card_id not in mapping or due is None:
                continue
            offset = (date.fromisoformat(due) - today).days
            queue = -1 if suspended else 2
            updates.append(
                (queue, anki_today + offset, max(1, interval), ef * 10, reps, lapses,
                 mapping[card_id])
            )
        col.db.executemany(
            "update cards set type = 2, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?, "
            "lapses = ?, left = 0, mod = 0, usn = -1 where id = ?",
            updates,
        )
        revlog = []
        last_id = 0
        rows = src.execute(
            "select card_id, reviewed_at, quality, duration_ms, interval_before, interval_after, "
            "ef_after, last_review_before, scheduled from review_log order by reviewed_at, id"
        )
        for card_id, at, quality, ms, ivl_before, ivl_after, ef_after, last, scheduled in rows:
            if card_id not in mapping:
                continue
            stamp = datetime.fromisoformat(at).replace(tzinfo=UTC)
            rid = max(int(stamp.timestamp() * 1000), last_id + 1)
            last_id = rid
            ease = 1 if quality < 3 else quality - 1
            kind = 0 if last is None else (1 if scheduled else 2)
            revlog.append(
                (rid, mapping[card_id], ease, ivl_after, ivl_before, ef_after * 10, ms, kind)
            )
            if len(revlog) >= 50_000:
                _insert_revlog(col, revlog)
        _insert_revlog(col, revlog)
        return len(updates), int(col.db.scalar("select count() from revlog"))
    finally:
        src.close()


def _insert_revlog(col: Any, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        col.db.executemany(
            "insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
            "values (?, ?, -1, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        rows.clear()


@dataclass
class AnkiBuilt:
    path: Path
    parent_deck_id: int
    notes: int
    cards: int
    states: int
    revlog: int


def build_anki_collection(path: Path, quiz_db: Path, csv_path: Path, today: date) -> AnkiBuilt:
    """An Anki collection with the quiz store's synthetic notes, states and history."""
    from anki.collection import Collection

    col: Any = Collection(str(path))
    try:
        anki_import_csv(col, csv_path)
        n_decks = sum(1 for d in col.decks.all_names_and_ids() if "::" in d.name)
        parent = configure_anki_limits(col, max(1, n_decks))
        states, revlog = copy_states_to_anki(col, quiz_db, today)
        notes_n = int(col.db.scalar("select count() from notes"))
        cards_n = int(col.db.scalar("select count() from cards"))
    finally:
        col.close(downgrade=False)
    return AnkiBuilt(path, parent, notes_n, cards_n, states, revlog)


def describe(built: Built) -> dict[str, Any]:
    """What was built, as JSON-ready values."""
    out: dict[str, Any] = json.loads(json.dumps(built.__dict__, default=str))
    return out
