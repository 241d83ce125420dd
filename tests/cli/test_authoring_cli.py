"""Instructor commands end to end with CliRunner: new, ids, check, schema, diff, import, report.

Everything runs on real files and a real SQLite database under a temporary
QUIZ_HOME; review data comes from real ReviewSession answers and flags.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.cli import LAZY_COMMANDS, cli
from quiz.commands.authoring import installed_schema
from quiz.decks.loader import load_deck
from quiz.decks.schema import json_schema_text
from quiz.domain.notes import NoteType
from quiz.services import Quiz
from tests.conftest import TINY, FakeClock
from tests.store.test_report import ANN_FLAG, BOB_FLAG, edited_tiny, study

SCHEMA_FILE = Path(__file__).parents[2] / "quiz" / "decks" / "deck.schema.json"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("QUIZ_DB", "QUIZ_CONFIG", "QUIZ_LEARNER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QUIZ_HOME", str(tmp_path / "home"))
    # `quiz diff` is registered by the lead engineer; make sure the tests can reach it.
    monkeypatch.setitem(LAZY_COMMANDS, "diff", "quiz.commands.authoring:diff")
    return tmp_path / "home"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def db_url(home: Path) -> str:
    return f"sqlite:///{home / 'quiz.sqlite3'}"


# --- schema ---------------------------------------------------------------------------------


def test_committed_schema_file_is_the_generated_schema(home: Path) -> None:
    # If this fails, regenerate: quiz schema -o quiz/decks/deck.schema.json
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text()
    assert run("schema").output == json_schema_text()
    assert installed_schema().read_text(encoding="utf-8") == json_schema_text()


# --- new ------------------------------------------------------------------------------------


def test_new_scaffolds_a_valid_deck_with_every_note_type(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("new", "renal-pharm")
    assert result.exit_code == 0, result.output
    path = tmp_path / "renal-pharm.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    loaded = load_deck(path)
    assert loaded.deck.id == "renal-pharm"
    assert loaded.deck.title == "Renal pharm"
    assert {n.type for n in loaded.deck.notes} == set(NoteType)
    for kind in NoteType:  # each example is explained by a comment above it
        assert f"  # {kind}: " in text
    assert "add `reset: v1`" in text  # and that advice gives a valid deck:
    with_reset = tmp_path / "with-reset.yaml"
    with_reset.write_text(text.replace("    type: mcq\n", "    type: mcq\n    reset: v1\n"))
    assert load_deck(with_reset).deck.notes[3].reset == "v1"
    checked = run("check", str(path))
    assert checked.exit_code == 0
    assert "0 error(s), 0 warning(s)" in checked.output


def test_new_refuses_to_overwrite_and_rejects_bad_ids(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "mine.yaml"
    existing.write_text("precious\n")
    result = run("new", "cardio", "-o", "mine.yaml")
    assert result.exit_code == 1
    assert "mine.yaml already exists" in result.output
    assert existing.read_text() == "precious\n"
    result = run("new", "has space")
    assert result.exit_code == 1
    assert "not a valid deck id" in result.output
    assert not (tmp_path / "has space.yaml").exists()


def test_new_titles_that_need_quoting_are_quoted(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("new", "x", "--title", "Renal: drugs & dosing #1").exit_code == 0
    assert load_deck(tmp_path / "x.yaml").deck.title == "Renal: drugs & dosing #1"


def test_new_points_the_schema_comment_at_the_nearest_schema(home: Path, tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "decks").mkdir(parents=True)
    (course / "deck.schema.json").write_text("{}")
    assert run("new", "a", "-o", str(course / "decks" / "a.yaml")).exit_code == 0
    first = (course / "decks" / "a.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../deck.schema.json"

    repo = tmp_path / "repo"  # a checkout of quiz itself: decks/ next to quiz/decks/
    (repo / "quiz" / "decks").mkdir(parents=True)
    (repo / "quiz" / "decks" / "deck.schema.json").write_text("{}")
    (repo / "decks").mkdir()
    assert run("new", "b", "-o", str(repo / "decks" / "b.yaml")).exit_code == 0
    first = (repo / "decks" / "b.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../quiz/decks/deck.schema.json"

    lone = tmp_path / "lone"
    lone.mkdir()
    assert run("new", "c", "-o", str(lone / "c.yaml")).exit_code == 0
    first = (lone / "c.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=deck.schema.json"  # portable
    assert (lone / "deck.schema.json").read_text(encoding="utf-8") == json_schema_text()


# --- ids ------------------------------------------------------------------------------------

UNNAMED = """\
# Cardiology deck: keep comments!
deck:
  id: cardio
  title: "Cardiology"   # quoted on purpose
  sources:
    - {id: book, title: 'The Book'}

notes:
  # --- rhythm ---
  - type: basic          # no id yet
    front: "Which drug is first-line for stable angina?"
    back: 'Beta-blockers'
    source: {id: book}

  - id: kept
    type: basic
    front: Kept as is
    back: yes indeed
    source: {id: book}


  - {type: cloze, text: "{{c1::Adenosine}} treats SVT.", source: {id: book}}
  -   type: reversed
      front: QT
      back: Ventricular repolarisation
      source: {id: book}
"""


def added_ids(result: Result) -> list[tuple[int, str]]:
    return [
        (int(m.group(1)), m.group(2))
        for m in re.finditer(r":(\d+):\d+: added id (\S+)", result.output)
    ]


def test_ids_adds_only_id_lines_keeping_comments_blank_lines_and_quotes(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "cardio.yaml"
    path.write_text(UNNAMED, encoding="utf-8")
    assert run("check", str(path)).exit_code == 1  # notes without ids are errors
    result = run("ids", str(path))
    assert result.exit_code == 0, result.output
    (l1, first), (l2, second), (l3, third) = added_ids(result)
    assert (l1, l2, l3) == (10, 23, 24)  # lines in the file as written
    assert re.fullmatch(r"drug-first-line-stable-angina-[0-9a-f]{6}", first)
    assert re.fullmatch(r"adenosine-treats-svt-[0-9a-f]{6}", second)
    assert re.fullmatch(r"qt-[0-9a-f]{6}", third)
    expected = (
        UNNAMED.replace(
            "  - type: basic          # no id yet\n",
            f"  - id: {first}\n    type: basic          # no id yet\n",
        )
        .replace("  - {type: cloze,", f"  - {{id: {second}, type: cloze,")
        .replace("  -   type: reversed\n", f"  -   id: {third}\n      type: reversed\n")
    )
    assert path.read_text(encoding="utf-8") == expected
    checked = run("check", str(path))
    assert checked.exit_code == 0, checked.output
    assert "0 error(s), 0 warning(s)" in checked.output

    again = run("ids", str(path))  # nothing left to add: the file is not rewritten
    assert again.exit_code == 0
    assert "added 0 id(s)" in again.output
    assert path.read_text(encoding="utf-8") == expected


def test_ids_are_deterministic_and_unique_in_the_deck(home: Path, tmp_path: Path) -> None:
    twin = "  - {type: basic, front: Same question?, back: Same answer, source: {id: book}}\n"
    text = UNNAMED + twin + twin
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text(text)
    two.write_text(text)
    ids_one = [i for _, i in added_ids(run("ids", str(one)))]
    ids_two = [i for _, i in added_ids(run("ids", str(two)))]
    assert ids_one == ids_two
    assert len(set(ids_one)) == 5
    assert ids_one[4] == ids_one[3] + "-2"
    assert one.read_text() == two.read_text()


def test_ids_check_mode_lists_missing_ids_and_changes_nothing(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "cardio.yaml"
    path.write_text(UNNAMED)
    result = run("ids", "--check", str(path))
    assert result.exit_code == 1
    assert f"{path}:10:5: notes[0] has no id" in result.output
    assert "3 note(s) without an id" in result.output
    assert path.read_text() == UNNAMED
    run("ids", str(path))
    assert run("ids", "--check", str(path)).exit_code == 0


def test_ids_refuses_a_file_that_is_not_yaml(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    broken = "deck: {id: x, title: X}\nnotes:\n  - {type: basic, front: q\n"
    path.write_text(broken)
    result = run("ids", str(path))
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(path))}:4:1: error: YAML syntax: ", result.output)
    assert path.read_text() == broken


# --- check ----------------------------------------------------------------------------------

WARNED = """\
deck:
  id: warned
  title: Warned
  sources: [{id: book, title: The Book}]
  tags: [cardio]
notes:
  - {id: a, type: basic, front: Is it Paris?, back: Paris, source: {id: book}}
  - {id: b, type: cloze, text: "{{c1::x1}} and {{c3::y1}}", tags: [cardoi], source: {id: book}}
  - {id: c, type: basic, front: q, back: a}
"""


def test_check_prints_warnings_for_editors_and_json_for_tools(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "warned.yaml"
    path.write_text(WARNED)
    result = run("check", str(path))
    assert result.exit_code == 0  # warnings alone do not fail a check
    assert result.stdout.splitlines() == [
        f"{path}:7:47: warning: notes[0](a).back: the answer 'Paris' appears in the front",
        f"{path}:8:26: warning: notes[1](b).text: cloze numbering skips c2 (uses c1, c3); "
        "number the deletions c1, c2, ... without gaps",
        f"{path}:8:68: warning: notes[1](b).tags[0]: tag 'cardoi' is not in deck.tags; "
        "did you mean 'cardio'?",
        f"{path}:9:5: warning: notes[2](c): has no source; cite one of deck.sources (book) "
        "with `source: {id: ...}`",
    ]
    assert "1 file(s) checked: 0 error(s), 4 warning(s)" in result.stderr
    payload = json.loads(run("check", "--format", "json", str(path)).stdout)
    assert payload["files"] == [str(path)]
    assert [(d["line"], d["column"], d["severity"], d["path"]) for d in payload["diagnostics"]] == [
        (7, 47, "warning", "notes[0](a).back"),
        (8, 26, "warning", "notes[1](b).text"),
        (8, 68, "warning", "notes[1](b).tags[0]"),
        (9, 5, "warning", "notes[2](c)"),
    ]


# --- import --dry-run, diff and re-import ---------------------------------------------------


def study_tiny(home: Path, clock: FakeClock) -> None:
    """Ann and Bob answer and flag cards of the imported tiny deck (one day)."""
    for name, grades, flags in (
        (
            "ann",
            {"tiny:capital:0": 5, "tiny:water:0": 2, "tiny:sodium:1": 4, "tiny:vignette:0": 1},
            {"tiny:capital:0": ANN_FLAG},
        ),
        (
            "bob",
            {"tiny:capital:0": 3, "tiny:water:0": 1, "tiny:sodium:1": 5, "tiny:vignette:0": 2},
            {"tiny:vignette:0": BOB_FLAG},
        ),
    ):
        quiz = Quiz.open(db_url(home), learner=name, clock=clock, tz=clock.now.tzinfo)
        try:
            study(quiz, grades, flags)
        finally:
            quiz.close()


WARNINGS = [
    "warning: capital card: answer changed from 'Paris' to 'Paris (Île-de-France)'; "
    "2 learner(s)' progress stays on a card that now asks something else. Fix: add `reset:` "
    "to the note to restart it, or `from:` on the card that now asks the old answer",
]

DRY_RUN_LINES = [
    "  edited    capital  (text edited)",
    "      card      answer changed: 'Paris' -> 'Paris (Île-de-France)'; "
    "progress of 2 learner(s) stays on it (see the warning)",
    "  reset     water  (`reset` changed)",
    "      forward   progress reset for 2 learner(s)",
    "      reverse   progress reset",
    "  edited    sodium  (text edited)",
    "      c1        unchanged; progress kept for 2 learner(s)",
    "      c3        new",
    "      c2        retired; history kept",
    "  added     oxygen  (2 cards (c1, c2))",
    "  retired   vignette  (1 card leaves review)",
    "      card      retired; history kept; 2 learner(s) had progress",
]


def test_dry_run_then_reimport_keeps_progress_except_where_reset(
    home: Path, tmp_path: Path, clock: FakeClock
) -> None:
    assert run("import", str(TINY)).exit_code == 0
    study_tiny(home, clock)
    new = edited_tiny(tmp_path)
    result = run("import", "--dry-run", str(new))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "would import tiny (Tiny deck): 1 added, 2 edited, 1 reset, 0 moved, 0 unchanged, "
        "1 retired, 0 restored; cards +3 -2; 1 warning(s)",
        *WARNINGS,
        *DRY_RUN_LINES,
    ]
    before = run("report", "--csv", "--deck", "tiny").stdout
    assert run("report", "--csv", "--deck", "tiny").stdout == before  # the dry run changed nothing

    assert run("import", str(new)).exit_code == 0
    rows = {
        (r["note"], r["card"]): r
        for r in csv.DictReader(io.StringIO(run("report", "--csv", "--min-reviews", "0").stdout))
    }
    # Edited notes keep every learner's state; the reset note starts again; the retired
    # note and the renumbered cloze card leave the report.
    assert rows["capital", "0"]["average_ef"] == "2.48"  # ann 260, bob 236
    assert rows["sodium", "1"]["average_ef"] == "2.55"
    assert rows["water", "0"]["average_ef"] == ""
    assert rows["water", "0"]["reviews"] == "2"  # the history is kept
    assert ("vignette", "0") not in rows
    assert ("sodium", "2") not in rows
    assert rows["sodium", "3"]["reviews"] == "0"
    again = run("import", str(new))
    assert (
        "0 added, 0 edited, 0 reset, 0 moved, 4 unchanged, 0 retired, 0 restored; cards +0 -0"
        in again.output
    )


def test_diff_compares_two_files_without_a_database(home: Path, tmp_path: Path) -> None:
    new = edited_tiny(tmp_path)
    result = run("diff", str(TINY), str(new))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{TINY} -> {new}: deck tiny: 1 added, 2 edited, 1 reset, 0 moved, 0 unchanged, "
        "1 retired, 0 restored; cards +3 -2; 2 warning(s)",
        WARNINGS[0].replace("2 learner(s)' progress", "progress"),
        "warning: sodium c2: card removed; progress stays on the retired card and does not "
        "follow. Fix: add `from: {c3: c2}` to note sodium to carry it",
        "  edited    capital  (text edited)",
        "      card      answer changed: 'Paris' -> 'Paris (Île-de-France)'",
        "  reset     water  (`reset` changed)",
        "      forward   progress reset",
        "      reverse   progress reset",
        "  edited    sodium  (text edited)",
        "      c1        unchanged",
        "      c3        new",
        "      c2        retired; history kept",
        "  added     oxygen  (2 cards (c1, c2))",
        "  retired   vignette  (1 card leaves review)",
        "      card      retired; history kept",
    ]
    assert not home.exists()  # no database was created


def test_diff_with_progress_reads_learner_counts_from_the_database(
    home: Path, tmp_path: Path, clock: FakeClock
) -> None:
    new = edited_tiny(tmp_path)
    result = run("diff", "--progress", str(TINY), str(new))
    assert result.exit_code == 1
    assert "no database at" in result.output
    run("import", str(TINY))
    study_tiny(home, clock)
    result = run("diff", "--progress", str(TINY), str(new))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [*WARNINGS, *DRY_RUN_LINES]


def test_diff_warns_when_the_deck_ids_differ_and_refuses_broken_files(
    home: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(TINY.read_text().replace("id: tiny", "id: other"))
    result = run("diff", str(TINY), str(other))
    assert result.exit_code == 0
    assert "would create a new deck" in result.stderr
    assert "deck other: 4 added" in result.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("deck: {id: b, title: B}\nnotes: []\n")
    result = run("diff", str(TINY), str(broken))
    assert result.exit_code == 1
    assert f"{broken}:2:1: error: notes: needs at least 1 item(s)" in result.output


def test_from_is_checked_against_the_previous_version_and_applied_once(
    home: Path, tmp_path: Path, clock: FakeClock
) -> None:
    assert run("import", str(TINY)).exit_code == 0
    study_tiny(home, clock)
    renumbered = TINY.read_text().replace("{{c1::Sodium}}", "{{c3::Sodium}}")
    moved = tmp_path / "moved.yaml"
    moved.write_text(
        renumbered.replace(
            "    tags: [chem]\n    source: {id: book}\n",
            "    tags: [chem]\n    source: {id: book}\n    from: {c3: c1}\n",
        )
    )
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(moved.read_text().replace("from: {c3: c1}", "from: {c3: capital:c2}"))
    shape = tmp_path / "shape.yaml"
    shape.write_text(moved.read_text().replace("from: {c3: c1}", "from: {c9: c1}"))

    assert run("check", "--previous", str(TINY), str(moved)).exit_code == 0
    result = run("check", "--previous", str(TINY), str(wrong))
    assert result.exit_code == 1
    assert (
        f"{wrong}:24:1: error: notes(sodium): from: 'capital:c2': note 'capital' had no card "
        "'c2' (card)" in result.stdout
    )
    result = run("check", str(shape))
    assert result.exit_code == 1
    assert "notes[2](sodium).from: 'c9' is not a card of this note (its cards: c2, c3)" in (
        result.stdout
    )
    result = run("diff", str(TINY), str(wrong))
    assert result.exit_code == 1 and "had no card 'c2'" in result.output
    result = run("import", str(wrong))
    assert result.exit_code == 1 and "nothing imported" in result.output

    # Without the move, the import warns first (on stderr) and says what it did.
    plain = tmp_path / "plain.yaml"
    plain.write_text(renumbered)
    dry = run("import", "--dry-run", str(moved))
    assert dry.exit_code == 0
    assert "      c3        moved from sodium:c1; progress of 2 learner(s) moves with it" in (
        dry.stdout.splitlines()
    )
    assert run("import", str(moved)).exit_code == 0
    rows = {
        (r["note"], r["card"]): r
        for r in csv.DictReader(io.StringIO(run("report", "--csv", "--min-reviews", "0").stdout))
    }
    assert rows["sodium", "3"]["reviews"] == "2"  # the history came along
    assert ("sodium", "1") not in rows
    again = run("import", "--force", str(moved))
    assert "0 moved, 4 unchanged" in again.stdout and "moved;" not in again.stdout


def test_import_prints_its_warnings_before_it_writes(home: Path, tmp_path: Path) -> None:
    assert run("import", str(TINY)).exit_code == 0
    new = tmp_path / "new.yaml"
    new.write_text(TINY.read_text().replace("back: Paris", "back: Lyon"))
    result = run("diff", str(TINY), str(new))
    assert "warning: capital card: answer changed from 'Paris' to 'Lyon'" in result.stdout
    imported = run("import", str(new))
    assert imported.exit_code == 0
    assert imported.stderr == ""  # nobody has studied: no progress at stake, no warning
    assert "1 edited" in imported.stdout


# --- report ---------------------------------------------------------------------------------


def test_report_text_and_csv_from_real_answers_and_flags(
    home: Path, tmp_path: Path, clock: FakeClock
) -> None:
    run("import", str(TINY))
    study_tiny(home, clock)
    result = run("report", "--deck", "tiny")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "card", "n", "p", "r_pb", "D", "lapses", "leeches", "flags", "question",
    ]  # fmt: skip
    # Both flagged cards first; of those, the one nobody got right the first time. Two
    # learners are too few for any statistical flag (n marked *), so only theirs show.
    # Both learners scored the same on each card: no point-biserial (the item score does
    # not vary), and D = 0 (upper and lower group, one learner each, agree).
    assert lines[1].split()[:8] == ["tiny:vignette:0", "2*", "0.00", "-", "+0.00", "0", "0", "1"]
    assert lines[2].strip() == "! flagged by 1 learner(s)"
    assert lines[3].split(": ", 1)[1] == BOB_FLAG
    assert lines[3].strip().startswith("flagged 2026-11-22: ")
    # A multiple-choice card with findings shows its distractor table (nobody picked an
    # option here: both revealed the answer and graded it by hand).
    assert [line.split() for line in lines[4:9]] == [
        ["option", "all", "upper", "lower"],
        ["a*", "Calciphylaxis", "0", "0", "0"],
        ["b", "Cellulitis", "0", "0", "0"],
        ["c", "Vasculitis", "0", "0", "0"],
        ["-", "(answer", "shown", "without", "a", "pick)", "2", "1", "1"],
    ]
    assert lines[9].split()[:8] == ["tiny:capital:0", "2*", "1.00", "-", "+0.00", "0", "0", "1"]
    assert lines[9].endswith("Capital of France?")
    assert lines[10].strip() == "! flagged by 1 learner(s)"
    assert lines[11].split(": ", 1)[1] == ANN_FLAG
    assert lines[12].split()[:8] == ["tiny:water:0", "2*", "0.00", "-", "+0.00", "0", "0", "0"]
    assert lines[13].split()[:8] == ["tiny:sodium:1", "2*", "1.00", "-", "+0.00", "0", "0", "0"]
    assert len(lines) == 14
    assert "4 card(s); 2 with findings; 2 flagged by learners" in result.stderr
    assert "* n < 30: small sample" in result.stderr

    rows = list(csv.reader(io.StringIO(run("report", "--csv").stdout)))
    assert rows[0] == [
        "deck", "note", "card", "type", "question", "reviews", "learners", "first_answers",
        "first_try_passed", "first_try_accuracy", "average_ef", "lapses", "leeches", "flagged",
        "flag_notes", "n", "p", "point_biserial", "upper_lower", "findings", "caveat",
        "distractors",
    ]  # fmt: skip
    assert rows[1][:4] == ["tiny", "vignette", "0", "mcq"]
    assert rows[1][4].startswith("A 60-year-old on hemodialysis")
    assert rows[1][5:19] == [
        "2", "2", "2", "0", "0.00", "2.07", "0", "0", "1", BOB_FLAG, "2", "0.000", "", "0.000",
    ]  # fmt: skip
    assert rows[1][19:21] == ["flagged by 1 learner(s)", "n=2 < 10: too few to judge"]
    # Nobody picked an option (both revealed the answer and graded by hand).
    assert rows[1][21] == (
        "a* Calciphylaxis: 0 (upper 0, lower 0) | b Cellulitis: 0 (upper 0, lower 0) | "
        "c Vasculitis: 0 (upper 0, lower 0) | - (answer shown without a pick): 2 "
        "(upper 1, lower 1)"
    )
    assert rows[2][:15] == [
        "tiny", "capital", "0", "basic", "Capital of France?", "2", "2", "2", "2", "1.00",
        "2.48", "0", "0", "1", ANN_FLAG,
    ]  # fmt: skip
    assert [r[1:3] for r in rows[3:]] == [["water", "0"], ["sodium", "1"]]


def test_report_on_an_empty_collection_and_an_unknown_deck(home: Path) -> None:
    result = run("report")
    assert result.exit_code == 0
    assert "No card has been reviewed or flagged yet." in result.output
    assert run("report", "--csv").stdout.startswith("deck,note,card,")
    result = run("report", "--deck", "nope")
    assert result.exit_code == 1
    assert "no deck with id nope" in result.output


def test_diff_and_dry_run_say_when_an_edit_changes_the_correct_option(
    home: Path, tmp_path: Path
) -> None:
    text = TINY.read_text(encoding="utf-8")
    reordered = tmp_path / "reordered.yaml"  # options moved, explanations edited: same key
    reordered.write_text(
        text.replace(
            "      - {text: Calciphylaxis, correct: true, explanation: Classic in ESRD.}\n"
            "      - {text: Cellulitis, explanation: Not necrotic.}\n",
            "      - {text: Cellulitis, explanation: Not necrotic at all.}\n"
            "      - {text: calciphylaxis, correct: true, explanation: Classic in ESRD.}\n",
        ),
        encoding="utf-8",
    )
    rekeyed = tmp_path / "rekeyed.yaml"
    rekeyed.write_text(
        text.replace("{text: Calciphylaxis, correct: true,", "{text: Calciphylaxis,").replace(
            "{text: Vasculitis,", "{text: Vasculitis, correct: true,"
        ),
        encoding="utf-8",
    )
    same = run("diff", str(TINY), str(reordered))
    assert "  edited    vignette  (text edited)" in same.output.splitlines()
    assert "answer changed" not in same.output  # the key is the same option, recased
    assert "warning" not in same.output
    changed = run("diff", str(TINY), str(rekeyed))
    assert "      card      answer changed: 'Calciphylaxis' -> 'Vasculitis'" in (
        changed.output.splitlines()
    )
    assert "warning: vignette card: answer changed from 'Calciphylaxis' to 'Vasculitis'" in (
        changed.output
    )
    assert run("import", str(TINY)).exit_code == 0
    dry = run("import", "--dry-run", str(rekeyed))
    assert "answer changed: 'Calciphylaxis' -> 'Vasculitis'" in dry.output
