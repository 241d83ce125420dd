"""Property: for any sequence of deck edits, what each import's plan says about each card is
what the database holds after it, and the dry run plans exactly what the import applies."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.services import Quiz
from quiz.services.decks import import_files
from quiz.services.review import ReviewSession
from tests.conftest import FakeClock
from tests.store.test_import_plan import assert_applied, progress

OPS = [
    "edit_front",
    "edit_answer",
    "tags",
    "add_basic",
    "add_cloze",
    "remove",
    "restore",
    "cloze_add",
    "cloze_drop",
    "cloze_renumber",
    "to_cloze",
    "to_basic",
    "reset",
    "rename_move",
    "swap_move",
]


class DeckModel:
    """A deck as an author edits it; ``dump`` writes it as a deck file."""

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = [
            {"id": "b0", "type": "basic", "front": "Front 0?", "back": "back 0"},
            {"id": "z0", "type": "cloze", "prefix": "Cloze 0:", "parts": [[1, "x0"], [2, "y0"]]},
        ]
        self.removed: list[dict[str, Any]] = []
        self.serial = 1

    def fresh(self) -> str:
        self.serial += 1
        return str(self.serial)

    def apply(self, op: str, pick: int) -> None:
        if op == "add_basic":
            n = self.fresh()
            self.notes.append({"id": f"b{n}", "type": "basic", "front": f"F{n}?", "back": f"a{n}"})
            return
        if op == "add_cloze":
            n = self.fresh()
            parts = [[1, f"p{n}"], [2, f"q{n}"]]
            self.notes.append({"id": f"z{n}", "type": "cloze", "prefix": f"C{n}:", "parts": parts})
            return
        if op == "restore":
            if self.removed:
                self.notes.append(self.removed.pop(pick % len(self.removed)))
            return
        if not self.notes:
            return
        note = self.notes[pick % len(self.notes)]
        if op not in ("rename_move", "swap_move"):
            note.pop("from", None)  # a declaration names cards this edit may change
        cloze = note["type"] == "cloze"
        if op == "edit_front":
            key = "prefix" if cloze else "front"
            note[key] += " more"
        elif op == "edit_answer":
            if cloze:
                note["parts"][0][1] += "x"
            else:
                note["back"] += "x"
        elif op == "tags":
            note["tags"] = [] if note.get("tags") else ["t"]
        elif op == "remove" and len(self.notes) > 1:
            self.notes.remove(note)
            self.removed.append(note)
        elif op == "cloze_add" and cloze:
            top = max(num for num, _ in note["parts"])
            note["parts"].append([top + 1, f"n{self.fresh()}"])
        elif op == "cloze_drop" and cloze and len(note["parts"]) > 1:
            note["parts"].pop()
        elif op == "cloze_renumber" and cloze:
            note["parts"] = [[1, f"r{self.fresh()}"]] + [[n + 1, a] for n, a in note["parts"]]
        elif op == "to_cloze" and not cloze:
            note.update(type="cloze", prefix=note.pop("front"), parts=[[1, note.pop("back")]])
        elif op == "to_basic" and cloze:
            parts = note.pop("parts")
            note.update(type="basic", front=note.pop("prefix"), back=parts[0][1])
        elif op == "reset":
            note["reset"] = f"r{self.fresh()}"
        elif op == "rename_move" and not any(n.get("from") for n in self.notes):
            old = note["id"]
            note["id"] = f"{old}m{self.fresh()}"
            note["from"] = old
        elif op == "swap_move" and cloze and len(note["parts"]) > 1:
            (n1, a1), (n2, a2) = note["parts"][:2]
            note["parts"][:2] = [[n1, a2], [n2, a1]]
            note["from"] = {f"c{n1}": f"c{n2}", f"c{n2}": f"c{n1}"}

    def dump(self, path: Path) -> None:
        out = []
        for note in self.notes:
            item = {k: v for k, v in note.items() if k not in ("prefix", "parts")}
            if note["type"] == "cloze":
                deletions = " and ".join(f"{{{{c{n}::{a}}}}}" for n, a in note["parts"])
                item["text"] = f"{note['prefix']} {deletions}"
            out.append(item)
        document = {"deck": {"id": "prop", "title": "Property deck"}, "notes": out}
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 20)), min_size=1, max_size=6))
def test_each_plan_is_what_the_database_shows_after_the_import(
    edits: list[tuple[str, int]],
) -> None:
    clock = FakeClock()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prop.yaml"
        quiz = Quiz.open(f"sqlite:///{Path(tmp) / 'quiz.sqlite3'}", learner="ann", clock=clock)
        try:
            model = DeckModel()
            model.dump(path)
            import_files(quiz, [path])
            for op, pick in edits:
                _study(quiz, clock)
                model.apply(op, pick)
                model.dump(path)
                before = progress(quiz)
                [dry] = import_files(quiz, [path], dry_run=True)
                [plan] = import_files(quiz, [path])
                assert plan == dry
                assert not plan.errors
                assert_applied(plan, before, quiz)
        finally:
            quiz.close()


def _study(quiz: Quiz, clock: FakeClock) -> None:
    session = ReviewSession.start(quiz, ["prop"])
    while session.current() is not None:
        session.answer(4)
    clock.advance(days=1)
