"""Alembic migrations on SQLite and PostgreSQL: from an empty database, and from the previous revision."""

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from darkroom.projects.dispatch import redispatch_stale
from darkroom.queue.dispatch import PollingDispatcher
from darkroom.store import Database, upgrade
from darkroom.store.migrate import downgrade
from darkroom.store.models import Base, utcnow
from deployments import postgres_database
from service_checks import need_services

HEAD = "0002"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.distributed)])
def database(request, tmp_path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'darkroom.db'}")
        yield db
        db.dispose()
        return
    need_services("PostgreSQL")
    with postgres_database() as url:
        db = Database(url)
        yield db
        db.dispose()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def project_columns(database: Database) -> set[str]:
    return {column["name"] for column in inspect(database.engine).get_columns("projects")}


def insert_queued_project_at_0001(database: Database, project_id: str) -> None:
    """Write rows with the columns that revision 0001 has, as a server of that revision would."""
    now = utcnow()
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO accounts (id, name, balance, created_at) VALUES ('acct', 'old', 100, :now)"),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO projects (id, account_id, kind, tool, type, name, status, queue, image_count,"
                " credits_charged, inputs, input_keys, output_keys, progress, attempts, enabled, created_at)"
                " VALUES (:id, 'acct', 'image', 'ai-image-upscaler', 'IMAGE_UPSCALER', 'old', 'queued', 'cpu', 1,"
                " 25, '{}', '{}', '[]', 0, 0, :enabled, :now)"
            ),
            {"id": project_id, "now": now, "enabled": True},
        )


def test_upgrade_from_empty_matches_models(database):
    upgrade(database)

    assert current_revision(database) == HEAD
    assert {"dispatched_at", "redispatch_count"} <= project_columns(database)
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_upgrade_from_previous_revision_keeps_rows(database):
    upgrade(database, "0001")
    assert current_revision(database) == "0001"
    insert_queued_project_at_0001(database, "cold0001project")

    upgrade(database)

    assert current_revision(database) == HEAD
    with database.engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, dispatched_at, redispatch_count FROM projects WHERE id = 'cold0001project'")
        ).one()
    assert row.status == "queued"
    assert row.dispatched_at is None
    assert row.redispatch_count == 0


def test_old_rows_republished_with_backoff(database):
    upgrade(database, "0001")
    insert_queued_project_at_0001(database, "cold0001project")
    upgrade(database)
    dispatcher = PollingDispatcher()
    now = utcnow()

    # Never published (queued before dispatch bookkeeping existed): due at once.
    assert redispatch_stale(database, dispatcher, 60, now=now) == ["cold0001project"]
    assert redispatch_stale(database, dispatcher, 60, now=now + timedelta(seconds=30)) == []
    # After one republish the wait doubles: 60 s is not enough, 120 s is.
    assert redispatch_stale(database, dispatcher, 60, now=now + timedelta(seconds=61)) == []
    assert redispatch_stale(database, dispatcher, 60, now=now + timedelta(seconds=121)) == ["cold0001project"]
    with database.engine.connect() as connection:
        count = connection.execute(text("SELECT redispatch_count FROM projects")).scalar_one()
    assert count == 2


def test_downgrade_to_previous_revision_and_back(database):
    upgrade(database)
    downgrade(database, "0001")

    assert current_revision(database) == "0001"
    assert "dispatched_at" not in project_columns(database)

    upgrade(database)
    assert current_revision(database) == HEAD
    assert "redispatch_count" in project_columns(database)
