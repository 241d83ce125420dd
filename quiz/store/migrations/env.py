"""Alembic environment: migrations run on the connection handed over by quiz.store.migrate."""

from __future__ import annotations

from alembic import context

from quiz.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached via the alembic CLI
    raise RuntimeError("run migrations through quiz (quiz.store.migrate), not the alembic CLI")

# Batch mode lets ALTER-style migrations work on SQLite, which cannot alter columns.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
