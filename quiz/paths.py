"""Where quiz keeps data and settings: platform directories, overridable by flag or environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "quiz"


@dataclass(frozen=True, slots=True)
class Locations:
    """Resolved paths and URL; nothing is created until the store is opened."""

    data_dir: Path
    """Holds the default SQLite database and its backups."""

    config_file: Path
    """Optional TOML settings file."""

    db_url: str
    """SQLAlchemy URL of the database."""

    config_named: bool = False
    """The settings file was named (flag or QUIZ_CONFIG): it must exist."""

    db_named: bool = False
    """The database URL was given (flag or QUIZ_DB): its folder must exist already."""


def resolve(
    db: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> Locations:
    """Work out the paths: flags first, then QUIZ_DB / QUIZ_HOME / QUIZ_CONFIG, then defaults."""
    environ = os.environ if env is None else env
    home = data_dir or environ.get("QUIZ_HOME")
    base = Path(home).expanduser() if home else Path(platformdirs.user_data_dir(APP_NAME))
    conf = config or environ.get("QUIZ_CONFIG")
    if conf:
        config_file = Path(conf).expanduser()
    elif home:
        config_file = base / "config.toml"
    else:
        config_file = Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    named = db or environ.get("QUIZ_DB")
    url = named or f"sqlite:///{base / 'quiz.sqlite3'}"
    return Locations(base, config_file, url, bool(conf), bool(named))
