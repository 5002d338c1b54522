"""Typed dictionaries of the tool request bodies, with Magic Hour's field names, for editors and checkers.

Plain dicts work as well. `*_file_path` fields take an uploaded `file_path`, an http(s) URL that
the server fetches, or (in `generate` only) a local path that the SDK uploads first.
"""

from typing import Literal, NotRequired, TypedDict


class UpscalerAssets(TypedDict):
    image_file_path: str


class UpscalerStyle(TypedDict, total=False):
    mode: Literal["preserve", "balanced", "creative"]
    enhancement: Literal["Balanced", "Creative", "Resemblance"]  # deprecated by Magic Hour; use mode
    prompt: str


class BackgroundRemoverAssets(TypedDict):
    image_file_path: str
    background_image_file_path: NotRequired[str]


class FaceMapping(TypedDict):
    original_face: str  # a face `path` from face detection: api-assets/<detection id>/0-<index>.png
    new_face: str


class FaceSwapPhotoAssets(TypedDict):
    target_file_path: str
    source_file_path: NotRequired[str]  # required in all-faces mode
    face_swap_mode: NotRequired[Literal["all-faces", "individual-faces"]]
    face_mappings: NotRequired[list[FaceMapping]]  # required in individual-faces mode


class ImageGeneratorStyle(TypedDict):
    prompt: str
    tool: NotRequired[str]
    quality_mode: NotRequired[Literal["standard", "pro"]]  # deprecated by Magic Hour; use model


class FaceDetectionAssets(TypedDict):
    target_file_path: str


class UploadItem(TypedDict):
    type: Literal["image"]
    extension: str
