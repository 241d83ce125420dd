"""Regenerate decks/calciphylaxis.yaml; the same as `quiz build decks/facts/calciphylaxis.yaml`."""

import sys
from pathlib import Path

from quiz.cli import cli

cli(["build", str(Path(__file__).parents[1] / "decks/facts/calciphylaxis.yaml"), *sys.argv[1:]])
