"""The image project as `GET /v1/image-projects/{id}` returns it, and the reply of every create."""

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class ProjectStatus(str, Enum):
    DRAFT = "draft"  # never produced by Darkroom; listed because Magic Hour's schema has it
    QUEUED = "queued"  # waiting for a render worker
    RENDERING = "rendering"  # a worker holds the lease and renders
    COMPLETE = "complete"  # finished; downloads are available until deleted
    ERROR = "error"  # failed; `error` gives the reason, and the credits were refunded
    CANCELED = "canceled"  # stopped by its owner; the credits were refunded

    def __str__(self) -> str:
        # Print as the API spells it ("complete"), as the official SDKs' plain strings do.
        return self.value

    @property
    def is_final(self) -> bool:
        return self in (ProjectStatus.COMPLETE, ProjectStatus.ERROR, ProjectStatus.CANCELED)


class Download(BaseModel):
    url: str
    expires_at: str


class ProjectError(BaseModel):
    code: str
    message: str


class ImageProject(BaseModel):
    id: str
    name: str | None
    status: ProjectStatus
    type: str
    image_count: int
    created_at: str
    enabled: bool
    credits_charged: int
    total_frame_cost: int
    downloads: list[Download]
    error: ProjectError | None
    # Darkroom extensions, which the official SDKs ignore.
    progress: float = 0.0
    queue_position: int | None = None
    started_at: str | None = None
    completed_at: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)


class ProjectPage(BaseModel):
    data: list[ImageProject]
    next_cursor: str | None


class CreateResponse(BaseModel):
    id: str
    credits_charged: int
    frame_cost: int


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error response: `message` names the offending field or value; `field` is its dotted path."""

    message: str
    field: str | None = None
    errors: list[FieldError] | None = None


def format_timestamp(moment: datetime | None) -> str | None:
    """Format a UTC time as ISO 8601 with milliseconds and a `Z`, as Magic Hour does."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
