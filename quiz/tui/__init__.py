"""The Textual review app: home, review, summary and help screens over the services layer.

The app renders and sends messages; every database call goes through
``quiz.services`` in a worker thread, so the UI never waits on SQLite.
"""

from __future__ import annotations

from quiz.tui.app import QuizApp, make_app

__all__ = ["QuizApp", "make_app"]
