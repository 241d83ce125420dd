"""quiz: a spaced-repetition quiz for medical education that runs in the terminal."""

__version__ = "0.1.0"
