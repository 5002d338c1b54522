"""Face swap photo, built in: dlib landmarks, a piecewise affine warp, colour transfer and Poisson blending.

For each target face, the source face is warped triangle by triangle (a Delaunay triangulation of the
68 landmarks) onto a geometry that keeps the target's outline and pose and the source's proportions
of eyes, nose and mouth. Its colours are moved to the target skin's statistics in CIELAB
(Reinhard et al., "Color Transfer between Images", 2001), and it is blended in with OpenCV's
Poisson `seamlessClone`. Only pixels inside the target face's landmark outline change.
"""

import numpy as np
import cv2
from PIL import Image
from scipy.optimize import linear_sum_assignment
from scipy.spatial import Delaunay
from skimage.transform import SimilarityTransform

from darkroom.renderers.base import RenderContext, RenderError, RenderOutput
from darkroom.renderers.faces import (
    DEFAULT_MIN_CONFIDENCE,
    SAME_PERSON_MAX_DISTANCE,
    FaceBox,
    FaceModels,
    detect_faces,
    detect_largest_face,
    face_in_crop,
    face_models,
    rgb_array,
)
from darkroom.wire.faces import FaceSwapPhotoRequest

TARGET = "assets.target_file_path"
SOURCE = "assets.source_file_path"
NO_SOURCE_FACE = "Please use an image with a detectable face"
NO_TARGET_FACE = "Please use a target image with a detectable face"

# Landmark groups of the 68-point layout: 0-16 jaw line, 17-26 eyebrows, 27-67 nose, eyes and mouth.
JAW = slice(0, 17)
OUTLINE = np.arange(0, 27)
FEATURES = np.arange(17, 68)
# The eyebrows bound the blend region, so they keep the target's place and only 27-67 move.
INNER_FEATURES = np.arange(27, 68)
LEFT_EYE = np.arange(36, 42)
RIGHT_EYE = np.arange(42, 48)
MOUTH = np.arange(48, 60)
# How far the eyes, nose and mouth may move from the target's positions towards the source's
# proportions (1: all the way), tried in order until they fit inside the target's outline. The
# proportions carry much of a face's identity, so the first share that fits wins.
FEATURE_SHIFTS = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0)
# The blend region is the landmark outline shrunk by this share of the face width, so the jaw line
# and the background behind it stay the target's.
MASK_INSET = 0.03
# Width of the soft edge between the Poisson-blended face and the untouched target, as a share of
# the face width.
FEATHER = 0.04
# Pixels around the face outline that the Poisson solve uses, as a share of the face width.
ROI_MARGIN = 0.15
# The Gaussian sigma, as a share of the face width, of the local colour means that carry the target's
# lighting onto the source face.
SHADING_SIGMA = 0.12
SMOOTH_SIGMA_PX = 4.0
# individual-faces changes only the faces its mappings name, found by descriptor, so it also looks at
# faces the detector is less sure of: a detection run with a low confidence_score may have cropped them.
MAPPED_FACE_MIN_CONFIDENCE = 0.1


def render(inputs: dict[str, Image.Image], request: FaceSwapPhotoRequest, ctx: RenderContext) -> RenderOutput:
    """Swap faces onto the target: the source's onto every face, or each mapping's onto the face it names."""
    target = inputs[TARGET]
    target_rgb = rgb_array(target)
    models = face_models(ctx)
    mode = request.assets.mode
    min_confidence = MAPPED_FACE_MIN_CONFIDENCE if mode == "individual-faces" else DEFAULT_MIN_CONFIDENCE
    target_faces = detect_faces(target_rgb, min_confidence)
    if not target_faces:
        raise RenderError("no_target_face", f"{NO_TARGET_FACE}: no face was found in {TARGET}")
    ctx.progress(0.15)

    if mode == "all-faces":
        pairs = _all_faces(inputs, target_faces)
    else:
        pairs = _mapped_faces(inputs, request, target_rgb, target_faces, models)
    ctx.progress(0.35)

    result = target_rgb.copy()
    for done, (source_rgb, source_face, target_face) in enumerate(pairs, start=1):
        result = swap_face(
            result,
            models.landmarks(target_rgb, target_face),
            source_rgb,
            models.landmarks(source_rgb, source_face),
        )
        ctx.progress(0.35 + 0.6 * done / len(pairs))
    return RenderOutput(images=[_as_output(result, target)])


def _all_faces(inputs, target_faces: list[FaceBox]) -> list[tuple]:
    source_rgb = rgb_array(inputs[SOURCE])
    source_face = _source_face(source_rgb, SOURCE)
    return [(source_rgb, source_face, target_face) for target_face in target_faces]


def _source_face(rgb: np.ndarray, field: str) -> FaceBox:
    face = detect_largest_face(rgb)
    if face is None:
        raise RenderError("no_source_face", f"{NO_SOURCE_FACE}: no face was found in {field}")
    return face


def _mapped_faces(inputs, request: FaceSwapPhotoRequest, target_rgb, target_faces, models: FaceModels) -> list[tuple]:
    """Pair each face mapping with the target face that its `original_face` shows.

    A face is matched by its dlib descriptor, not by the index in the crop's name, so a mapping still
    finds its face when the target was re-encoded, resized or mirrored after the detection. The pairs
    minimise the total descriptor distance, so two mappings never take the same face.
    """
    target_descriptors = np.array([models.descriptor(target_rgb, face) for face in target_faces])
    mappings = request.assets.face_mappings
    mapped_descriptors = []
    for index in range(len(mappings)):
        crop = rgb_array(inputs[f"assets.face_mappings.{index}.original_face"])
        mapped_descriptors.append(models.descriptor(crop, face_in_crop(crop)))
    distances = np.linalg.norm(np.array(mapped_descriptors)[:, None, :] - target_descriptors[None, :, :], axis=2)
    rows, columns = linear_sum_assignment(distances)
    matched = dict(zip(rows, columns))

    pairs = []
    for index in range(len(mappings)):
        field = f"assets.face_mappings.{index}.original_face"
        if index not in matched or distances[index, matched[index]] > SAME_PERSON_MAX_DISTANCE:
            raise RenderError(
                "no_target_face",
                f"{NO_TARGET_FACE}: {field} {mappings[index].original_face!r} shows no face of {TARGET}; "
                "use a face path from face detection of this target image",
            )
        new_face_rgb = rgb_array(inputs[f"assets.face_mappings.{index}.new_face"])
        new_face = _source_face(new_face_rgb, f"assets.face_mappings.{index}.new_face")
        pairs.append((new_face_rgb, new_face, target_faces[matched[index]]))
    return pairs


def _as_output(result: np.ndarray, target: Image.Image) -> Image.Image:
    """Give the result the target's kind: grayscale stays grayscale and the alpha channel is kept."""
    if _is_gray(np.asarray(target.convert("RGB"))):
        output = Image.fromarray(cv2.cvtColor(result, cv2.COLOR_RGB2GRAY), mode="L")
    else:
        output = Image.fromarray(result, mode="RGB")
    if target.mode == "RGBA":
        output.putalpha(target.getchannel("A"))
    return output


def _is_gray(rgb: np.ndarray) -> bool:
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


def swap_face(target: np.ndarray, target_points: np.ndarray, source: np.ndarray, source_points: np.ndarray) -> np.ndarray:
    """Return `target` with the face at `target_points` replaced by the face at `source_points` of `source`."""
    destination = destination_points(source_points, target_points)
    face_width = float(np.ptp(target_points[JAW, 0]))
    left, top, right, bottom = _region(destination, face_width, target.shape)
    local = destination - (left, top)
    size = (bottom - top, right - left)

    warped, covered = warp_triangles(source, source_points, local, size)
    mask = face_mask(local, size, face_width) & covered
    source_skin = skin_mask(local, mask)
    target_skin = skin_mask(target_points - (left, top), mask)
    if not (source_skin.any() and target_skin.any()):
        # A face a few pixels wide: nothing is left to recolour, so it stays as it was.
        return target

    region = target[top:bottom, left:right]
    recoloured = transfer_colour(warped, region, source_skin, target_skin, face_width)
    result = target.copy()
    result[top:bottom, left:right] = blend(recoloured, region, mask, face_width)
    return result


def destination_points(source_points: np.ndarray, target_points: np.ndarray) -> np.ndarray:
    """Return where the source's landmarks go: the target's outline, with eyes, nose and mouth in the source's proportions.

    The source's features are aligned to the target's with a similarity transform. Where that puts a
    feature outside the target's outline (a turned head), the features move only part of the way.
    """
    destination = target_points.copy()
    transform = SimilarityTransform.from_estimate(source_points[FEATURES], target_points[FEATURES])
    if not transform:
        return destination
    shift = transform(source_points[INNER_FEATURES]) - target_points[INNER_FEATURES]
    outline = cv2.convexHull(target_points[OUTLINE].astype(np.float32))
    for share in FEATURE_SHIFTS:
        moved = target_points[INNER_FEATURES] + share * shift
        if all(cv2.pointPolygonTest(outline, (float(x), float(y)), False) > 0 for x, y in moved):
            destination[INNER_FEATURES] = moved
            break
    return destination


def _region(points: np.ndarray, face_width: float, shape) -> tuple[int, int, int, int]:
    margin = max(ROI_MARGIN * face_width, 8.0)
    height, width = shape[:2]
    left = int(max(np.floor(points[:, 0].min() - margin), 0))
    top = int(max(np.floor(points[:, 1].min() - margin), 0))
    right = int(min(np.ceil(points[:, 0].max() + margin), width))
    bottom = int(min(np.ceil(points[:, 1].max() + margin), height))
    return left, top, right, bottom


def warp_triangles(source: np.ndarray, source_points: np.ndarray, points: np.ndarray, size) -> tuple[np.ndarray, np.ndarray]:
    """Warp `source` so that `source_points` land on `points`, one affine map per Delaunay triangle.

    Return the warped image of `size` (rows, columns) and the mask of pixels inside the triangulation.
    """
    height, width = size
    triangles = Delaunay(points).simplices
    owner = np.full((height, width), -1, dtype=np.int32)
    for number, triangle in enumerate(triangles):
        cv2.fillConvexPoly(owner, np.round(points[triangle]).astype(np.int32), number)
    # Each pixel's triangle maps it back to where it comes from in the source.
    inverse = np.stack([
        cv2.getAffineTransform(points[triangle].astype(np.float32), source_points[triangle].astype(np.float32))
        for triangle in triangles
    ]).astype(np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    index = np.maximum(owner, 0)
    # One coefficient at a time: a (rows, columns, 2, 3) array of whole matrices would take 24 bytes a pixel.
    map_x = inverse[:, 0, 0][index] * xs + inverse[:, 0, 1][index] * ys + inverse[:, 0, 2][index]
    map_y = inverse[:, 1, 0][index] * xs + inverse[:, 1, 1][index] * ys + inverse[:, 1, 2][index]
    warped = cv2.remap(source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return warped, owner >= 0


def face_mask(points: np.ndarray, size, face_width: float) -> np.ndarray:
    """Return the convex hull of the jaw line and eyebrows, shrunk by MASK_INSET of the face width."""
    mask = np.zeros(size, dtype=np.uint8)
    hull = cv2.convexHull(np.round(points[OUTLINE]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    inset = max(int(round(MASK_INSET * face_width)), 1)
    mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inset + 1, 2 * inset + 1)))
    return mask > 0


def skin_mask(points: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Return the part of `face` (a mask) that is skin: without the eyes and the mouth, whose teeth or
    whites would skew the colour statistics."""
    mask = face.astype(np.uint8)
    for group in (LEFT_EYE, RIGHT_EYE, MOUTH):
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points[group]).astype(np.int32)), 0)
    return mask > 0


def transfer_colour(source: np.ndarray, target: np.ndarray, source_skin: np.ndarray, target_skin: np.ndarray,
                    face_width: float) -> np.ndarray:
    """Move `source`'s skin colours to `target`'s skin, in CIELAB.

    First the mean and spread of each channel (Reinhard's transfer), then the local mean over
    SHADING_SIGMA of the face width, so the source's lighting gives way to the target's.
    """
    source_lab = cv2.cvtColor(source.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    target_lab = cv2.cvtColor(target.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    inside_source = source_lab[source_skin]
    inside_target = target_lab[target_skin]
    scale = inside_target.std(axis=0) / np.maximum(inside_source.std(axis=0), 1e-3)
    moved = (source_lab - inside_source.mean(axis=0)) * scale + inside_target.mean(axis=0)

    sigma = SHADING_SIGMA * face_width
    if sigma > 0:
        moved += _local_mean(target_lab, target_skin, sigma) - _local_mean(moved, source_skin, sigma)
    rgb = cv2.cvtColor(moved.astype(np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _local_mean(image: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Return the Gaussian-weighted mean of `image` over the pixels in `mask`, around every pixel.

    The means vary slowly, so they are computed on a copy shrunk until sigma is SMOOTH_SIGMA_PX:
    a full-size Gaussian with a sigma of 100 px takes seconds.
    """
    height, width = mask.shape
    scale = min(1.0, SMOOTH_SIGMA_PX / sigma)
    size = (max(int(round(width * scale)), 1), max(int(round(height * scale)), 1))
    weights = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    values = cv2.resize(image * mask[..., None], size, interpolation=cv2.INTER_AREA)
    total = cv2.GaussianBlur(values, (0, 0), sigma * scale)
    count = cv2.GaussianBlur(weights, (0, 0), sigma * scale)[..., None]
    mean = total / np.maximum(count, 1e-6)
    return cv2.resize(mean, (width, height), interpolation=cv2.INTER_LINEAR)


def blend(face: np.ndarray, target: np.ndarray, mask: np.ndarray, face_width: float) -> np.ndarray:
    """Poisson-blend `face` into `target` inside `mask`, then fade it in over a soft edge inside the mask.

    The fade keeps every pixel outside `mask` exactly as in `target`: the Poisson solve alone may
    move them by a level or two.
    """
    mask_u8 = mask.astype(np.uint8) * 255
    x, y, width, height = cv2.boundingRect(mask_u8)
    # seamlessClone places the mask's bounding box centred on this point (OpenCV rounds down).
    center = (x + width // 2, y + height // 2)
    # A face cut off by the image edge reaches the border, where the Poisson solve has no boundary
    # pixels, so the images get a frame that the mask does not cover.
    face_framed, target_framed = (cv2.copyMakeBorder(image, 1, 1, 1, 1, cv2.BORDER_REFLECT_101) for image in (face, target))
    mask_framed = cv2.copyMakeBorder(mask_u8, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cloned = cv2.seamlessClone(face_framed, target_framed, mask_framed, (center[0] + 1, center[1] + 1), cv2.NORMAL_CLONE)
    cloned = cloned[1:-1, 1:-1]

    feather = max(int(round(FEATHER * face_width)), 1)
    inner = cv2.erode(mask_u8, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (feather + 1, feather + 1)))
    alpha = cv2.GaussianBlur(inner.astype(np.float32) / 255.0, (0, 0), feather / 2.0)
    alpha = np.where(mask, alpha, 0.0)[..., None]
    mixed = cloned.astype(np.float32) * alpha + target.astype(np.float32) * (1.0 - alpha)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
