"""Larger `quiz` subcommands, each in its own module and loaded only when run."""
