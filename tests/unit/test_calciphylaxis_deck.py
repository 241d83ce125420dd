"""The bundled calciphylaxis deck: current with its facts, valid, sourced and safe to learn."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from quiz.decks.build import build, read_facts
from quiz.decks.coverage import coverage
from quiz.decks.generate import fact_ids
from quiz.decks.loader import LoadedDeck, check_deck, load_deck
from quiz.domain import cloze
from quiz.domain.notes import CardFace, Note, NoteType

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "decks" / "facts" / "calciphylaxis.yaml"
VIGNETTES = ROOT / "decks" / "facts" / "calciphylaxis-vignettes.yaml"
DECK = ROOT / "decks" / "calciphylaxis.yaml"


@pytest.fixture(scope="module")
def loaded() -> LoadedDeck:
    return load_deck(DECK)


@pytest.fixture(scope="module")
def notes(loaded: LoadedDeck) -> tuple[Note, ...]:
    return loaded.deck.notes


@pytest.fixture(scope="module")
def cards(notes: tuple[Note, ...]) -> list[CardFace]:
    return [card for note in notes for card in note.cards()]


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


# ---------------------------------------------------------------- supplement claims

# Calcium as a product one takes (not "calcium balance" or "calcium levels"), vitamin D in
# any form, or calcitriol.
_SUPPLEMENT = re.compile(
    r"\bcalcium\b[\w\s-]{0,40}?\b(supplement\w*|carbonate|acetate|citrate|tablets?|binders?)\b"
    r"|\b(vitamin d|calcitriol)\b",
    re.IGNORECASE,
)
_RECOMMENDS = re.compile(
    r"\b(help|helps|helpful|benefit|benefits|beneficial|treat|treats|improve|improves|"
    r"heal|heals|recommended|should take|start)\b",
    re.IGNORECASE,
)
# A sentence that mentions these is reporting or rejecting the claim, or is about
# correcting low blood calcium (hungry bone syndrome), not recommending supplements.
_QUALIFIED = re.compile(
    r"\b(no|not|avoid|avoided|contradicts?|risk factors?|claims?|blog|hypocalcemia|"
    r"low blood calcium|hungry bone)\b",
    re.IGNORECASE,
)


def recommends_calcium_or_vitamin_d(text: str) -> bool:
    """Whether any sentence of text presents calcium or vitamin D as helping, unqualified."""
    sentences = re.split(r"(?<=[.;?!])\s+", text)
    return any(
        _SUPPLEMENT.search(s) and _RECOMMENDS.search(s) and not _QUALIFIED.search(s)
        for s in sentences
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Calcium and vitamin D supplementation help heal the wounds.", True),
        ("Vitamin D supplements are beneficial in calciphylaxis.", True),
        ("Start calcium carbonate.", True),
        ("It contradicts the claim; calcium-based binders are risk factors.", False),
        ("No; vitamin D derivatives are risk factors and calcitriol is avoided.", False),
        ("Calcium supplementation to correct the low blood calcium", False),
        ("Fentanyl and methadone", False),
        ("Parathyroidectomy is recommended when calcium balance is hard to manage.", False),
        ("Calcitriol helps the lesions heal.", True),
    ],
)
def test_the_supplement_check_itself(text: str, expected: bool) -> None:
    assert recommends_calcium_or_vitamin_d(text) is expected


def test_no_card_teaches_that_calcium_or_vitamin_d_supplements_help(
    notes: tuple[Note, ...], cards: list[CardFace]
) -> None:
    taught = [c.answer for c in cards] + [c.context or "" for c in cards]
    taught += [n.fields["back"] for n in notes if n.type in (NoteType.BASIC, NoteType.REVERSED)]
    taught += [n.extra or "" for n in notes]
    offending = [t for t in taught if recommends_calcium_or_vitamin_d(t)]
    assert offending == []


def test_no_mcq_rewards_choosing_calcium_vitamin_d_or_calcitriol(notes: tuple[Note, ...]) -> None:
    # The one exception is treating hypocalcemia after parathyroidectomy.
    for note in notes:
        if note.type is not NoteType.MCQ or "hungry bone" in note.fields["stem"].casefold():
            continue
        best = next(o for o in note.options() if o.correct)
        if re.search(r"calcium|vitamin d|calcitriol", best.text, re.IGNORECASE):
            assert re.match(r"(no|stop)\b", best.text, re.IGNORECASE), note.id


def test_the_disagreement_with_the_blog_is_taught(cards: list[CardFace]) -> None:
    conflict = [c for c in cards if "blog claims calcium and vitamin d" in _norm(c.prompt)]
    assert len(conflict) == 1
    assert "contradicts" in conflict[0].answer
    assert "risk factors" in conflict[0].answer


# ---------------------------------------------------------------- freshness and validity


def test_the_committed_deck_is_current_with_its_facts() -> None:
    built = build(FACTS, None, "../quiz/decks/deck.schema.json")
    assert built.output == FACTS.parent / "../calciphylaxis.yaml"
    assert DECK.read_bytes() == built.text.encode("utf-8"), (
        "decks/calciphylaxis.yaml is stale; run `quiz build decks/facts/calciphylaxis.yaml`"
    )


def test_the_deck_says_it_is_generated_and_from_what() -> None:
    head = DECK.read_text(encoding="utf-8").splitlines()[:6]
    assert head[0].startswith("# GENERATED FILE")
    assert "#   facts/calciphylaxis.yaml" in head
    assert "#   facts/calciphylaxis-vignettes.yaml" in head


def test_the_deck_loads_without_errors_or_warnings(loaded: LoadedDeck) -> None:
    assert loaded.deck.id == "calciphylaxis"
    assert loaded.warnings == ()
    # `quiz check` adds lint and the item-writing rules: none may fire either.
    assert check_deck(DECK) == []


def test_the_longest_option_is_seldom_the_key(notes: tuple[Note, ...]) -> None:
    # "Pick the longest option" must not be a winning strategy.
    mcqs = [n for n in notes if n.type is NoteType.MCQ]
    longest_is_key = [n.id for n in mcqs if max(n.options(), key=lambda o: len(o.text)).correct]
    assert len(longest_is_key) <= len(mcqs) // 5, longest_is_key


def test_mcq_answer_positions_vary(notes: tuple[Note, ...]) -> None:
    # A deck whose best answer is usually in one place teaches the place, not the fact.
    positions = Counter(
        next(i for i, o in enumerate(n.options()) if o.correct)
        for n in notes
        if n.type is NoteType.MCQ
    )
    total = sum(positions.values())
    assert total >= 5
    assert max(positions.values()) <= 0.4 * total, positions
    assert len(positions) >= 4


def test_card_counts(notes: tuple[Note, ...], cards: list[CardFace]) -> None:
    by_type = Counter(c.type for c in cards)
    assert len(cards) >= 120
    assert set(by_type) == set(NoteType)
    assert by_type[NoteType.MCQ] >= 15
    assert by_type[NoteType.REVERSED] == 2 * sum(n.type is NoteType.REVERSED for n in notes)


def test_the_coverage_report_is_empty(loaded: LoadedDeck) -> None:
    report = coverage(fact_ids(read_facts(FACTS).facts), loaded.deck)
    assert report.facts_without_cards == ()
    assert report.unlinked_notes == ()


# ---------------------------------------------------------------- every note


def test_every_note_is_sourced_tagged_and_explained(loaded: LoadedDeck) -> None:
    source_ids = {s.id for s in loaded.deck.sources}
    assert {"wikipedia", "blog", "nejm", "weenig", "ukcs", "hayashi"} <= source_ids
    for source in loaded.deck.sources:
        assert source.url or source.id == "blog", source.id
    for note in loaded.deck.notes:
        assert note.source is not None, note.id
        assert note.source.source in source_ids, note.id
        assert note.source.section, note.id
        assert note.tags, note.id
        for tag in note.tags:
            assert re.fullmatch(r"calciphylaxis(::[a-z0-9-]+)+", tag), (note.id, tag)
            assert tag in loaded.deck.tags, (note.id, tag)
        assert note.extra and note.extra.strip(), note.id
        assert note.facts, note.id


def test_mcqs_are_board_style_with_one_best_answer(notes: tuple[Note, ...]) -> None:
    mcqs = [n for n in notes if n.type is NoteType.MCQ]
    vignettes = [n for n in mcqs if "calciphylaxis::vignettes" in n.tags]
    assert len(vignettes) >= 15
    for note in mcqs:
        options = note.options()
        assert sum(o.correct for o in options) == 1, note.id
        assert 5 <= len(options) <= 6, note.id  # one best answer and 4-5 distractors
        assert all(o.explanation.strip() for o in options), note.id
        assert len({_norm(o.text) for o in options}) == len(options), note.id
        assert note.fields["question"].endswith("?"), note.id
        # A patient stem: an age or a described patient, not a bare question.
        assert re.search(r"\b(\d+-year-old|patient|man|woman)\b", note.fields["stem"]), note.id


def test_no_two_cards_share_a_prompt(cards: list[CardFace]) -> None:
    prompts = Counter(_norm(c.prompt) for c in cards)
    assert [p for p, n in prompts.items() if n > 1] == []


def test_no_two_notes_share_a_front(notes: tuple[Note, ...]) -> None:
    fronts = Counter(_norm(n.fields["front"]) for n in notes if "front" in n.fields)
    assert [f for f, n in fronts.items() if n > 1] == []


def test_cloze_notes_are_well_formed(notes: tuple[Note, ...]) -> None:
    clozes = [n for n in notes if n.type is NoteType.CLOZE]
    assert clozes
    for note in clozes:
        text = note.fields["text"]
        assert cloze.problems(text) == [], note.id
        assert cloze.number_gaps(text) == [], note.id


def test_answers_do_not_appear_in_their_prompts(cards: list[CardFace]) -> None:
    for card in cards:
        if card.type in (NoteType.BASIC, NoteType.REVERSED):
            assert _norm(card.answer) not in _norm(card.prompt), (card.note_id, card.ord)
        if card.type is NoteType.CLOZE:
            # The hidden term must not be visible elsewhere in its own prompt.
            for answer in card.answer.split("; "):
                assert _norm(answer) not in _norm(card.prompt), (card.note_id, card.ord)


def test_no_figure_is_taught_from_the_stripped_primary_source(notes: tuple[Note, ...]) -> None:
    # The primary source reached us with numbers stripped, so any figure in a card
    # must cite a reference that still has it (vignette ages, timelines and lab
    # values in MCQ stems are not taught facts).
    for note in notes:
        if note.type is NoteType.MCQ:
            texts = [o.text for o in note.options()]
        elif note.type is NoteType.CLOZE:
            texts = [cloze.render_full(note.fields["text"])]  # without the c1, c2 numbering
        else:
            texts = [str(v) for v in note.fields.values()]
        if any(re.search(r"\d", t) for t in texts):
            assert note.source is not None and note.source.source != "wikipedia", note.id


def test_blog_figures_are_attributed_to_the_blog(notes: tuple[Note, ...]) -> None:
    for note in notes:
        from_blog = note.source is not None and note.source.source == "blog"
        if from_blog and "front" in note.fields and re.search(r"\d", note.fields["back"]):
            assert "blog" in note.fields["front"].casefold(), note.id


def test_the_briefs_example_cards_are_present(cards: list[CardFace]) -> None:
    answers = {_norm(c.answer) for c in cards}
    assert "fentanyl and methadone" in answers
    morphine = [c for c in cards if "why is morphine avoided" in _norm(c.prompt)]
    assert morphine
    assert "metabolites" in _norm(morphine[0].answer)
    assert "accumulate" in _norm(morphine[0].answer)
    # Two single-answer clozes, not one two-answer card (review round 1, finding 19).
    thiosulfate = {_norm(c.answer) for c in cards if "sodium thiosulfate" in _norm(c.prompt)}
    assert "high anion gap metabolic acidosis" in thiosulfate
    assert "hypernatremia" in thiosulfate


def test_the_key_figures_are_taught_with_their_sources(cards: list[CardFace]) -> None:
    # Review round 1: prognosis and epidemiology need numbers, each from a named reference.
    by_answer = {_norm(c.answer): c for c in cards}
    for answer, source in [
        ("less than one year", "nejm"),
        ("46%", "weenig"),
        ("67%", "ukcs"),
        ("1-4%", "hayashi"),
        ("61%", "ukcs"),
        ("59 years", "ukcs"),
        ("62%", "weenig"),
    ]:
        assert answer in by_answer, answer
        assert by_answer[answer].source is not None
        assert by_answer[answer].source.source == source, answer


def test_every_topic_of_the_brief_has_cards(loaded: LoadedDeck) -> None:
    topics = {"::".join(t.split("::")[:2]) for n in loaded.deck.notes for t in n.tags}
    for topic in (
        "definition",
        "populations",
        "pathogenesis",
        "risk-factors",
        "presentation",
        "complications",
        "diagnosis",
        "treatment",
        "prognosis",
        "epidemiology",
    ):
        assert f"calciphylaxis::{topic}" in topics
