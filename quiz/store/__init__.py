"""Persistence: SQLAlchemy tables, the engine factory, Alembic migrations and queries."""
