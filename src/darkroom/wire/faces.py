"""Face tools: `POST /v1/face-detection`, `GET /v1/face-detection/{id}` and `POST /v1/face-swap-photo`.

The shapes follow Magic Hour's (magic-hour SDK 0.90.0), including the optional fields its SDK sends.
"""

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from darkroom.wire.projects import ProjectError
from darkroom.wire.tools import StrictModel, ToolRequest

MAX_PATH_LENGTH = 2048
MAX_FACE_MAPPINGS = 5
DEFAULT_CONFIDENCE_SCORE = 0.5

FilePath = Field(min_length=1, max_length=MAX_PATH_LENGTH)


class FaceDetectionAssets(StrictModel):
    target_file_path: str = FilePath


class FaceDetectionRequest(ToolRequest):
    assets: FaceDetectionAssets
    # Faces the detector is less sure of than this (0 to 1) are left out.
    confidence_score: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)

    @property
    def min_confidence(self) -> float:
        return DEFAULT_CONFIDENCE_SCORE if self.confidence_score is None else self.confidence_score


class FaceDetectionCreateResponse(BaseModel):
    id: str
    credits_charged: int


class DetectedFace(BaseModel):
    # The crop's file_path: usable as `face_mappings[].original_face` and as any input of the same account.
    path: str
    url: str


class FaceDetection(BaseModel):
    id: str
    credits_charged: int
    status: Literal["queued", "rendering", "complete", "error", "canceled"]
    faces: list[DetectedFace]
    # Darkroom extension, which the official SDKs ignore: why the detection ended in `error`.
    error: ProjectError | None = None


class FaceMapping(StrictModel):
    # A face crop from face detection of the target (`api-assets/<detection id>/0-<index>.png`).
    original_face: str = FilePath
    # An image whose face replaces it.
    new_face: str = FilePath


class FaceSwapPhotoAssets(StrictModel):
    face_swap_mode: Literal["all-faces", "individual-faces"] | None = None
    source_file_path: str | None = Field(None, min_length=1, max_length=MAX_PATH_LENGTH)
    target_file_path: str = FilePath
    face_mappings: list[FaceMapping] | None = None

    @property
    def mode(self) -> str:
        return self.face_swap_mode or "all-faces"

    @model_validator(mode="after")
    def _inputs_of_mode(self) -> "FaceSwapPhotoAssets":
        if self.mode == "all-faces" and self.source_file_path is None:
            raise ValueError("source_file_path is required when face_swap_mode is all-faces")
        if self.mode == "individual-faces":
            _check_mappings(self.face_mappings)
        return self


def _check_mappings(mappings: list[FaceMapping] | None) -> None:
    if not mappings:
        raise ValueError("face_mappings needs at least one entry when face_swap_mode is individual-faces")
    if len(mappings) > MAX_FACE_MAPPINGS:
        raise ValueError(f"face_mappings has {len(mappings)} entries; the maximum is {MAX_FACE_MAPPINGS}")
    seen: dict[str, int] = {}
    for index, mapping in enumerate(mappings):
        if mapping.original_face in seen:
            raise ValueError(
                f"face_mappings.{index}.original_face {mapping.original_face!r} is already mapped "
                f"by face_mappings.{seen[mapping.original_face]}; map each face once"
            )
        seen[mapping.original_face] = index


class FaceSwapPhotoRequest(ToolRequest):
    assets: FaceSwapPhotoAssets

    def input_paths(self) -> dict[str, str]:
        """Return the files this request renders from, by dotted field name; unused fields are left out."""
        assets = self.assets
        paths = {"assets.target_file_path": assets.target_file_path}
        if assets.mode == "all-faces":
            paths["assets.source_file_path"] = assets.source_file_path
            return paths
        for index, mapping in enumerate(assets.face_mappings):
            paths[f"assets.face_mappings.{index}.original_face"] = mapping.original_face
            paths[f"assets.face_mappings.{index}.new_face"] = mapping.new_face
        return paths
