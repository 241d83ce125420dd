"""Command line: regenerate decks/calciphylaxis.yaml from its facts, or check that it is current.

Usage:
    python scripts/build_deck.py            # write the deck
    python scripts/build_deck.py --check    # exit 1 if the committed deck is stale

The generated text is validated with the deck loader before it is written, so
an invalid deck is never committed by this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, Python puts scripts/ on the path, not the repository.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from quiz.decks.diagnostics import DeckError  # noqa: E402
from quiz.decks.generate import GenerateError, build_deck_text  # noqa: E402
from quiz.decks.loader import load_deck_bytes  # noqa: E402

DEFAULT_FACTS = ROOT / "decks" / "facts" / "calciphylaxis.yaml"
DEFAULT_NOTES = (ROOT / "decks" / "facts" / "calciphylaxis-vignettes.yaml",)
DEFAULT_OUTPUT = ROOT / "decks" / "calciphylaxis.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the output file is missing or stale",
    )
    parser.add_argument("--facts", type=Path, default=DEFAULT_FACTS, help="the facts file")
    parser.add_argument(
        "--notes",
        type=Path,
        action="append",
        help="a hand-written notes file (repeatable; default: the vignettes)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the deck to write")
    args = parser.parse_args(argv)
    notes: tuple[Path, ...] = tuple(args.notes) if args.notes else DEFAULT_NOTES
    output: Path = args.output
    shown = _display(output)

    try:
        text = build_deck_text(args.facts, notes, ROOT)
    except GenerateError as exc:
        names = {f"notes_files[{k}]": str(p) for k, p in enumerate(notes)}
        for line in str(exc).splitlines():
            for key, name in names.items():
                line = line.replace(key, name)
            print(f"error: {line}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot read input: {exc}", file=sys.stderr)
        return 1

    try:
        load_deck_bytes(text.encode("utf-8"), str(output))
    except DeckError as exc:
        print("error: the generated deck does not load:", file=sys.stderr)
        for diagnostic in exc.diagnostics:
            print(f"  {diagnostic}", file=sys.stderr)
        return 1

    current = output.read_text(encoding="utf-8") if output.exists() else None
    if args.check:
        if current != text:
            print(f"{shown} is stale; run `python scripts/build_deck.py`", file=sys.stderr)
            return 1
        print(f"{shown} is up to date")
        return 0
    if current == text:
        print(f"{shown} unchanged")
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


def _display(path: Path) -> str:
    # Messages name the file as the user would type it from the current directory.
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
