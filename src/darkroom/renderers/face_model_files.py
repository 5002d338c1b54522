"""Locations of the dlib model files of the face tools. This module imports no dlib, so the API process can use it.

The files come from the `face-recognition-models` package. Its `__init__` imports `pkg_resources`,
so the package folder is found with `importlib.util.find_spec` instead of importing it.
"""

import importlib.util
from pathlib import Path

from darkroom.renderers.base import ModelPaths

PACKAGE = "face_recognition_models"
# The 68-point iBUG 300-W landmark layout that the face swap needs; DARKROOM_LANDMARK_MODEL replaces it.
LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
# The 5-point landmarks and the ResNet descriptor model, used to tell which person a face shows.
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_MODEL = "dlib_face_recognition_resnet_model_v1.dat"


def packaged_model(file_name: str) -> Path | None:
    """Return the path of a model file shipped in `face-recognition-models`, or None when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "models" / file_name
        if path.is_file():
            return path
    return None


def landmark_model(models: ModelPaths) -> Path | None:
    """Return the 68-point landmark model: the operator's DARKROOM_LANDMARK_MODEL, else the packaged one.

    Return None when DARKROOM_LANDMARK_MODEL names a file that does not exist, so the face swap is
    disabled with a message naming the setting rather than failing at render time.
    """
    if models.landmarks is not None:
        return models.landmarks if models.landmarks.is_file() else None
    return packaged_model(LANDMARKS_68)
