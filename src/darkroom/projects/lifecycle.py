"""Project status transitions: the legal moves, and the one conditional UPDATE that makes each of them.

A transition is `UPDATE projects SET status = :to WHERE id = :id AND status IN (:from...)`, so two
workers never render one project and a late worker never overwrites `canceled` or a deleted project.
Outcomes that end a render without images (error, cancel) refund the charge in the same transaction.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from darkroom.projects import credits
from darkroom.projects.dispatch import announce_queued
from darkroom.store.models import Project, utcnow
from darkroom.wire.projects import ProjectStatus

logger = logging.getLogger(__name__)

QUEUED, RENDERING = ProjectStatus.QUEUED, ProjectStatus.RENDERING
COMPLETE, ERROR, CANCELED = ProjectStatus.COMPLETE, ProjectStatus.ERROR, ProjectStatus.CANCELED

# Every legal move. RENDERING -> QUEUED happens when a worker is lost or hands the project back.
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    QUEUED: frozenset({RENDERING, CANCELED}),
    RENDERING: frozenset({COMPLETE, ERROR, CANCELED, QUEUED}),
    COMPLETE: frozenset(),
    ERROR: frozenset(),
    CANCELED: frozenset(),
}

REFUNDED_OUTCOMES = frozenset({ERROR, CANCELED})


class IllegalTransition(Exception):
    pass


def check_transition(source: ProjectStatus, target: ProjectStatus) -> None:
    if target not in TRANSITIONS[source]:
        raise IllegalTransition(f"a project cannot go from {source.value} to {target.value}")


def transition(
    session: Session,
    project: Project,
    target: ProjectStatus,
    *,
    held_by: str | None = None,
    **values,
) -> bool:
    """Move `project` to `target` if it is still in its current status (and, with `held_by`, still that worker's).

    Return False when another writer got there first; nothing is changed then.
    """
    source = ProjectStatus(project.status)
    check_transition(source, target)

    conditions = [Project.id == project.id, Project.status == source.value]
    if held_by is not None:
        conditions.append(Project.worker_id == held_by)
    values["status"] = target.value
    if target != RENDERING:
        values.setdefault("worker_id", None)
        values.setdefault("lease_expires_at", None)
    if target in REFUNDED_OUTCOMES:
        values["credits_charged"] = 0
    if target == QUEUED:
        values.setdefault("dispatched_at", utcnow())
        values.setdefault("redispatch_count", 0)

    charged = project.credits_charged
    statement = update(Project).where(*conditions).values(**values).execution_options(synchronize_session=False)
    if session.execute(statement).rowcount != 1:
        return False

    if target in REFUNDED_OUTCOMES and charged:
        credits.refund(session, project.account_id, project.id, charged, reason=target.value)
    session.refresh(project)
    if target == QUEUED:
        announce_queued(session, project)
    _log_transition(project, source, target)
    return True


def lease_deadline(lease_s: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=lease_s)


def _log_transition(project: Project, source: ProjectStatus, target: ProjectStatus) -> None:
    duration_s = None
    if target.is_final and project.started_at is not None:
        duration_s = round((utcnow() - project.started_at).total_seconds(), 3)
    level = logging.WARNING if target == QUEUED and source == RENDERING else logging.INFO
    logger.log(
        level,
        "project %s %s -> %s",
        project.id,
        source.value,
        target.value,
        extra={
            "project_id": project.id,
            "tool": project.tool,
            "attempt": project.attempts,
            "duration_s": duration_s,
            "error_code": project.error_code,
        },
    )
