"""`quiz new`, `quiz ids` and `quiz diff`: start a deck, give notes stable ids, preview a re-import.

`quiz ids` edits deck files that instructors keep in git, so it must change
nothing but the ids it adds. It parses with ruamel.yaml's round-trip loader
(which keeps the position of every mapping) and then inserts each new
``id:`` line into the original text at that position, instead of re-dumping
the document: re-dumping would re-indent, re-wrap long lines and re-quote
scalars. The edited text is parsed again and compared with the original, so
a file that cannot be edited this way is refused rather than damaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quiz.cli import FORMAT_OPTION, Options, echo_json, fail, print_diagnostics

if TYPE_CHECKING:
    from quiz.decks.loader import LoadedDeck
    from quiz.domain.plan import ImportPlan

SCHEMA_NAME = "deck.schema.json"

# --- quiz new ---------------------------------------------------------------------------------

SCAFFOLD = """\
# yaml-language-server: $schema=@SCHEMA@
# A quiz deck. `deck:` describes it; `notes:` holds the facts to learn, one note each.
# The comment above lets editors with a YAML language server (VS Code's YAML
# extension, Neovim, Helix...) complete keys and flag mistakes as you type.
#
#   quiz check @FILE@              every error and warning, with line numbers
#   quiz import --dry-run @FILE@   what an import would change, note by note
#   quiz import @FILE@             import it (re-importing keeps learners' progress)
#
# Every note needs an `id`, unique in the deck, that stays the same when you
# edit the note: learners' progress is kept under it. Write new notes without
# one and run `quiz ids @FILE@` to add them.
deck:
  id: @DECK_ID@   # stable: learners' progress is kept under it
  title: @TITLE@
  description: What this deck teaches, and to whom.
  version: 1
  sources:                  # what the notes are based on; each note cites one by id
    - id: textbook
      title: Title of the textbook, guideline or article
      url: https://example.org/replace-me
  # tags: [topic::subtopic]   # optional tag vocabulary: `quiz check` warns about other tags

notes:
  # basic: one card, front -> back.
  - id: scurvy-cause
    type: basic
    front: Which nutrient deficiency causes scurvy?
    back: Vitamin C
    extra: Shown after the answer; use it for the why, or a mnemonic.   # optional
    tags: [nutrition::vitamins]                                         # optional, levels with ::
    source: {id: textbook, section: "Chapter 1"}

  # reversed: two cards, front -> back and back -> front.
  - id: scurvy-synonym
    type: reversed
    front: Scurvy
    back: Ascorbic acid deficiency
    source: {id: textbook, section: "Chapter 1"}

  # cloze: one card per number. {{c1::answer}} hides "answer"; {{c2::answer::hint}}
  # shows [hint] in its place. Deletions with the same number are asked together.
  - id: scurvy-signs
    type: cloze
    text: "Scurvy causes {{c1::perifollicular hemorrhages}} and {{c2::bleeding gums::oral}}."
    source: {id: textbook, section: "Chapter 1"}

  # mcq: a clinical vignette with exactly one `correct: true` option; every option
  # explains why it is right or wrong (shown after answering). Each learner sees the
  # options in their own order (`shuffle: false` keeps this one); still, vary where
  # the correct option is listed: `quiz check` warns when keys cluster at one letter.
  - id: scurvy-vignette
    type: mcq
    stem: A 74-year-old man who lives alone on tea and toast has bleeding gums and corkscrew hairs.
    question: Which deficiency is most likely?
    options:
      - {text: Vitamin D, explanation: Its lack causes rickets and osteomalacia.}
      - {text: Vitamin C, correct: true, explanation: Ascorbate is needed to make collagen.}
      - {text: Vitamin B12, explanation: Causes anemia and neuropathy.}
    source: {id: textbook, section: "Chapter 1"}
    # Editing a note keeps every learner's progress. After a correction big enough
    # that learners should start the note again, add `reset: v1` (any text you choose)
    # and re-import; to reset it again later, change the text (`reset: v2`).
"""


@click.command()
@click.argument("deck_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to create [default: DECK_ID.yaml in the current directory].",
)
@click.option("--title", help="The deck's title [default: made from DECK_ID].")
@click.option(
    "--schema",
    "schema_ref",
    metavar="PATH|URL",
    help="Where the file's yaml-language-server comment points [default: see above].",
)
def new(deck_id: str, output: Path | None, title: str | None, schema_ref: str | None) -> None:
    """Create a deck file with one commented example of every note type.

    Refuses to overwrite a file. The first line is a yaml-language-server
    comment naming the deck JSON Schema, found in this order: a deck.schema.json
    in the file's folder or a folder above it (commit one there with
    `quiz schema -o deck.schema.json`), the quiz source tree's
    quiz/decks/deck.schema.json above it; if there is neither, a deck.schema.json
    is written beside the new deck. The path is always relative, so it works on
    every clone.
    """
    from quiz.decks.diagnostics import DeckError
    from quiz.decks.loader import load_deck_bytes
    from quiz.decks.schema import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, deck_id) or len(deck_id) > 120:
        fail(f"{deck_id!r} is not a valid deck id; use letters, digits, '-', '_' and '.'")
    target = output if output is not None else Path(f"{deck_id}.yaml")
    reference = schema_ref or schema_reference(target.absolute().parent)
    write_schema = not reference
    reference = reference or SCHEMA_NAME
    text = scaffold(deck_id, title or _title(deck_id), reference, target.name)
    try:
        load_deck_bytes(text.encode(), str(target))
    except DeckError as exc:  # never write a deck that does not load
        print_diagnostics(exc.diagnostics)
        fail("the new deck would not be valid; nothing written")
    try:
        with target.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        fail(f"{target} already exists; choose another name with -o")
    except OSError as exc:
        fail(f"cannot create {target}: {exc.strerror or exc}")
    if write_schema:
        # No schema in this folder or above: put one beside the deck and name it by a
        # relative path, which works on every clone (an absolute path to the installed
        # copy works on this machine only).
        from quiz.decks.schema import json_schema_text

        schema_file = target.absolute().parent / SCHEMA_NAME
        try:
            schema_file.write_text(json_schema_text(), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot create {schema_file}: {exc.strerror or exc}")
        reference = f"{SCHEMA_NAME}, written beside it; commit both"
    click.echo(f"created {target} with one example note of each type (schema: {reference})")
    click.echo(f"next: edit it, then `quiz check {target}` and `quiz import {target}`")


def scaffold(deck_id: str, title: str, schema: str, file_name: str) -> str:
    """The text of a new deck file."""
    return (
        SCAFFOLD.replace("@SCHEMA@", schema)
        .replace("@FILE@", file_name)
        .replace("@DECK_ID@", deck_id)
        .replace("@TITLE@", _yaml_text(title))
    )


def schema_reference(folder: Path) -> str:
    """What a deck file in ``folder`` should name as its schema (see `quiz new --help`):
    a relative path to the nearest schema file, or "" when there is none to name."""
    for parent in (folder, *folder.parents):
        for candidate in (parent / SCHEMA_NAME, parent / "quiz" / "decks" / SCHEMA_NAME):
            if candidate.is_file():
                return Path(os.path.relpath(candidate, folder)).as_posix()
    return ""


def installed_schema() -> Path:
    """The JSON Schema file that ships inside the quiz package."""
    return Path(str(resources.files("quiz.decks") / SCHEMA_NAME))


def _title(deck_id: str) -> str:
    words = re.sub(r"[-_.]+", " ", deck_id).strip()
    return words[:1].upper() + words[1:]


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ()/,.'-]*[A-Za-z0-9).]|[A-Za-z]")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _yaml_text(text: str) -> str:
    """Text as a YAML scalar: plain when that reads back unchanged, else double-quoted."""
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


# --- quiz ids ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewId:
    """An id given to a note that had none."""

    index: int
    line: int
    """1-based line of the note in the file as it was."""

    column: int
    id: str
    line_after: int = 0
    """1-based line of the new id once the file is written (earlier ids push it down)."""


class IdsError(Exception):
    """A file `quiz ids` cannot edit; line and column are 1-based."""

    def __init__(self, line: int, column: int, message: str) -> None:
        self.line = line
        self.column = column
        self.message = message
        super().__init__(message)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; list notes without an id and exit 1 if there are any (for CI).",
)
def ids(paths: tuple[Path, ...], check_only: bool) -> None:
    """Give every note that lacks an `id` a stable one, editing the files in place.

    An id is made from the note's front (or cloze text, or MCQ stem) and a short
    hash of the note, e.g. `vitamin-deficiency-causes-scurvy-3f2a1c`, unique in
    the deck. Comments, blank lines, quoting and indentation are kept exactly:
    only the new `id:` lines are added. Files with nothing to add are not written.
    """
    from quiz.files import InputFileError, read_deck
    from quiz.services.decks import expand_paths

    files = expand_paths(list(paths))
    if not files:
        fail("no deck files (*.yaml) found in " + ", ".join(map(str, paths)))
    failed = False
    total = 0
    for path in files:
        try:
            data = read_deck(path)
            bom = data.startswith(b"\xef\xbb\xbf")
            text = data.decode("utf-8-sig")
            edited, added = add_ids(text)
        except InputFileError as exc:
            click.echo(f"{path}:1:1: error: {exc.message}", err=True)
            failed = True
            continue
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            click.echo(f"{path}:{line}:1: error: not UTF-8; save the file as UTF-8", err=True)
            failed = True
            continue
        except IdsError as exc:
            click.echo(f"{path}:{exc.line}:{exc.column}: error: {exc.message}", err=True)
            failed = True
            continue
        total += len(added)
        for item in added:
            if check_only:
                click.echo(f"{path}:{item.line}:{item.column}: notes[{item.index}] has no id")
            else:
                click.echo(f"{path}:{item.line_after}:{item.column}: added id {item.id}")
        if added and not check_only:
            _replace(path, ("\ufeff" if bom else "") + edited)
    if check_only:
        click.echo(f"{total} note(s) without an id", err=True)
        failed = failed or total > 0
    elif failed:
        fail(
            f"added {total} id(s); the file(s) named above were left as they were: "
            "fix them and run `quiz ids` again"
        )
    else:
        click.echo(f"added {total} id(s) in {len(files)} file(s)", err=True)
    if failed:
        raise SystemExit(1)


def add_ids(text: str) -> tuple[str, list[NewId]]:
    """The text with an ``id`` given to every note lacking one, and the ids given.

    Raises:
        IdsError: If the text is not YAML, not a deck, or could not be edited safely.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = _rt_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise IdsError(line, column, f"YAML syntax: {exc.problem or exc}") from None
    except YAMLError as exc:
        raise IdsError(1, 1, f"YAML syntax: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("notes"), list):
        raise IdsError(1, 1, "not a deck file: expected a mapping with a `notes:` list")
    notes: list[Any] = data["notes"]
    taken = {n["id"] for n in notes if isinstance(n, dict) and _usable(n.get("id"))}
    lines = text.split("\n")  # the line breaks ruamel counts; str.splitlines knows more
    edits: list[tuple[int, int, str, NewId]] = []
    for index, note in enumerate(notes):
        if not isinstance(note, dict) or _usable(note.get("id")):
            continue
        if "id" in note and note["id"] not in (None, ""):
            continue  # e.g. `id: 12`: an error `quiz check` explains; not ours to guess
        new_id = _unique(make_id(note), taken)
        taken.add(new_id)
        edits.append(_edit(lines, index, note, new_id))
    # From the end of the file backwards, so earlier positions stay valid.
    for line, column, insert, _ in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[line] = lines[line][:column] + insert + lines[line][column:]
    if not edits:
        return text, []
    # Ids put on a line of their own (block notes) push every later line down by one.
    new_lines = sorted(e[3].line for e in edits if "\n" in e[2])
    added = [replace(e[3], line_after=e[3].line + bisect_left(new_lines, e[3].line)) for e in edits]
    edited = "\n".join(lines)
    _verify(data, edited, {a.index: a.id for a in added})
    return edited, added


def make_id(note: dict[str, Any]) -> str:
    """A readable id for a note: a slug of its question and 6 hex digits of its content."""
    from quiz.domain.cloze import render_full

    kind = str(note.get("type") or "note")
    question = next(
        (note[k] for k in ("front", "text", "stem") if isinstance(note.get(k), str)), ""
    )
    if kind == "cloze":
        question = render_full(question)
    content = {k: v for k, v in note.items() if k != "id"}
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:6]
    return f"{_slug(question) or _slug(kind) or 'note'}-{digest}"


_STOP_WORDS = frozenset(
    [
        *("a", "an", "and", "are", "as", "at", "be", "by", "does", "for", "from", "has", "have"),
        *("how", "in", "is", "it", "its", "of", "on", "or", "the", "this", "to", "was", "what"),
        *("when", "where", "which", "who", "why", "with"),
    ]
)


def _slug(text: str, limit: int = 40) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    words = [w for w in words if w not in _STOP_WORDS] or words
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > limit:
            break
        slug = longer
    return slug or (words[0][:limit] if words else "")


def _unique(candidate: str, taken: set[str]) -> str:
    found, n = candidate, 2
    while found in taken:
        found = f"{candidate}-{n}"
        n += 1
    return found


def _usable(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


_EMPTY_ID = re.compile(
    r"""id[ \t]*:(?:[ \t]*(?:""|''|~|null|Null|NULL))?(?=[ \t]*(?:#|,|}|\r?$))"""
)


def _edit(lines: list[str], index: int, note: Any, new_id: str) -> tuple[int, int, str, NewId]:
    """Where to put the id of one note, and the text to put there."""
    if "id" in note:  # `id:` present but empty: fill in the value on its line
        line, column = note.lc.key("id")
        match = _EMPTY_ID.match(lines[line], column)
        if match is None:
            raise IdsError(line + 1, column + 1, "cannot fill in this empty `id`; write one")
        lines[line] = lines[line][: match.start()] + lines[line][match.end() :]
        return line, column, f"id: {new_id}", NewId(index, line + 1, column + 1, new_id)
    line, column = note.lc.line, note.lc.col
    if note.fa.flow_style():  # {type: basic, ...}: the position is the opening brace
        if lines[line][column : column + 1] != "{":
            raise IdsError(line + 1, column + 1, "cannot add an id to this note; write one")
        insert = f"id: {new_id}, " if len(note) else f"id: {new_id}"
        return line, column + 1, insert, NewId(index, line + 1, column + 2, new_id)
    # A block mapping's position is its first key: the id goes on a new line before it,
    # indented like the keys that follow.
    end = "\r\n" if lines[line].endswith("\r") else "\n"
    insert = f"id: {new_id}{end}{' ' * column}"
    return line, column, insert, NewId(index, line + 1, column + 1, new_id)


def _verify(before: Any, text: str, new_ids: dict[int, str]) -> None:
    after = _rt_yaml().load(text)
    expected = _plain(before)
    for index, new_id in new_ids.items():
        expected["notes"][index]["id"] = new_id
    if _plain(after) != expected:
        raise IdsError(1, 1, "could not add ids without changing anything else; add them by hand")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _rt_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def _replace(path: Path, text: str) -> None:
    """Write text over path atomically, keeping its permissions and line endings as given."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        tmp.chmod(path.stat().st_mode & 0o7777)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- quiz diff --------------------------------------------------------------------------------


@click.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--progress",
    is_flag=True,
    help="Also count, per note, the learners with progress, from the database OLD was "
    "imported into (the global --db / QUIZ_DB / QUIZ_HOME).",
)
@FORMAT_OPTION
@click.pass_obj
def diff(opts: Options, old: Path, new: Path, progress: bool, fmt: str) -> None:
    """Show what importing NEW would change for learners of OLD, card by card.

    Compares two versions of a deck file (for example the one in git and the one
    you are editing: `git show HEAD:decks/x.yaml > /tmp/x.yaml`) without any
    database, with the importer's own planner: each changed note, and under it
    what happens to each of its cards (unchanged, edited with the same answer,
    answer changed, moved, new, retired, progress reset), with warnings where
    progress would stay on a card that now asks something else.
    `quiz import --dry-run NEW` answers the same against the database.
    """
    from quiz.commands.plan_view import plan_lines, summary, warning_lines
    from quiz.decks.diagnostics import DeckError
    from quiz.decks.loader import load_deck
    from quiz.services.importer import problem_diagnostic
    from quiz.services.report import diff_decks

    loaded: list[LoadedDeck] = []
    broken = False
    for path in (old, new):
        try:
            loaded.append(load_deck(path))
        except DeckError as exc:
            print_diagnostics(exc.diagnostics)
            broken = True
    if broken:
        fail("cannot compare decks with errors; `quiz check` lists them")
    before, after = loaded
    if before.deck.id != after.deck.id:
        click.echo(
            f"quiz: warning: {old} is deck {before.deck.id!r} but {new} is deck "
            f"{after.deck.id!r}; importing {new} would create a new deck, not update this one",
            err=True,
        )
    counts = _learner_counts(opts, before.deck.id) if progress else None
    plan = diff_decks(before, after, counts)
    if plan.errors:
        print_diagnostics([problem_diagnostic(str(new), p) for p in plan.errors])
        fail(f"{new} cannot be imported over {old}: {len(plan.errors)} error(s)")
    if fmt == "json":
        echo_json(plan_json(plan, learners=progress))
        return
    click.echo(f"{old} -> {new}: deck {plan.deck_key}: {summary(plan)}")
    for line in warning_lines(plan):
        click.echo(line)
    for line in plan_lines(plan, learners=progress):
        click.echo(line)


def _learner_counts(opts: Options, deck_key: str) -> dict[tuple[str, int], int]:
    from quiz.services.report import deck_exists, learners_per_card
    from quiz.store.engine import sqlite_path

    database = sqlite_path(opts.locations().db_url)
    if database is not None and not database.exists():
        fail(f"no database at {database}; --progress reads the one the deck was imported into")
    with opts.open(sync_bundled=False) as quiz, quiz.store.read() as conn:
        if not deck_exists(conn, deck_key):
            fail(f"deck {deck_key!r} has not been imported into this database")
        return learners_per_card(conn, deck_key)


def plan_json(plan: ImportPlan, *, learners: bool) -> dict[str, object]:
    """The plan of `quiz diff` as data: totals, then every card of every changed note."""
    from quiz.domain.plan_model import NoteChange, Outcome

    notes = []
    for n in plan.changed:
        cards = []
        for c in n.cards:
            card: dict[str, object] = {
                "card": c.name,
                "outcome": str(c.outcome),
                "old_answer": c.old_answer,
                "new_answer": c.new_answer,
                "from": c.source_name,
            }
            if learners:
                card["learners"] = c.learners
            cards.append(card)
        notes.append(
            {
                "note": n.key,
                "change": str(n.change),
                "edits": list(n.edits),
                "old_type": None if n.old_type is None else str(n.old_type),
                "new_type": None if n.new_type is None else str(n.new_type),
                "cards": cards,
            }
        )
    return {
        "deck": plan.deck_key,
        "totals": {str(c): plan.count(c) for c in NoteChange},
        "cards": {str(o): plan.card_count(o) for o in Outcome},
        "warnings": [{"note": w.note, "line": w.line, "message": w.message} for w in plan.warnings],
        "notes": notes,
    }
