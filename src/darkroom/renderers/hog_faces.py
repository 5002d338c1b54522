"""Frontal face boxes from dlib's HOG detector, which needs no model file.

NOTE: kept apart from the landmark-based face code so the two can be merged into one face module.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Detections scoring below this are dropped. dlib's default of 0 lets through faces seen in textures
# and logos (the mission patch in skimage's astronaut photo scores 0.12; her face scores 1.16).
MIN_DETECTION_SCORE = 0.3
# Upsampling the image once lets the detector find faces down to about 40 px instead of 80 px.
UPSAMPLE_TIMES = 1


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def center_x(self) -> float:
        return (self.left + self.right) / 2


@lru_cache(maxsize=1)
def _detector():
    import dlib

    return dlib.get_frontal_face_detector()


def detect_faces(rgb: np.ndarray) -> list[FaceBox]:
    """Return the frontal faces in an RGB uint8 image, left to right, clipped to the image."""
    height, width = rgb.shape[:2]
    rectangles, scores, _ = _detector().run(np.ascontiguousarray(rgb), UPSAMPLE_TIMES, MIN_DETECTION_SCORE)
    boxes = [
        FaceBox(max(rect.left(), 0), max(rect.top(), 0), min(rect.right(), width), min(rect.bottom(), height))
        for rect, score in zip(rectangles, scores)
    ]
    return sorted((box for box in boxes if box.width > 0 and box.height > 0), key=lambda box: box.left)
