"""API-side project operations: create (and charge), read, list, cancel and delete."""

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from darkroom.errors import Conflict, InvalidInput, NotFound
from darkroom.ids import new_cuid
from darkroom.projects import credits, lifecycle
from darkroom.projects.dispatch import announce_queued
from darkroom.projects.inputs import InputRef, check_inputs
from darkroom.renderers.images import ImageLimits
from darkroom.renderers.registry import ToolSpec
from darkroom.renderers.base import ModelPaths
from darkroom.storage import Storage
from darkroom.store.db import Database
from darkroom.store.models import IdempotencyKey, Project, utcnow
from darkroom.wire.projects import ProjectStatus

logger = logging.getLogger(__name__)

QUEUED, RENDERING, CANCELED = ProjectStatus.QUEUED, ProjectStatus.RENDERING, ProjectStatus.CANCELED
MAX_PAGE_SIZE = 100
# The name of each kind of row in messages.
_KIND_NAMES = {"image": "project", "face_detection": "face detection"}


def project_prefix(project_id: str) -> str:
    """Return the storage folder of a project's input copies and outputs."""
    return f"projects/{project_id}/"


@dataclass(frozen=True)
class Created:
    project: Project
    replayed: bool  # True when an Idempotency-Key returned an earlier project


class ProjectService:
    def __init__(self, db: Database, storage: Storage, models: ModelPaths, limits: ImageLimits,
                 idempotency_ttl_s: int = 24 * 3600, max_upload_bytes: int | None = None):
        self.db = db
        self.max_upload_bytes = max_upload_bytes
        self.storage = storage
        self.models = models
        self.limits = limits
        self.idempotency_ttl_s = idempotency_ttl_s

    # Create.

    def create(self, account_id: str, tool: ToolSpec, request, *, idempotency_key: str | None = None) -> Created:
        """Check inputs, copy them into the project's folder, charge and queue, all or nothing."""
        request_hash = _request_hash(tool.slug, request)
        if idempotency_key is not None:
            earlier = self._replay(account_id, idempotency_key, request_hash)
            if earlier is not None:
                return Created(earlier, replayed=True)

        with self.db.read() as session:
            refs = check_inputs(session, self.storage, account_id, tool.input_paths(request), self.limits,
                                self.max_upload_bytes)

        project_id = new_cuid()
        input_keys = self._copy_inputs(project_id, refs)
        try:
            project = self._insert(account_id, project_id, tool, request, input_keys, idempotency_key, request_hash)
        except IntegrityError:
            # A parallel request with the same Idempotency-Key won; return its project.
            self.storage.delete_prefix(project_prefix(project_id))
            earlier = self._replay(account_id, idempotency_key, request_hash)
            if earlier is None:
                raise
            return Created(earlier, replayed=True)
        except BaseException:
            self.storage.delete_prefix(project_prefix(project_id))
            raise
        return Created(project, replayed=False)

    def _insert(self, account_id, project_id, tool: ToolSpec, request, input_keys, idempotency_key, request_hash):
        price = tool.price(request)
        now = utcnow()
        project = Project(
            id=project_id,
            account_id=account_id,
            kind=tool.kind,
            tool=tool.slug,
            type=tool.project_type,
            name=request.name if request.name is not None else f"{tool.title} - {now:%Y-%m-%d %H:%M:%S} UTC",
            status=QUEUED.value,
            queue=tool.queue(request, self.models),
            image_count=tool.image_count(request),
            credits_charged=price,
            inputs=request.model_dump(mode="json", exclude_unset=True),
            input_keys=input_keys,
            output_keys=[],
            created_at=now,
            dispatched_at=now,
            redispatch_count=0,
        )
        with self.db.write() as session:
            credits.charge(session, account_id, project_id, price)
            session.add(project)
            announce_queued(session, project)
            if idempotency_key is not None:
                session.add(IdempotencyKey(account_id=account_id, key=idempotency_key,
                                           request_hash=request_hash, project_id=project_id, created_at=now))
            session.flush()
        logger.info("project %s created", project_id, extra={"project_id": project_id, "tool": tool.slug})
        return project

    def _copy_inputs(self, project_id: str, refs: list[InputRef]) -> dict[str, str]:
        """Copy uploaded inputs into the project's folder, so deleting the project deletes them too.

        URL inputs are kept as URLs; a worker fetches them into the same folder.
        """
        keys = {}
        for index, ref in enumerate(refs):
            if ref.is_url:
                keys[ref.field] = ref.value
                continue
            key = f"{project_prefix(project_id)}inputs/{index}.{ref.extension or 'bin'}"
            try:
                self.storage.copy(ref.value, key)
            except BaseException:
                self.storage.delete_prefix(project_prefix(project_id))
                raise
            keys[ref.field] = key
        return keys

    def _replay(self, account_id: str, key: str, request_hash: str) -> Project | None:
        with self.db.read() as session:
            row = session.get(IdempotencyKey, (account_id, key))
            if row is None:
                return None
            if row.created_at < utcnow() - timedelta(seconds=self.idempotency_ttl_s):
                return None
            if row.request_hash != request_hash:
                raise InvalidInput(
                    "Idempotency-Key",
                    f"Idempotency-Key {key!r} was already used with a different request body; use a new key",
                )
            return session.get(Project, row.project_id)

    # Read.

    def get(self, account_id: str, project_id: str, kind: str = "image") -> Project:
        with self.db.read() as session:
            project = session.get(Project, project_id)
        if project is None or project.account_id != account_id or project.kind != kind:
            raise NotFound(f"{_KIND_NAMES.get(kind, 'project')} {project_id!r} not found")
        return project

    def queue_position(self, project: Project) -> int | None:
        """Return how many queued projects of the same queue start before this one (0: next), or None."""
        if project.status != QUEUED.value:
            return None
        with self.db.read() as session:
            ahead = session.scalar(
                select(func.count()).select_from(Project).where(
                    Project.status == QUEUED.value,
                    Project.queue == project.queue,
                    Project.created_at < project.created_at,
                )
            )
        return int(ahead or 0)

    def list(self, account_id: str, *, status: str | None, limit: int, cursor: str | None) -> tuple[list[Project], str | None]:
        """Return the account's projects, newest first, and the cursor of the next page (or None)."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput("limit", f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        if status is not None and status not in {s.value for s in ProjectStatus}:
            raise InvalidInput("status", f"status {status!r} is not one of {', '.join(s.value for s in ProjectStatus)}")
        statement = select(Project).where(Project.account_id == account_id, Project.kind == "image")
        if status is not None:
            statement = statement.where(Project.status == status)
        if cursor is not None:
            statement = statement.where(_before_cursor(cursor))
        statement = statement.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit + 1)
        with self.db.read() as session:
            rows = list(session.scalars(statement))
        next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return rows[:limit], next_cursor

    # Cancel and delete.

    def cancel(self, account_id: str, project_id: str, kind: str = "image") -> Project:
        with self.db.write() as session:
            project = self._owned(session, account_id, project_id, kind)
            if ProjectStatus(project.status).is_final or not lifecycle.transition(
                session, project, CANCELED, completed_at=utcnow()
            ):
                session.refresh(project)
                raise Conflict(f"project {project_id} is already {project.status} and cannot be canceled")
        self.storage.delete_prefix(f"{project_prefix(project_id)}outputs/")
        return project

    def delete(self, account_id: str, project_id: str, kind: str = "image") -> None:
        """Cancel the project if it is not finished, then remove its files; the row stays, disabled."""
        with self.db.write() as session:
            project = self._owned(session, account_id, project_id, kind)
            if not ProjectStatus(project.status).is_final:
                lifecycle.transition(session, project, CANCELED, completed_at=utcnow())
            project.enabled = False
            project.deleted_at = project.deleted_at or utcnow()
            project.output_keys = []
            project.input_keys = {}
        self.storage.delete_prefix(project_prefix(project_id))
        logger.info("project %s deleted", project_id, extra={"project_id": project_id})

    def _owned(self, session, account_id: str, project_id: str, kind: str) -> Project:
        project = session.get(Project, project_id)
        if project is None or project.account_id != account_id or project.kind != kind:
            raise NotFound(f"{_KIND_NAMES.get(kind, 'project')} {project_id!r} not found")
        return project


def _request_hash(slug: str, request) -> str:
    canonical = json.dumps([slug, request.model_dump(mode="json")], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _encode_cursor(project: Project) -> str:
    text = f"{project.created_at.isoformat()}|{project.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _before_cursor(cursor: str):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_text, project_id = text.split("|", 1)
        created_at = datetime.fromisoformat(created_text)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor", f"cursor {cursor!r} is not valid: pass next_cursor from the previous page") from None
    return (Project.created_at < created_at) | ((Project.created_at == created_at) & (Project.id < project_id))
