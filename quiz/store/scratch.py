"""Throwaway PostgreSQL schemas: a fresh, empty database for one test or one benchmark run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def postgres_schema(server_url: str, prefix: str = "t") -> Iterator[str]:
    """Create a uniquely named schema, yield a URL whose search_path is it, then drop it.

    A schema is far cheaper than a database to create, and Alembic's version table
    lands in it too, so every user of the URL sees an empty database.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
