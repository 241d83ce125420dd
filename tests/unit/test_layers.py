"""The architecture rule: headless layers never import Textual, and the domain is stdlib-only."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HEADLESS = [
    "quiz.domain.sm2",
    "quiz.domain.notes",
    "quiz.domain.grading",
    "quiz.domain.days",
    "quiz.domain.mcq",
    "quiz.domain.plan",
    "quiz.store.deck_import",
    "quiz.decks",
    "quiz.store.engine",
    "quiz.store.queries",
    "quiz.services",
    "quiz.services.review",
    "quiz.services.overview",
    "quiz.services.decks",
    "quiz.services.stats",
    "quiz.services.report",
    "quiz.services.doctor",
    "quiz.store.stats_queries",
    "quiz.charts",
    "quiz.domain.text",
    "quiz.export",
    "quiz.export.anki_csv",
    "quiz.cli",
    "quiz.web.guard",
    "quiz.commands.serve",
]


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_headless_layers_do_not_import_textual() -> None:
    out = run(f"""
        import importlib, sys
        for name in {HEADLESS!r}:
            importlib.import_module(name)
        print(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")))
    """)
    assert out == "[]"


def test_domain_uses_only_the_standard_library() -> None:
    out = run("""
        import sys
        before = set(sys.modules)
        import quiz.domain.sm2, quiz.domain.notes, quiz.domain.grading, quiz.domain.days
        import quiz.domain.mcq
        import quiz.domain.plan, quiz.domain.moves
        new = {m.split(".")[0] for m in set(sys.modules) - before}
        print(sorted(new - set(sys.stdlib_module_names) - {"quiz"}))
    """)
    assert out == "[]"


def test_cli_help_imports_no_database_or_ui_code() -> None:
    # Start-up cost: `quiz --help` must not pay for SQLAlchemy, Alembic or Textual.
    out = run("""
        import sys
        from quiz.cli import cli
        heavy = ("sqlalchemy", "alembic", "textual", "pydantic")
        print(sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}))
    """)
    assert out == "[]"


def test_opening_the_app_does_not_load_the_deck_validator() -> None:
    # Start-up: pydantic and the YAML loader are only needed to import decks.
    out = run("""
        import sys
        import quiz.services.review, quiz.services.overview, quiz.services.decks, quiz.tui.app
        print(sorted(m for m in ("pydantic", "quiz.decks.loader", "yaml") if m in sys.modules))
    """)
    assert out == "[]"


def test_opening_the_app_does_not_load_the_review_screen() -> None:
    # Start-up: the home screen comes first; the review screen loads when studying starts.
    out = run("""
        import sys
        import quiz.tui.app
        lazy = ("quiz.tui.screens.review", "quiz.tui.widgets.card_view")
        print(sorted(m for m in lazy if m in sys.modules))
    """)
    assert out == "[]"


def test_opening_the_app_does_not_load_the_other_screens() -> None:
    # Start-up: help, statistics, card preview and summary load when first shown, and the
    # review screen (loaded to study) needs the summary only when the session ends.
    out = run("""
        import sys
        import quiz.tui.app
        first = sorted(m for m in sys.modules if m.startswith("quiz.tui.screens."))
        import quiz.tui.screens.review
        print(first, "quiz.tui.screens.summary" in sys.modules)
    """)
    assert out == "['quiz.tui.screens.home'] False"


def test_a_start_without_a_settings_file_does_not_load_toml(tmp_path: object) -> None:
    # Most learners have no settings file: the TOML parser is only needed to read one.
    code = f"""
        import sys
        from quiz.cli import Options
        options = Options("sqlite:///{tmp_path}/q.sqlite3", "{tmp_path}", None, "ana")
        with options.open():
            print("tomllib" in sys.modules)
    """
    run(code)  # the first start creates the store and imports the bundled deck
    assert run(code) == "False"


def test_a_start_with_the_bundled_decks_unchanged_does_not_load_the_deck_validator(
    tmp_path: object,
) -> None:
    # The first start imports the bundled deck; later starts only compare file hashes, and
    # load neither the validator nor the importer.
    code = f"""
        import sys
        from quiz.services.context import Quiz
        from quiz.services.decks import sync_bundled
        quiz = Quiz.open("sqlite:///{tmp_path}/quiz.sqlite3", learner="ana")
        lazy = ("quiz.decks.loader", "quiz.services.importer", "quiz.services.export")
        print(len(sync_bundled(quiz)), [m in sys.modules for m in lazy])
    """
    assert run(code) == "1 [True, True, False]"
    assert run(code) == "0 [False, False, False]"
