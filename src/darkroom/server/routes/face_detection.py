"""`/v1/face-detection`: detect and crop the faces of an image, for face swaps of chosen faces.

A detection is stored as a project of kind "face_detection", so it is queued, rendered, leased and
refunded like an image project, but `/v1/image-projects` never shows it.
"""

from fastapi import APIRouter, Depends, Header

from darkroom.renderers.registry import FACE_DETECTION_KIND, get_tool
from darkroom.runtime import Runtime
from darkroom.server.deps import Caller, base_url, current_caller, get_runtime
from darkroom.server.presenters import face_detection
from darkroom.server.routes.tools import check_enabled, check_idempotency_key
from darkroom.wire.faces import FaceDetection, FaceDetectionCreateResponse, FaceDetectionRequest

router = APIRouter(prefix="/v1/face-detection", tags=["face detection"])

TOOL = get_tool("face-detection")


@router.post("", response_model=FaceDetectionCreateResponse, summary=TOOL.title)
def create_face_detection(
    body: FaceDetectionRequest,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> FaceDetectionCreateResponse:
    """Start a face detection; face detection is free, as in Magic Hour."""
    check_enabled(TOOL, runtime)
    created = runtime.projects.create(
        caller.account_id, TOOL, body, idempotency_key=check_idempotency_key(idempotency_key)
    )
    return FaceDetectionCreateResponse(id=created.project.id, credits_charged=created.project.credits_charged)


@router.get("/{detection_id}", response_model=FaceDetection)
def get_face_detection(
    detection_id: str,
    caller: Caller = Depends(current_caller),
    runtime: Runtime = Depends(get_runtime),
    public_url: str = Depends(base_url),
) -> FaceDetection:
    project = runtime.projects.get(caller.account_id, detection_id, kind=FACE_DETECTION_KIND)
    return face_detection(project, runtime, public_url)
