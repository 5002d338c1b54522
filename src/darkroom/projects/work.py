"""Worker-side project operations: claim under a lease, renew it with progress, record the outcome.

Each function is one conditional transaction. A False return means that the project is no longer
this worker's, because it was canceled or deleted or its lease passed to another worker, so the
caller stops.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from darkroom.projects import lifecycle
from darkroom.store.db import Database
from darkroom.store.models import Asset, Project, utcnow
from darkroom.wire.projects import ProjectStatus

logger = logging.getLogger(__name__)

QUEUED, RENDERING = ProjectStatus.QUEUED, ProjectStatus.RENDERING
COMPLETE, ERROR = ProjectStatus.COMPLETE, ProjectStatus.ERROR

WORKER_LOST_MESSAGE = "The render worker stopped {count} times while rendering this project"


@dataclass(frozen=True)
class Claim:
    """A project this worker now renders, with what the render needs."""

    id: str
    tool: str
    inputs: dict
    input_keys: dict
    attempt: int


class ProjectWork:
    def __init__(self, db: Database, *, lease_s: float, max_attempts: int):
        self.db = db
        self.lease_s = lease_s
        self.max_attempts = max_attempts

    def claim(self, worker_id: str, queues: Sequence[str], project_id: str | None = None) -> Claim | None:
        """Take the oldest queued project of `queues` (or exactly `project_id`) and start its lease."""
        with self.db.write() as session:
            statement = select(Project).where(Project.status == QUEUED.value)
            if project_id is not None:
                statement = statement.where(Project.id == project_id)
            else:
                statement = statement.where(Project.queue.in_(list(queues))).order_by(Project.created_at)
            # PostgreSQL: skip rows another worker is claiming right now. SQLite ignores this and
            # serializes writers through BEGIN IMMEDIATE instead.
            project = session.scalar(statement.limit(1).with_for_update(skip_locked=True))
            if project is None:
                return None
            now = utcnow()
            claimed = lifecycle.transition(
                session, project, RENDERING,
                worker_id=worker_id,
                lease_expires_at=lifecycle.lease_deadline(self.lease_s, now),
                attempts=project.attempts + 1,
                started_at=project.started_at or now,
                progress=0.0,
            )
            if not claimed:
                return None
            return Claim(project.id, project.tool, dict(project.inputs), dict(project.input_keys), project.attempts)

    def heartbeat(self, project_id: str, worker_id: str, progress: float | None = None) -> bool:
        """Renew the lease and record progress; False when the project is no longer this worker's."""
        values = {"lease_expires_at": lifecycle.lease_deadline(self.lease_s)}
        if progress is not None:
            values["progress"] = progress
        with self.db.write() as session:
            statement = (
                update(Project)
                .where(Project.id == project_id, Project.status == RENDERING.value, Project.worker_id == worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return session.execute(statement).rowcount == 1

    def set_input_key(self, project_id: str, worker_id: str, field: str, key: str) -> bool:
        """Record where a fetched URL input was stored, so deleting the project deletes it."""
        with self.db.write() as session:
            project = session.get(Project, project_id)
            if project is None or project.status != RENDERING.value or project.worker_id != worker_id:
                return False
            project.input_keys = {**project.input_keys, field: key}
            return True

    def complete(self, project_id: str, worker_id: str, output_keys: list[str], result: dict | None = None,
                 *, assets: Sequence[tuple[str, int]] = ()) -> bool:
        """Mark the project complete; `assets` ((file_path, size) pairs) become files its account may use as inputs."""
        with self.db.write() as session:
            project = self._rendering(session, project_id, worker_id)
            completed = project is not None and lifecycle.transition(
                session, project, COMPLETE, held_by=worker_id,
                output_keys=output_keys, result=result, progress=1.0, completed_at=utcnow(),
            )
            if completed:
                now = utcnow()
                session.add_all(
                    Asset(path=path, account_id=project.account_id, source=project.kind, size_bytes=size,
                          created_at=now, uploaded_at=now)
                    for path, size in assets
                )
            return completed

    def fail(self, project_id: str, worker_id: str, code: str, message: str) -> bool:
        """End the project in `error` with a refund."""
        with self.db.write() as session:
            project = self._rendering(session, project_id, worker_id)
            return project is not None and lifecycle.transition(
                session, project, ERROR, held_by=worker_id,
                error_code=code, error_message=message, completed_at=utcnow(),
            )

    def lose(self, project_id: str, worker_id: str | None, reason: str, *, only_if_expired: bool = False) -> bool:
        """Record a lost render (process killed, lease expired): queue it again, or fail after the last attempt."""
        with self.db.write() as session:
            project = self._rendering(session, project_id, worker_id)
            if project is None:
                return False
            if only_if_expired and (project.lease_expires_at is None or project.lease_expires_at >= utcnow()):
                return False
            logger.warning("project %s lost its render: %s", project_id, reason,
                           extra={"project_id": project_id, "attempt": project.attempts, "tool": project.tool})
            if project.attempts >= self.max_attempts:
                return lifecycle.transition(
                    session, project, ERROR, held_by=worker_id, error_code="worker_lost",
                    error_message=WORKER_LOST_MESSAGE.format(count=project.attempts), completed_at=utcnow(),
                )
            return lifecycle.transition(session, project, QUEUED, held_by=worker_id, progress=0.0)

    def release(self, project_id: str, worker_id: str) -> bool:
        """Hand a project back to the queue on a clean shutdown, without counting the attempt."""
        with self.db.write() as session:
            project = self._rendering(session, project_id, worker_id)
            return project is not None and lifecycle.transition(
                session, project, QUEUED, held_by=worker_id, progress=0.0, attempts=max(project.attempts - 1, 0),
            )

    def reap_expired_leases(self) -> list[str]:
        """Treat every rendering project whose lease has passed as lost; return their ids."""
        with self.db.read() as session:
            expired = list(session.scalars(
                select(Project.id).where(Project.status == RENDERING.value, Project.lease_expires_at < utcnow())
            ))
        return [
            project_id for project_id in expired
            if self.lose(project_id, None, "lease expired", only_if_expired=True)
        ]

    def status(self, project_id: str) -> str | None:
        with self.db.read() as session:
            return session.scalar(select(Project.status).where(Project.id == project_id))

    @staticmethod
    def _rendering(session, project_id: str, worker_id: str | None) -> Project | None:
        project = session.get(Project, project_id, with_for_update=True)
        if project is None or project.status != RENDERING.value:
            return None
        if worker_id is not None and project.worker_id != worker_id:
            return None
        return project
