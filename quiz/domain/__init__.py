"""The pure core: notes, cards, grades and the SM-2 scheduler (stdlib only, no clock, no I/O)."""
