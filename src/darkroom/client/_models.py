"""Response models that only the SDK needs; the shared ones come from `darkroom.wire`.

Every model ignores keys it does not know, so a newer server does not break an older SDK.
"""


from pydantic import BaseModel

from darkroom.wire import ImageProject, ProjectError


class ImageProjectResult(ImageProject):
    """An image project as `generate` and `check_result` return it, with the paths of saved files."""

    # Paths of the files saved by this call, in the order of `downloads`; None when nothing was downloaded.
    downloaded_paths: list[str] | None = None


class FaceDetectionCreateResponse(BaseModel):
    id: str
    credits_charged: int


class DetectedFace(BaseModel):
    path: str  # `api-assets/<detection id>/0-<index>.png`, for `face_mappings[].original_face`
    url: str  # a signed URL of the face crop


class FaceDetection(BaseModel):
    """A face detection task as `GET /v1/face-detection/{id}` returns it."""

    id: str
    status: str  # queued, rendering, complete or error
    credits_charged: int
    faces: list[DetectedFace]
    error: ProjectError | None = None


class FaceDetectionResult(FaceDetection):
    """A face detection as `face_detection.generate` returns it, with the paths of saved face crops."""

    downloaded_paths: list[str] | None = None


class Account(BaseModel):
    """The caller's account as `GET /v1/account` returns it."""

    id: str
    name: str | None = None
    credits: int
    email: str | None = None
    tier: str | None = None
