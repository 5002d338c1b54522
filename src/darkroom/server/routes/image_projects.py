"""`/v1/image-projects`: read, list, cancel and delete image projects."""

import asyncio

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, base_url, current_caller, get_runtime
from darkroom.server.presenters import image_project
from darkroom.wire.projects import ImageProject, ProjectPage

router = APIRouter(prefix="/v1/image-projects", tags=["image projects"])

# How often an event stream looks for changes of its project.
EVENT_POLL_INTERVAL_S = 0.25


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


@router.get(
    "/{project_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
def image_project_events(
    project_id: str,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> StreamingResponse:
    """Stream the project as server-sent events: one `project` event per change, until it is final."""
    runtime.projects.get(caller.account_id, project_id)  # 404 before the stream starts

    async def stream():
        last = None
        while True:
            project = await run_in_threadpool(runtime.projects.get, caller.account_id, project_id)
            position = await run_in_threadpool(runtime.projects.queue_position, project)
            body = image_project(project, runtime, public_url, position)
            state = (body.status, body.progress, body.queue_position)
            if state != last:
                last = state
                yield f"event: project\ndata: {body.model_dump_json()}\n\n"
            if body.status.is_final:
                return
            await asyncio.sleep(EVENT_POLL_INTERVAL_S)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


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
