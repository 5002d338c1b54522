"""The face renderers called directly: detection, confidence, crops and the swap of one face."""

import math

import cv2
import numpy as np
import pytest
import skimage.data

from darkroom.renderers import face_swap
from darkroom.renderers.base import ModelPaths, RenderContext
from darkroom.renderers.faces import (
    CROP_MARGIN,
    confidence_of,
    crop_face,
    detect_faces,
    face_in_crop,
    face_models,
    rgb_array,
    score_for,
)
from darkroom.wire.faces import FaceSwapPhotoRequest
from face_support import photo, portraits_side_by_side
from support import BIDEN, OBAMA


def test_detect_faces_orders_left_to_right():
    faces = detect_faces(portraits_side_by_side())
    assert len(faces) == 2
    assert faces[0].center[0] < faces[1].center[0]
    assert all(0.5 <= face.confidence <= 1.0 for face in faces)


@pytest.mark.parametrize("image", [skimage.data.chelsea(), skimage.data.coffee()], ids=["cat", "coffee"])
def test_detect_faces_finds_none_without_person(image):
    assert detect_faces(image) == []


def test_detect_faces_accepts_grayscale_and_alpha():
    gray = photo(OBAMA, width=364).convert("L")
    assert len(detect_faces(gray)) == 1
    assert len(detect_faces(gray.convert("RGBA"))) == 1


@pytest.mark.parametrize("confidence", [0.05, 0.3, 0.5, 0.9, 0.99])
def test_score_for_inverts_confidence_of(confidence):
    assert math.isclose(confidence_of(score_for(confidence)), confidence, rel_tol=1e-9)


def test_confidence_extremes():
    assert math.isinf(score_for(1.0))
    assert detect_faces(photo(OBAMA, width=364), min_confidence=1.0) == []
    assert score_for(0.0) == score_for(1e-9)


def test_crop_face_is_square_with_margin():
    image = photo(OBAMA)
    face = detect_faces(image)[0]
    crop = crop_face(image, face)
    assert crop.width == crop.height
    assert crop.width == pytest.approx(face.width * (1 + 2 * CROP_MARGIN), abs=2)
    found = face_in_crop(rgb_array(crop))
    assert found.confidence > 0.5
    assert abs(found.center[0] - crop.width / 2) < crop.width * 0.1


def test_face_in_crop_falls_back_to_centre():
    blank = np.full((140, 140, 3), 128, dtype=np.uint8)
    box = face_in_crop(blank)
    assert box.confidence == 0.0
    assert box.center == (70.0, 70.0)
    assert box.width == pytest.approx(140 / (1 + 2 * CROP_MARGIN), abs=2)


def test_swap_face_changes_only_inside_outline():
    context = RenderContext(models=ModelPaths())
    models = face_models(context)
    target, source = rgb_array(photo(OBAMA, width=455)), rgb_array(photo(BIDEN, width=485))
    target_points = models.landmarks(target, detect_faces(target)[0])
    source_points = models.landmarks(source, detect_faces(source)[0])

    result = face_swap.swap_face(target, target_points, source, source_points)
    assert result.shape == target.shape
    changed = np.abs(result.astype(int) - target.astype(int)).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    assert xs.min() >= target_points[:, 0].min() - 1
    assert xs.max() <= target_points[:, 0].max() + 1
    assert ys.min() >= target_points[:, 1].min() - 1
    assert ys.max() <= target_points[:, 1].max() + 1


def test_models_load_once_per_process():
    context = RenderContext(models=ModelPaths())
    assert face_models(context) is face_models(context)
    assert face_models(RenderContext(models=ModelPaths(), cache=context.cache)) is face_models(context)


def test_destination_points_stay_inside_target_outline():
    context = RenderContext(models=ModelPaths())
    models = face_models(context)
    target, source = rgb_array(photo(OBAMA, width=455)), rgb_array(photo(BIDEN, width=485))
    target_points = models.landmarks(target, detect_faces(target)[0])
    source_points = models.landmarks(source, detect_faces(source)[0])
    # Eyes, nose and mouth stretched to twice their width cannot keep their proportions inside Obama's jaw.
    stretched = source_points.copy()
    middle = stretched[27:, 0].mean()
    stretched[27:, 0] = middle + 2.0 * (stretched[27:, 0] - middle)

    destination = face_swap.destination_points(stretched, target_points)
    assert np.array_equal(destination[:27], target_points[:27])
    assert not np.array_equal(destination[27:], target_points[27:]), "a part of the way still fits"
    outline = cv2.convexHull(target_points[:27].astype(np.float32))
    assert all(cv2.pointPolygonTest(outline, (float(x), float(y)), False) > 0 for x, y in destination[27:])


@pytest.mark.parametrize("edge", ["left", "top", "right", "bottom"])
def test_swap_of_face_cut_by_image_edge(edge):
    image = photo(OBAMA, width=455)
    face = detect_faces(image)[0]
    # Cut a sixth of the face box off, so the face's landmark outline runs past the image edge.
    cut_x, cut_y = face.width // 6, face.height // 6
    box = {
        "left": (face.left + cut_x, 0, image.width, image.height),
        "top": (0, face.top + cut_y, image.width, image.height),
        "right": (0, 0, face.right - cut_x, image.height),
        "bottom": (0, 0, image.width, face.bottom - cut_y),
    }[edge]
    target = image.crop(box)
    assert detect_faces(target), "the cut face must still be detected for this test to mean anything"

    request = FaceSwapPhotoRequest.model_validate({"assets": {"source_file_path": "s", "target_file_path": "t"}})
    inputs = {face_swap.SOURCE: photo(BIDEN, width=485), face_swap.TARGET: target}
    output = face_swap.render(inputs, request, RenderContext(models=ModelPaths())).images[0]
    assert output.size == target.size
    assert not np.array_equal(np.asarray(output), np.asarray(target))
