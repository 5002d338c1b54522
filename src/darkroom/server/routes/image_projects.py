"""`/v1/image-projects`: read, list, cancel and delete image projects."""

from fastapi import APIRouter, Depends, Query, Response

from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, base_url, current_caller, get_runtime
from darkroom.server.presenters import image_project
from darkroom.wire.projects import ImageProject, ProjectPage

router = APIRouter(prefix="/v1/image-projects", tags=["image projects"])


@router.get("/{project_id}", response_model=ImageProject)
def get_image_project(
    project_id: str,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> ImageProject:
    project = runtime.projects.get(caller.account_id, project_id)
    return image_project(project, runtime, public_url, runtime.projects.queue_position(project))


@router.get("", response_model=ProjectPage)
def list_image_projects(
    status: str | None = None,
    limit: int = Query(20),
    cursor: str | None = None,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> ProjectPage:
    rows, next_cursor = runtime.projects.list(caller.account_id, status=status, limit=limit, cursor=cursor)
    return ProjectPage(data=[image_project(row, runtime, public_url) for row in rows], next_cursor=next_cursor)


@router.post("/{project_id}/cancel", response_model=ImageProject)
def cancel_image_project(
    project_id: str,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> ImageProject:
    project = runtime.projects.cancel(caller.account_id, project_id)
    return image_project(project, runtime, public_url)


@router.delete("/{project_id}", status_code=204, response_class=Response)
def delete_image_project(
    project_id: str,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    runtime.projects.delete(caller.account_id, project_id)
    return Response(status_code=204)
