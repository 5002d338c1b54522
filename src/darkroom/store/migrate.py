"""Apply Alembic migrations from the package, without an alembic.ini on disk."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from darkroom.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Key of the PostgreSQL advisory lock that serializes migrations: API processes starting together on
# several machines would otherwise all try to create the same tables.
MIGRATION_LOCK_KEY = 0x6461726B  # "dark"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`, creating the tables on an empty database."""
    config = alembic_config(database)
    with database.engine.begin() as connection:
        if database.engine.dialect.name == "postgresql":
            # Held until this transaction commits; PostgreSQL runs the whole upgrade in it (transactional DDL).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
