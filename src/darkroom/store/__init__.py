"""Persistence: SQLAlchemy tables, sessions and Alembic migrations."""

from darkroom.store.db import Database
from darkroom.store.migrate import upgrade

__all__ = ["Database", "upgrade"]
