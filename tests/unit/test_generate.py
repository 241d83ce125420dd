"""Unit tests of the deck generator, the coverage report and the build script, on tiny inputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from quiz.decks.coverage import UnlinkedNote, coverage
from quiz.decks.generate import (
    GenerateError,
    build_deck,
    cloze_text,
    dump_deck,
    facts_json_schema_text,
    notes_for_fact,
    parse_facts,
)
from quiz.decks.loader import load_deck_bytes
from quiz.domain.notes import Deck, Note, NoteType, Source, SourceRef

ROOT = Path(__file__).resolve().parents[2]

SOURCES = [
    {"id": "wiki", "title": "A primary source", "url": "https://example.invalid/wiki"},
    {"id": "blog", "title": "A secondary source", "url": None},
]


def tiny_facts() -> dict[str, Any]:
    """Three facts: cloze only, question only, and a reversed pair with a cloze as well."""
    return {
        "deck": {"id": "tiny", "title": "Tiny", "version": 1, "sources": copy.deepcopy(SOURCES)},
        "build": {"tag_root": "calciphylaxis"},
        "facts": [
            {
                "id": "f-cloze",
                "topic": "treatment::pain",
                "source": {"id": "wiki", "section": "Pain"},
                "cloze": "{{Fentanyl}} and {{methadone::opioid}} are preferred.",
                "why": "No active metabolites accumulate.",
            },
            {
                "id": "f-qa",
                "topic": "prognosis",
                "source": {"id": "wiki", "section": "Prognosis"},
                "statement": "Sepsis is the leading cause of death.",
                "why": "Wounds get infected.",
                "question": "Leading cause of death?",
                "answer": "Sepsis",
            },
            {
                "id": "f-pair",
                "topic": "treatment::sts",
                "tags": ["calciphylaxis::drugs"],
                "source": {"id": "blog", "section": "Paragraph 2"},
                "statement": "STS causes acidosis.",
                "why": "Acid anions.",
                "question": "STS: adverse effect",
                "answer": "High anion gap acidosis",
                "reversed": True,
                "cloze": "STS can cause {{high anion gap acidosis::acid-base}}.",
            },
        ],
    }


def vignettes() -> dict[str, Any]:
    return {
        "notes": [
            {
                # Keys deliberately out of the canonical order.
                "facts": ["f-qa", "f-cloze"],
                "options": [
                    {"explanation": "Right.", "correct": True, "text": "Sepsis"},
                    {"text": "Bleeding", "explanation": "Wrong."},
                ],
                "type": "mcq",
                "id": "v1",
                "stem": "A patient dies.",
                "question": "Why?",
                "tags": ["calciphylaxis::vignettes"],
                "source": {"id": "wiki", "section": "Prognosis"},
                "extra": "Sepsis.",
            }
        ]
    }


# ---------------------------------------------------------------- cloze markers


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ("{{a}}", "{{c1::a}}"),
        ("x {{a}} y {{b::hint}} z", "x {{c1::a}} y {{c2::b::hint}} z"),
        ("{{a::h::with colons}}", "{{c1::a::h::with colons}}"),
        ("{{high-dose opioids}}.", "{{c1::high-dose opioids}}."),
        ("{{a}}, {{+b}} and {{c}}", "{{c1::a}}, {{c1::b}} and {{c2::c}}"),
        ("{{a}} {{+b::h}} {{+c}} {{d}}", "{{c1::a}} {{c1::b::h}} {{c1::c}} {{c2::d}}"),
    ],
)
def test_cloze_markers_are_numbered_in_order(marked: str, expected: str) -> None:
    assert cloze_text(marked) == expected


@pytest.mark.parametrize(
    ("marked", "reason"),
    [
        ("no marker here", "no {{key term}} marker"),
        ("{{c1::explicit}}", "numbers are assigned"),
        ("{{ padded}}", "spaces inside"),
        ("{{a}} and a stray }}", "malformed"),
        ("{{a}} {{broken", "malformed"),
        ("{{+a}} and {{b}}", "joins the previous marker"),
    ],
)
def test_bad_cloze_markers_are_refused(marked: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        cloze_text(marked)


# ---------------------------------------------------------------- facts -> notes


def test_a_cloze_fact_yields_one_cloze_note_linked_to_its_fact() -> None:
    fact = parse_facts(tiny_facts()).facts[0]
    assert notes_for_fact(fact, "calciphylaxis") == [
        {
            "id": "f-cloze.cloze",
            "type": "cloze",
            "text": "{{c1::Fentanyl}} and {{c2::methadone::opioid}} are preferred.",
            "tags": ["calciphylaxis::treatment::pain"],
            "source": {"id": "wiki", "section": "Pain"},
            "extra": "No active metabolites accumulate.",
            "facts": ["f-cloze"],
        }
    ]


def test_a_question_fact_yields_a_basic_note() -> None:
    (note,) = notes_for_fact(parse_facts(tiny_facts()).facts[1], "calciphylaxis")
    assert (note["id"], note["type"], note["front"], note["back"]) == (
        "f-qa.qa",
        "basic",
        "Leading cause of death?",
        "Sepsis",
    )
    assert note["facts"] == ["f-qa"]


def test_a_reversed_fact_with_a_cloze_yields_both_notes_with_extra_tags() -> None:
    notes = notes_for_fact(parse_facts(tiny_facts()).facts[2], "calciphylaxis")
    assert [(n["id"], n["type"]) for n in notes] == [
        ("f-pair.qa", "reversed"),
        ("f-pair.cloze", "cloze"),
    ]
    assert all(
        n["tags"] == ["calciphylaxis::treatment::sts", "calciphylaxis::drugs"] for n in notes
    )
    assert all(n["source"] == {"id": "blog", "section": "Paragraph 2"} for n in notes)


def test_the_tag_root_comes_from_the_facts_file_or_the_deck_id() -> None:
    doc = tiny_facts()
    del doc["build"]
    assert build_deck(doc)["notes"][0]["tags"] == ["tiny::treatment::pain"]
    doc["build"] = {"tag_root": "cardio"}
    assert build_deck(doc)["notes"][0]["tags"] == ["cardio::treatment::pain"]
    assert parse_facts(doc).tag_root == "cardio"


def test_quotes_stay_in_the_facts_file_and_left_out_sources_must_exist() -> None:
    doc = tiny_facts()
    doc["facts"][0]["source"]["quote"] = "fentanyl ... preferred"
    assert "quote" not in build_deck(doc)["notes"][0]["source"]
    doc["left_out"] = [{"source": "nope", "quote": "x", "why": "y"}]
    with pytest.raises(GenerateError, match=r"left_out\[0\].source: unknown source 'nope'"):
        parse_facts(doc)


def test_the_published_facts_schema_is_current() -> None:
    published = ROOT / "quiz" / "decks" / "facts.schema.json"
    # If this fails, regenerate: quiz schema --facts -o quiz/decks/facts.schema.json
    assert published.read_text(encoding="utf-8") == facts_json_schema_text()
    schema = json.loads(facts_json_schema_text())
    assert {"deck", "build", "facts", "notes", "left_out"} <= set(schema["properties"])


def test_statement_defaults_to_the_cloze_without_markers() -> None:
    facts = parse_facts(tiny_facts()).facts
    assert facts[0].plain_statement == "Fentanyl and methadone are preferred."
    assert facts[1].plain_statement == "Sepsis is the leading cause of death."


def _fact_problem(change: dict[str, Any], drop: str | None = None, index: int = 1) -> str:
    doc = tiny_facts()
    doc["facts"][index].update(change)
    if drop:
        del doc["facts"][index][drop]
    with pytest.raises(GenerateError) as info:
        parse_facts(doc)
    return str(info.value)


def test_invalid_facts_are_reported_with_their_key_path() -> None:
    assert "facts[1].why: missing required key" in _fact_problem({}, drop="why")
    assert "facts[1]: `question` and `answer` go together" in _fact_problem({}, drop="answer")
    assert "facts[1].topic" in _fact_problem({"topic": "Treatment Pain"})
    assert "facts[1].qustion: unknown key" in _fact_problem({"qustion": "typo"})
    assert "unknown source 'nope'" in _fact_problem({"source": {"id": "nope", "section": "x"}})
    assert "facts[1].source.section: missing" in _fact_problem({"source": {"id": "wiki"}})
    assert "duplicate fact id 'f-cloze'" in _fact_problem({"id": "f-cloze"})
    assert "facts[0].cloze: has no {{key term}} marker" in _fact_problem(
        {"cloze": "plain"}, index=0
    )


def test_reversed_needs_a_question_and_a_fact_needs_a_statement_or_cloze() -> None:
    assert "`reversed: true` needs" in _fact_problem({"reversed": True}, index=0)
    doc = tiny_facts()
    del doc["facts"][0]["cloze"]
    with pytest.raises(GenerateError, match="needs a `statement`"):
        parse_facts(doc)


def test_a_facts_file_must_be_a_mapping() -> None:
    with pytest.raises(GenerateError, match="mapping with `deck:` and `facts:`"):
        parse_facts(["not", "a", "mapping"])


# ---------------------------------------------------------------- whole deck


def test_build_deck_merges_generated_and_hand_written_notes_in_order() -> None:
    deck = build_deck(tiny_facts(), [vignettes()])
    assert [n["id"] for n in deck["notes"]] == [
        "f-cloze.cloze",
        "f-qa.qa",
        "f-pair.qa",
        "f-pair.cloze",
        "v1",
    ]
    v1 = deck["notes"][-1]
    assert list(v1) == [
        "id",
        "type",
        "stem",
        "question",
        "options",
        "tags",
        "source",
        "extra",
        "facts",
    ]
    assert list(v1["options"][0]) == ["text", "correct", "explanation"]
    assert deck["deck"]["tags"] == sorted(
        {
            "calciphylaxis::treatment::pain",
            "calciphylaxis::prognosis",
            "calciphylaxis::treatment::sts",
            "calciphylaxis::drugs",
            "calciphylaxis::vignettes",
        }
    )


def test_facts_file_notes_come_before_notes_files() -> None:
    doc = tiny_facts()
    doc["notes"] = [{**vignettes()["notes"][0], "id": "in-facts-file"}]
    ids = [n["id"] for n in build_deck(doc, [vignettes()])["notes"]]
    assert ids[-2:] == ["in-facts-file", "v1"]


def test_build_deck_is_deterministic_and_does_not_mutate_its_input() -> None:
    facts, notes = tiny_facts(), vignettes()
    first = dump_deck(build_deck(facts, [notes]), ["a.yaml"], "a.yaml", "s.json")
    assert facts == tiny_facts()
    assert notes == vignettes()
    assert (
        dump_deck(build_deck(tiny_facts(), [vignettes()]), ["a.yaml"], "a.yaml", "s.json") == first
    )


def test_declared_tags_are_kept_in_the_vocabulary() -> None:
    doc = tiny_facts()
    doc["deck"]["tags"] = ["calciphylaxis::unused"]
    assert "calciphylaxis::unused" in build_deck(doc)["deck"]["tags"]


def test_hand_written_notes_may_not_reuse_ids_or_cite_unknown_facts() -> None:
    clash = vignettes()
    clash["notes"][0]["id"] = "f-qa.qa"
    with pytest.raises(GenerateError, match=r"notes_files\[0\].notes\[0\].id: duplicate note id"):
        build_deck(tiny_facts(), [clash])
    unknown = vignettes()
    unknown["notes"][0]["facts"] = ["f-qa", "no-such-fact"]
    with pytest.raises(GenerateError, match="unknown fact 'no-such-fact'"):
        build_deck(tiny_facts(), [unknown])


@pytest.mark.parametrize("bad", [[], {"notes": {}}, {"notes": [], "deck": {}}, {"notes": [1]}])
def test_notes_files_must_be_a_mapping_with_a_notes_list(bad: Any) -> None:
    with pytest.raises(GenerateError, match=r"notes_files\[0\]"):
        build_deck(tiny_facts(), [bad])


def test_dumped_deck_has_the_header_and_loads_cleanly() -> None:
    deck = build_deck(tiny_facts(), [vignettes()])
    deck["notes"][1]["back"] = " ".join(["word"] * 60)  # long text must stay on one line
    text = dump_deck(
        deck, ["facts/tiny.yaml", "facts/tiny-vignettes.yaml"], "facts/tiny.yaml", "../s.json"
    )
    lines = text.splitlines()
    assert lines[0] == "# GENERATED FILE: do not edit by hand."
    assert "#   facts/tiny.yaml" in lines
    assert "#   facts/tiny-vignettes.yaml" in lines
    assert any("run `quiz build facts/tiny.yaml`" in line for line in lines)
    assert "# yaml-language-server: $schema=../s.json" in lines
    assert yaml.safe_load(text) == deck
    assert any(line.strip().startswith("back: word word") and len(line) > 200 for line in lines)
    loaded = load_deck_bytes(text.encode(), "tiny.yaml")
    assert loaded.warnings == ()
    assert loaded.deck.card_count() == 2 + 1 + 2 + 1 + 1  # cloze c1,c2; basic; pair x2; cloze; mcq


# ---------------------------------------------------------------- coverage


def _note(note_id: str, facts: tuple[str, ...] = ("a",), source: str | None = "wiki") -> Note:
    return Note(
        id=note_id,
        type=NoteType.BASIC,
        fields={"front": f"Q {note_id}?", "back": "A"},
        source=SourceRef(source) if source else None,
        facts=facts,
    )


def _deck(*notes: Note) -> Deck:
    return Deck(id="d", title="D", notes=notes, sources=(Source("wiki", "Wiki"),))


def test_coverage_of_a_complete_deck_is_empty() -> None:
    report = coverage(["a", "b"], _deck(_note("n1", ("a",)), _note("n2", ("a", "b"))))
    assert report.complete
    assert report.facts_without_cards == ()
    assert report.unlinked_notes == ()


def test_coverage_lists_untaught_facts_and_unlinked_notes_in_order() -> None:
    report = coverage(
        ["a", "b", "c", "b"],
        _deck(
            _note("ok", ("a",)),
            _note("no-fact", ()),
            _note("ghost", ("zzz",)),
            _note("no-source", ("a",), source=None),
            _note("bad-source", ("a",), source="elsewhere"),
        ),
    )
    assert not report.complete
    assert report.facts_without_cards == ("b", "c")
    assert report.unlinked_notes == (
        UnlinkedNote("no-fact", "lists no fact"),
        UnlinkedNote("ghost", "cites unknown fact 'zzz'"),
        UnlinkedNote("no-source", "has no source"),
        UnlinkedNote("bad-source", "cites undeclared source 'elsewhere'"),
    )
    assert str(report.unlinked_notes[0]) == "no-fact: lists no fact"


def test_a_note_without_cards_does_not_teach_its_fact() -> None:
    empty = Note(
        id="e",
        type=NoteType.CLOZE,
        fields={"text": "no deletions"},
        source=SourceRef("wiki"),
        facts=("a",),
    )
    assert coverage(["a"], _deck(empty)).facts_without_cards == ("a",)


def test_a_facts_reset_is_copied_to_every_note_of_the_fact() -> None:
    doc = tiny_facts()
    doc["facts"][2]["reset"] = "v2"
    notes = build_deck(doc)["notes"]
    assert [n.get("reset") for n in notes] == [None, None, "v2", "v2"]
    assert list(notes[2])[-1] == "reset"  # key order stays canonical
