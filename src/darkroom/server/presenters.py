"""Project rows as the API shows them, with freshly signed download URLs."""

from darkroom.runtime import Runtime
from darkroom.store.models import Project
from darkroom.wire.faces import DetectedFace, FaceDetection
from darkroom.wire.projects import Download, ImageProject, ProjectError, format_timestamp


def image_project(project: Project, runtime: Runtime, base_url: str, queue_position: int | None = None) -> ImageProject:
    downloads = []
    if project.status == "complete" and project.enabled:
        for key in project.output_keys:
            signed = runtime.storage.download_url(key, base_url, runtime.settings.download_url_ttl_s)
            downloads.append(Download(url=signed.url, expires_at=format_timestamp(signed.expires_at)))
    error = None
    if project.status == "error":
        error = ProjectError(code=project.error_code or "unknown_error", message=project.error_message or "")
    return ImageProject(
        id=project.id,
        name=project.name,
        status=project.status,
        type=project.type,
        image_count=project.image_count,
        created_at=format_timestamp(project.created_at),
        enabled=project.enabled,
        credits_charged=project.credits_charged,
        total_frame_cost=project.credits_charged,
        downloads=downloads,
        error=error,
        progress=project.progress,
        queue_position=queue_position,
        started_at=format_timestamp(project.started_at),
        completed_at=format_timestamp(project.completed_at),
        inputs=project.inputs or {},
    )


def face_detection(project: Project, runtime: Runtime, base_url: str) -> FaceDetection:
    """Show a face detection task as Magic Hour does: its faces once complete, each with a signed URL."""
    faces = []
    if project.status == "complete":
        for path in (project.result or {}).get("asset_paths", []):
            signed = runtime.storage.download_url(path, base_url, runtime.settings.download_url_ttl_s)
            faces.append(DetectedFace(path=path, url=signed.url))
    error = None
    if project.status == "error":
        error = ProjectError(code=project.error_code or "unknown_error", message=project.error_message or "")
    return FaceDetection(
        id=project.id, credits_charged=project.credits_charged, status=project.status, faces=faces, error=error
    )
