"""Command line: list facts with no card and notes with no fact or source; exit 1 if any.

Usage:
    python scripts/coverage_report.py [--facts FILE] [--deck FILE]

Also prints the deck's card counts by note type and by tag, which is what a
reviewer wants to see next to the coverage.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a plain script, Python puts scripts/ on the path, not the repository.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from quiz.decks.coverage import coverage  # noqa: E402
from quiz.decks.diagnostics import DeckError  # noqa: E402
from quiz.decks.generate import GenerateError, fact_ids, parse_facts, read_yaml  # noqa: E402
from quiz.decks.loader import load_deck  # noqa: E402
from quiz.domain.notes import Deck  # noqa: E402

DEFAULT_FACTS = ROOT / "decks" / "facts" / "calciphylaxis.yaml"
DEFAULT_DECK = ROOT / "decks" / "calciphylaxis.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--facts", type=Path, default=DEFAULT_FACTS, help="the facts file")
    parser.add_argument("--deck", type=Path, default=DEFAULT_DECK, help="the generated deck")
    args = parser.parse_args(argv)
    try:
        facts = parse_facts(read_yaml(args.facts))
        deck = load_deck(args.deck).deck
    except (GenerateError, DeckError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    report = coverage(fact_ids(facts), deck)
    print(f"Facts without a card ({len(report.facts_without_cards)}):")
    for fact_id in report.facts_without_cards:
        print(f"  {fact_id}")
    print(f"Notes without a fact or source ({len(report.unlinked_notes)}):")
    for note in report.unlinked_notes:
        print(f"  {note}")
    print()
    _print_counts(deck, len(facts.facts))
    return 0 if report.complete else 1


def _print_counts(deck: Deck, fact_count: int) -> None:
    by_type: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    by_tag: Counter[str] = Counter()
    for note in deck.notes:
        cards = len(note.card_ords())
        by_type[str(note.type)] += cards
        # A note tagged with two subtopics of one topic still counts once for that topic.
        for topic in sorted({"::".join(t.split("::")[:2]) for t in note.tags}):
            by_topic[topic] += cards
        for tag in note.tags:
            by_tag[tag] += cards
    print(f"{fact_count} facts, {len(deck.notes)} notes, {deck.card_count()} cards")
    print("Cards by type: " + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items())))
    print("Cards by topic (a card counts under each of its topics):")
    for topic, n in sorted(by_topic.items()):
        print(f"  {n:4d}  {topic}")
    print("Cards by tag:")
    for tag, n in sorted(by_tag.items()):
        print(f"  {n:4d}  {tag}")


if __name__ == "__main__":
    sys.exit(main())
