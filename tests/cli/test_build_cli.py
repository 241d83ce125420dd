"""`quiz build` and `quiz coverage` end to end with CliRunner, on real files.

The walkthrough in the README (source text -> facts -> deck -> check -> import)
is replayed here with the same files, so the documentation cannot drift.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quiz.cli import cli
from quiz.decks.loader import load_deck

ROOT = Path(__file__).parents[2]
SHARED_SOURCES = Path(os.environ.get("QUIZ_SOURCES_DIR", ROOT.parent / "shared" / "sources"))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


SOURCE = """\
Scurvy is caused by a lack of vitamin C.
It causes bleeding gums and corkscrew hairs.
Sailors on long voyages were often affected.
"""

FACTS = """\
deck:
  id: scurvy
  title: Scurvy
  sources:
    - {id: notes, title: Lecture notes, url: https://example.org/notes}
build:
  tag_root: nutrition
  notes: [vignettes.yaml]
  output: ../scurvy.yaml
facts:
  - id: cause
    topic: vitamins
    source: {id: notes, section: Causes, quote: "scurvy is caused by a lack of vitamin c"}
    cloze: "Scurvy is caused by a lack of {{vitamin C}}."
    why: Ascorbate is a cofactor for the enzymes that cross-link collagen.
  - id: signs
    topic: vitamins::signs
    source: {id: notes, section: Signs, quote: "bleeding gums ... corkscrew hairs"}
    statement: Scurvy causes bleeding gums.
    question: Which gum finding suggests a lack of ascorbate?
    answer: Bleeding
    why: Weak collagen makes the small vessels of the gums fragile.
left_out:
  - source: notes
    quote: "sailors on long voyages were often affected"
    why: History, not a tested fact.
"""

VIGNETTES = """\
notes:
  - id: v-scurvy
    type: mcq
    stem: A 74-year-old man who lives alone on tea and toast has bleeding gums and corkscrew hairs.
    question: Which deficiency is most likely?
    options:
      - {text: Vitamin D, explanation: Its lack causes rickets and osteomalacia.}
      - {text: Ascorbate, correct: true, explanation: Needed to make stable collagen.}
      - {text: Cobalamin, explanation: Its lack causes anemia and neuropathy.}
    tags: [nutrition::vignettes]
    source: {id: notes, section: Signs}
    extra: A diet without fresh fruit or vegetables for months is the classic story.
    facts: [cause, signs]
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    facts = tmp_path / "decks" / "facts"
    facts.mkdir(parents=True)
    (facts / "scurvy.yaml").write_text(FACTS, encoding="utf-8")
    (facts / "vignettes.yaml").write_text(VIGNETTES, encoding="utf-8")
    (tmp_path / "notes.txt").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def test_build_writes_the_configured_output_then_check_passes(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    deck = course / "decks" / "scurvy.yaml"
    missing = run("build", str(facts), "--check")
    assert missing.exit_code == 1
    assert "is missing" in missing.output
    result = run("build", str(facts))
    assert result.exit_code == 0, result.output
    assert f"wrote {deck}" in result.output
    loaded = load_deck(deck)
    assert [n.id for n in loaded.deck.notes] == ["cause.cloze", "signs.qa", "v-scurvy"]
    assert loaded.deck.notes[0].tags == ("nutrition::vitamins",)
    text = deck.read_text(encoding="utf-8")
    assert "#   facts/scurvy.yaml\n#   facts/vignettes.yaml\n" in text
    assert str(course) not in text.split("yaml-language-server")[0]
    assert run("build", str(facts), "--check").exit_code == 0
    again = run("build", str(facts))
    assert "unchanged" in again.output
    assert run("check", str(deck)).exit_code == 0


def test_build_check_reports_a_stale_deck(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    run("build", str(facts))
    deck = course / "decks" / "scurvy.yaml"
    deck.write_text(deck.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    result = run("build", str(facts), "--check")
    assert result.exit_code == 1
    assert f"{deck} is stale; run `quiz build {facts}`" in result.output


def test_build_to_standard_output_and_to_another_file(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    facts.write_text(FACTS.replace("  output: ../scurvy.yaml\n", ""), encoding="utf-8")
    printed = run("build", str(facts))
    assert printed.exit_code == 0
    assert printed.output.startswith("# GENERATED FILE")
    assert "#   scurvy.yaml\n" in printed.output
    other = course / "elsewhere.yaml"
    assert run("build", str(facts), "-o", str(other)).exit_code == 0
    assert "#   decks/facts/scurvy.yaml\n" in other.read_text(encoding="utf-8")
    assert run("build", str(facts), "--check").exit_code == 1  # nothing to compare with


def test_build_errors_name_file_line_and_key_and_write_nothing(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    facts.write_text(
        FACTS.replace("    why: Weak collagen", "    wh: Weak collagen"), encoding="utf-8"
    )
    result = run("build", str(facts))
    assert result.exit_code == 1
    assert f"{facts}:22:5: error: facts[1].wh: unknown key; check its spelling" in result.output
    assert f"{facts}:16:5: error: facts[1].why: missing required key" in result.output
    assert "Traceback" not in result.output
    assert not (course / "decks" / "scurvy.yaml").exists()


def test_build_locates_errors_in_notes_files_and_in_the_generated_deck(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    vignettes = course / "decks" / "facts" / "vignettes.yaml"
    vignettes.write_text(VIGNETTES.replace("facts: [cause, signs]", "facts: [nope]"), "utf-8")
    result = run("build", str(facts))
    assert result.exit_code == 1
    assert (
        f"{vignettes}:13:5: error: notes[0](v-scurvy).facts: unknown fact 'nope'" in result.output
    )
    # Two best answers: the deck loader's error, reported at the vignette that causes it.
    vignettes.write_text(
        VIGNETTES.replace("{text: Vitamin D,", "{text: Vitamin D, correct: true,"), "utf-8"
    )
    result = run("build", str(facts))
    assert result.exit_code == 1
    assert f"{vignettes}:2:5: error: notes[0](v-scurvy)" in result.output
    assert "exactly one option" in result.output
    assert "in the generated deck as notes[2](v-scurvy)" in result.output


def test_one_run_reports_the_problems_of_the_facts_file_and_of_its_notes_files(
    course: Path,
) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    vignettes = course / "decks" / "facts" / "vignettes.yaml"
    facts.write_text(FACTS.replace("    why: Weak collagen", "    wh: Weak collagen"), "utf-8")
    vignettes.write_text("notes: {}\n", encoding="utf-8")
    result = run("build", str(facts))
    assert result.exit_code == 1
    assert f"{facts}:22:5: error: facts[1].wh: unknown key" in result.output
    assert f"{vignettes}:1:1: error: a notes file is a mapping with one key" in result.output


def test_build_reports_yaml_syntax_and_missing_files(course: Path) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    facts.write_text("deck: {}\ndeck: {}\n", encoding="utf-8")
    result = run("build", str(facts))
    assert result.exit_code == 1
    assert f"{facts}:2:1: error:" in result.output and "duplicate key" in result.output
    result = run("build", str(course / "nope.yaml"))
    assert result.exit_code == 1
    assert "no such facts file" in result.output


def test_coverage_lists_uncovered_passages_unfound_quotes_and_untaught_facts(
    course: Path,
) -> None:
    facts = course / "decks" / "facts" / "scurvy.yaml"
    source = course / "notes.txt"
    clean = run("coverage", str(facts), "--source", str(source))
    assert clean.exit_code == 0, clean.output
    assert "Source passages no fact covers (0):" in clean.output
    assert (
        "Cards by type: cloze 1, basic 1, mcq 1".replace("cloze 1, basic 1", "basic 1, cloze 1")
        in clean.output
    )

    # Drop the left-out entry and break a quote: both show up, with where to look.
    text = FACTS.split("left_out:")[0].replace(
        '"bleeding gums ... corkscrew hairs"', '"purple gums"'
    )
    facts.write_text(text, encoding="utf-8")
    result = run("coverage", str(facts), "--source", str(source))
    assert result.exit_code == 1
    assert f"{source}:2: it causes bleeding gums and corkscrew hairs" in result.output
    assert f"{source}:3: sailors on long voyages were often affected" in result.output
    assert f"{facts}:18: facts[1].source.quote" in result.output

    # A fact that no card teaches (its only note is gone) and a note without a fact.
    facts.write_text(
        FACTS.replace(
            '    cloze: "Scurvy is caused by a lack of {{vitamin C}}."\n',
            "    statement: Scurvy is caused by a lack of vitamin C.\n",
        ),
        "utf-8",
    )
    (course / "decks" / "facts" / "vignettes.yaml").write_text(
        VIGNETTES.replace("    facts: [cause, signs]\n", ""), "utf-8"
    )
    result = run("coverage", str(facts))
    assert result.exit_code == 1
    assert "Facts without a card (1):\n  cause\n" in result.output
    assert "v-scurvy: lists no fact" in result.output


def test_the_bundled_deck_is_reproduced_byte_for_byte_by_quiz_build(tmp_path: Path) -> None:
    # A fresh copy of the inputs, built by the command a user runs, gives the committed file.
    (tmp_path / "decks" / "facts").mkdir(parents=True)
    for name in ("calciphylaxis.yaml", "calciphylaxis-vignettes.yaml"):
        shutil.copy(ROOT / "decks" / "facts" / name, tmp_path / "decks" / "facts" / name)
    (tmp_path / "quiz" / "decks").mkdir(parents=True)
    shutil.copy(ROOT / "quiz" / "decks" / "deck.schema.json", tmp_path / "quiz" / "decks")
    result = run("build", str(tmp_path / "decks" / "facts" / "calciphylaxis.yaml"))
    assert result.exit_code == 0, result.output
    built = (tmp_path / "decks" / "calciphylaxis.yaml").read_bytes()
    assert built == (ROOT / "decks" / "calciphylaxis.yaml").read_bytes()
    check = run("build", str(ROOT / "decks" / "facts" / "calciphylaxis.yaml"), "--check")
    assert check.exit_code == 0, check.output


@pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason="the source documents are not in the repo")
def test_the_bundled_facts_cover_both_source_documents() -> None:
    sources = sorted(str(p) for p in SHARED_SOURCES.glob("*.txt"))
    assert len(sources) == 2
    # As a shell expands `--source sources/*.txt`: one option, then more files.
    result = run(
        "coverage", str(ROOT / "decks" / "facts" / "calciphylaxis.yaml"), "--source", *sources
    )
    assert result.exit_code == 0, result.output
    assert "Source passages no fact covers (0):" in result.output
    assert "Quotes found in no source (0):" in result.output


def test_the_readme_walkthrough_files_build(tmp_path: Path) -> None:
    # The README's walkthrough shows these exact files; keep them in step.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert textwrap.indent(FACTS, "    ").strip() in readme or FACTS.strip() in readme


def test_quiz_schema_facts_prints_the_published_facts_schema() -> None:
    published = (ROOT / "quiz" / "decks" / "facts.schema.json").read_text(encoding="utf-8")
    assert run("schema", "--facts").output == published


def test_the_build_script_is_quiz_build() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_deck.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "calciphylaxis.yaml is up to date" in done.stdout
