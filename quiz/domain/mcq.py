"""Multiple-choice options: their stable identity, and the order a learner sees them in.

An option's identity is what the review log records when a learner picks it, so
it must survive the edits instructors make: the option's own ``id`` when the
deck gives one, otherwise a fingerprint of its text that ignores case and
spacing. Reordering options in the file (or shuffling them on screen) never
changes an identity; rewording an option without an ``id`` does, on purpose:
answers given to the old wording are no longer counted for the new one.

The order on screen is drawn from a hash of an injected seed, the learner, the
card and the study day, so it is the same after an undo, a re-drill or a
restart the same day and differs across learners and days, with no state kept.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

_T = TypeVar("_T")

DEFAULT_SEED = "quiz-mcq-order-1"
"""The seed used unless another is injected (tests, or a class that wants its own)."""

_FINGERPRINT_CHARS = 16


def option_identity(option: Mapping[str, Any]) -> str:
    """The identity of one option as written in a deck (``{"text": ..., "id": ...}``).

    Explicit ids are written as given; fingerprints start with ``t:``, which a deck id
    (letters, digits, ``_.-``) cannot, so the two never collide.
    """
    explicit = option.get("id")
    if explicit:
        return str(explicit)
    return text_fingerprint(str(option.get("text", "")))


def text_fingerprint(text: str) -> str:
    """``t:`` and 16 hex digits of SHA-256 over the text, case and spacing ignored."""
    normal = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    # surrogatepass: a deck may hold a lone surrogate (a YAML escape such as \ud800).
    digest = hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()
    return "t:" + digest[:_FINGERPRINT_CHARS]


def shown_order(count: int, *, seed: str, learner: str, card: str, day: date) -> list[int]:
    """Indexes of ``count`` options in the order this learner sees them on this day.

    Args:
        seed: The injected seed (``DEFAULT_SEED`` in normal use).
        learner: Who studies (their name; stable across databases and restarts).
        card: The card (its deck:note:ord reference, stable across imports).
        day: The study day: the order changes from one day to the next.
    """
    material = "\x1f".join((seed, learner, card, day.isoformat())).encode("utf-8", "surrogatepass")
    rng = random.Random(int.from_bytes(hashlib.sha256(material).digest()[:16], "big"))
    order = list(range(count))
    rng.shuffle(order)
    return order


def reorder(items: Sequence[_T], order: Sequence[int]) -> tuple[_T, ...]:
    return tuple(items[i] for i in order)
