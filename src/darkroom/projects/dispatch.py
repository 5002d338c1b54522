"""Publishing queued projects: once the transaction that queued them commits, and again if a broker lost them.

Every write that makes a project `queued` (create, a lost render, a worker handing a project back)
calls `announce_queued` in its transaction. The ids are published only after that transaction
commits, so a worker never receives an id whose row it cannot see yet, and a rolled-back
transaction publishes nothing.

A broker can lose messages (Redis without persistence restarted, a queue purged). The row stays
`queued` then, and `redispatch_stale` publishes it again once it has waited `redispatch_after_s`,
then twice as long, and so on, so a long but healthy queue gets few duplicate messages. Duplicates are
harmless: the first claim wins and the other messages find the project no longer queued.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from darkroom.queue.dispatch import Dispatcher
from darkroom.store.db import Database
from darkroom.store.models import Project, utcnow
from darkroom.wire.projects import ProjectStatus

logger = logging.getLogger(__name__)

QUEUED = ProjectStatus.QUEUED
# session.info key of the {project id: queue} entries to publish after the session's transaction commits.
PENDING_KEY = "darkroom.queued_projects"
# Projects published again per sweep, oldest first; a sweep runs every few seconds.
REDISPATCH_BATCH_SIZE = 100
# The wait before the next republish doubles with each one, up to 2**5 times redispatch_after_s.
MAX_BACKOFF_DOUBLINGS = 5


def announce_queued(session: Session, project: Project) -> None:
    """Publish `project` to its queue's workers once `session`'s transaction commits."""
    session.info.setdefault(PENDING_KEY, {})[project.id] = project.queue


def connect(db: Database, dispatcher: Dispatcher) -> None:
    """Make every commit on `db` publish the projects its transaction announced."""
    db.add_session_listener("after_commit", partial(_publish_committed, dispatcher))
    db.add_session_listener("after_rollback", _forget_announced)


def _publish_committed(dispatcher: Dispatcher, session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    for project_id, queue in (pending or {}).items():
        try:
            dispatcher.publish(project_id, queue)
        except Exception:
            # The row is committed and stays queued; the redispatch sweep publishes it again.
            logger.exception("publishing project %s to queue %s failed; the redispatch sweep will retry",
                             project_id, queue, extra={"project_id": project_id})


def _forget_announced(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def redispatch_stale(db: Database, dispatcher: Dispatcher, redispatch_after_s: float,
                     now: datetime | None = None) -> list[str]:
    """Publish again the queued projects whose last publish is older than their backoff; return their ids."""
    now = now or utcnow()
    with db.read() as session:
        rows = session.execute(
            select(Project.id, Project.queue, Project.dispatched_at)
            .where(Project.status == QUEUED.value, _redispatch_due(now, redispatch_after_s))
            .order_by(Project.created_at)
            .limit(REDISPATCH_BATCH_SIZE)
        ).all()

    published = []
    for project_id, queue, dispatched_at in rows:
        if not _take_redispatch(db, project_id, dispatched_at, now):
            continue  # claimed, canceled or republished by another API process meanwhile
        try:
            dispatcher.publish(project_id, queue)
        except Exception:
            logger.exception("publishing project %s again failed; the next sweep retries after its backoff",
                             project_id, extra={"project_id": project_id})
            break
        published.append(project_id)
    if published:
        logger.warning("published %d queued projects again, as their messages may have been lost: %s",
                       len(published), ", ".join(published))
    return published


def _redispatch_due(now: datetime, redispatch_after_s: float):
    """SQL condition: never published, or last published longer ago than after_s * 2**redispatch_count."""
    conditions = [Project.dispatched_at.is_(None)]
    for doublings in range(MAX_BACKOFF_DOUBLINGS + 1):
        deadline = now - timedelta(seconds=redispatch_after_s * 2**doublings)
        count_matches = (
            Project.redispatch_count >= doublings if doublings == MAX_BACKOFF_DOUBLINGS
            else Project.redispatch_count == doublings
        )
        conditions.append(and_(count_matches, Project.dispatched_at < deadline))
    return or_(*conditions)


def _take_redispatch(db: Database, project_id: str, dispatched_at: datetime | None, now: datetime) -> bool:
    """Record the republish if the row is unchanged since it was read, so one API process republishes it."""
    with db.write() as session:
        statement = (
            update(Project)
            .where(
                Project.id == project_id,
                Project.status == QUEUED.value,
                Project.dispatched_at.is_not_distinct_from(dispatched_at),
            )
            .values(dispatched_at=now, redispatch_count=Project.redispatch_count + 1)
            .execution_options(synchronize_session=False)
        )
        return session.execute(statement).rowcount == 1
