"""The one bounded file reader: every file quiz reads that a user names goes through it.

A path can be a symlink to /dev/zero (endless), a FIFO (blocks forever), a
directory, or a 20 GB file: reading any of those "whole" takes all memory or
never returns. So every reader here refuses anything that is not a regular
file *before* reading, opens without blocking, checks again on the open file
(the path could be swapped in between), and reads at most one byte past its
limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InputFileError(Exception):
    """A file the user named cannot be read; the message names the file and the fix."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular(path: Path, what: str = "file") -> os.stat_result:
    """The file's status, if it is a regular file (a symlink to one is fine).

    Raises:
        InputFileError: If it is missing, unreadable, or anything but a regular file.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(path, f"no such {what}; check the path") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read {what}: {exc.strerror or exc}") from None
    kind = _kind(info.st_mode)
    if kind is not None:
        raise InputFileError(path, f"is {kind}, not a regular file; name a {what} instead")
    return info


def read_bounded(path: Path, limit: int, what: str = "file", fix: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Args:
        path: The file.
        limit: The most bytes accepted.
        what: How messages name the file ("deck file", "settings file").
        fix: What to do about a file that is too large (a sentence).

    Raises:
        InputFileError: If the file is not a regular file, cannot be read, or is larger
            than ``limit``.
    """
    check_regular(path, what)
    try:
        # O_NONBLOCK: if the path became a FIFO after the check, open returns at once
        # instead of waiting for a writer; fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(path, f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise InputFileError(path, f"is {kind}, not a regular file; name a {what} instead")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputFileError(path, f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
        raise InputFileError(path, f"{what} is larger than {size}" + (f"; {fix}" if fix else ""))
    return data


MAX_DECK_BYTES = 10 * 1024 * 1024
"""Largest deck file accepted; a real deck of 10,000 notes is about 3 MB."""


def read_deck(path: Path) -> bytes:
    """A deck file's bytes, for loading, hashing or editing alike.

    Raises:
        InputFileError: If it is not a regular file, cannot be read, or is too large.
    """
    return read_bounded(path, MAX_DECK_BYTES, "deck file", "split the deck into smaller files")
