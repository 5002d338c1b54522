"""Background removal without a model file: saliency- and face-seeded GrabCut, edges refined by alpha matting.

1. Saliency: a pixel is salient when its colour is far from the colours along the image border,
   where the background usually shows (boundary prior). Each side is scored separately and the
   scores averaged, so a subject that touches one side (a portrait cut at the chest) stays salient.
2. When dlib's HOG detector finds faces, the people alone seed GrabCut in place of saliency. The
   head and a torso that widens below the chin are probable foreground, the face centre and the
   neck are sure foreground, and pixels far from any person are sure background. Salient objects
   behind a person (a cup, a lamp) are therefore not kept.
3. GrabCut (OpenCV) turns the seeds into a hard mask; components too small to be the subject go.
4. Closed-form alpha matting (pymatting) recomputes alpha in a band around the mask's edge.

GrabCut runs on a copy at most WORKING_SIDE_PX on its long side, and matting on one at most
MATTING_SIDE_PX. The alpha is then resized to the input, so the cost stops growing with the input.
"""

import cv2
import numpy as np

from darkroom.renderers.faces import FaceBox, detect_faces

WORKING_SIDE_PX = 512
MATTING_SIDE_PX = 1024
GRABCUT_ITERATIONS = 5
# Width of the border strips that sample background colours, as a fraction of the shorter side.
BORDER_STRIP_FRACTION = 0.04
BORDER_COLOUR_CLUSTERS = 8
# Saliency distances are scaled so that this percentile maps to 1.
SALIENCY_NORMALISING_PERCENTILE = 99
# A foreground component smaller than this fraction of the largest one is dropped unless it contains a face.
MIN_COMPONENT_FRACTION = 0.1
# Half-width of the matting band around the mask edge, as a fraction of (height + width).
MATTING_BAND_FRACTION = 0.006


def estimate_alpha(rgb: np.ndarray, report=lambda fraction: None) -> np.ndarray:
    """Return the subject's alpha (float32, 0..1) for an RGB uint8 image, at the image's size."""
    height, width = rgb.shape[:2]
    small = _resize_to_side(rgb, WORKING_SIDE_PX)
    small_height, small_width = small.shape[:2]
    faces = [face.clipped(small_width, small_height) for face in detect_faces(small)]
    report(0.2)

    seeds = grabcut_seeds(small, faces)
    mask = run_grabcut(small, seeds)
    mask = keep_subject_components(mask, faces)
    report(0.6)
    if not mask.any() or mask.all():
        return np.full((height, width), float(mask.all()), dtype=np.float32)

    matting_image = _resize_to_side(rgb, MATTING_SIDE_PX)
    alpha = matte_edges(matting_image, mask)
    report(0.9)
    return cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR).clip(0.0, 1.0)


def saliency(rgb: np.ndarray) -> np.ndarray:
    """Return each pixel's colour distance (CIELAB) to the nearest border colour, averaged over the four sides."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 2), cv2.COLOR_RGB2LAB).astype(np.float32)
    height, width = lab.shape[:2]
    strip = max(2, int(BORDER_STRIP_FRACTION * min(height, width)))
    sides = [lab[:strip], lab[-strip:], lab[:, :strip], lab[:, -strip:]]
    pixels = lab.reshape(-1, 1, 3)

    maps = []
    for side in sides:
        centres = _colour_clusters(side.reshape(-1, 3))
        distance = np.sqrt(((pixels - centres[None]) ** 2).sum(axis=2)).min(axis=1).reshape(height, width)
        maps.append(distance / (np.percentile(distance, SALIENCY_NORMALISING_PERCENTILE) + 1e-6))
    return np.clip(np.mean(maps, axis=0), 0.0, 1.0).astype(np.float32)


def grabcut_seeds(rgb: np.ndarray, faces: list[FaceBox]) -> np.ndarray:
    """Return a GrabCut mask (cv2.GC_* labels) seeded from saliency, or from the people when there are faces."""
    height, width = rgb.shape[:2]
    if faces:
        return _person_seeds(height, width, faces)

    salient = saliency(rgb)
    threshold = _otsu_threshold(salient)
    seeds = np.where(salient > threshold, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    border = np.ones((height, width), dtype=bool)
    edge = max(2, int(0.01 * min(height, width)))
    border[edge:-edge, edge:-edge] = False
    seeds[border & (salient <= threshold)] = cv2.GC_BGD
    # Pixels halfway between the threshold and the most salient colour are taken as the subject's core.
    seeds[salient > min(0.95, threshold + 0.5 * (1.0 - threshold))] = cv2.GC_FGD
    return seeds


def run_grabcut(rgb: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Return the foreground mask (bool) that GrabCut finds from `seeds`; the seeds alone when GrabCut cannot run."""
    foreground = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if foreground.all() or not foreground.any():
        return foreground  # GrabCut needs samples of both classes to fit its colour models
    mask = seeds.copy()
    cv2.setRNGSeed(0)  # GrabCut initialises its colour models with k-means; a fixed seed makes renders repeatable
    background_model = np.zeros((1, 65), dtype=np.float64)
    foreground_model = np.zeros((1, 65), dtype=np.float64)
    cv2.grabCut(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), mask, None, background_model, foreground_model,
                GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD))


def keep_subject_components(mask: np.ndarray, faces: list[FaceBox]) -> np.ndarray:
    """Drop specks: keep components at least MIN_COMPONENT_FRACTION of the largest, and any that contains a face."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, dtype=bool)
    keep[1:] = areas >= MIN_COMPONENT_FRACTION * areas.max()
    for face in faces:
        keep[np.unique(labels[face.top : face.bottom, face.left : face.right])] = True
    keep[0] = False
    return keep[labels]


def matte_edges(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Return alpha at `rgb`'s size: 1 inside the mask, 0 outside, closed-form matting in a band along its edge."""
    import pymatting

    height, width = rgb.shape[:2]
    resized = cv2.resize(mask.astype(np.uint8) * 255, (width, height), interpolation=cv2.INTER_LINEAR) > 127
    radius = max(2, int(MATTING_BAND_FRACTION * (height + width)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    sure_foreground = cv2.erode(resized.astype(np.uint8), kernel) > 0
    maybe_foreground = cv2.dilate(resized.astype(np.uint8), kernel) > 0

    trimap = np.full((height, width), 0.5)
    trimap[sure_foreground] = 1.0
    trimap[~maybe_foreground] = 0.0
    if not sure_foreground.any() or maybe_foreground.all():
        return resized.astype(np.float32)  # a subject thinner than the band, or one that fills the image
    alpha = pymatting.estimate_alpha_cf(rgb.astype(np.float64) / 255.0, trimap)
    return alpha.astype(np.float32)


def _person_seeds(height: int, width: int, faces: list[FaceBox]) -> np.ndarray:
    """Seed each person: head and torso probable foreground, face centre and neck sure, far away sure background."""
    person = np.zeros((height, width), dtype=np.uint8)
    for face in faces:
        _draw_person(person, face, height)
    largest_face = max(face.width for face in faces)
    margin = 2 * int(0.6 * largest_face) + 1
    near_person = cv2.dilate(person, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (margin, margin)))

    seeds = np.where(person > 0, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    seeds[near_person == 0] = cv2.GC_BGD
    for face in faces:
        centre = (int(face.center[0]), (face.top + face.bottom) // 2)
        cv2.ellipse(seeds, centre, (int(face.width * 0.35), int(face.height * 0.45)), 0, 0, 360, cv2.GC_FGD, -1)
        neck_left, neck_right = int(face.center[0] - face.width / 4), int(face.center[0] + face.width / 4)
        seeds[face.bottom : face.bottom + 2 * face.height, max(neck_left, 0) : max(neck_right, 0)] = cv2.GC_FGD
    return seeds


def _draw_person(canvas: np.ndarray, face: FaceBox, height: int) -> None:
    """Fill the region a person with this face is likely to cover: an oval head and a torso to the bottom edge.

    Proportions are in face widths and heights: shoulders reach about 1.9 face widths either side of
    the face centre, one face height below the chin, and the torso widens slightly towards the bottom.
    """
    fw, fh, cx = face.width, face.height, face.center[0]
    head_centre = (int(cx), int((face.top + face.bottom) / 2 - 0.1 * fh))
    cv2.ellipse(canvas, head_centre, (int(fw * 0.7), int(fh * 0.9)), 0, 0, 360, 1, -1)
    chin, neck, shoulders = face.bottom + 0.1 * fh, face.bottom + 0.35 * fh, face.bottom + 0.9 * fh
    outline = [
        (cx - 0.4 * fw, chin), (cx + 0.4 * fw, chin), (cx + 0.4 * fw, neck), (cx + 1.9 * fw, shoulders),
        (cx + 2.3 * fw, height), (cx - 2.3 * fw, height), (cx - 1.9 * fw, shoulders), (cx - 0.4 * fw, neck),
    ]
    cv2.fillPoly(canvas, [np.array(outline, dtype=np.int32)], 1)


def _colour_clusters(pixels: np.ndarray) -> np.ndarray:
    count = min(BORDER_COLOUR_CLUSTERS, len(pixels))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(0)  # fixed k-means starting centres make renders repeatable
    _, _, centres = cv2.kmeans(pixels.astype(np.float32), count, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    return centres


def _otsu_threshold(values: np.ndarray) -> float:
    threshold, _ = cv2.threshold((values * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return threshold / 255.0


def _resize_to_side(rgb: np.ndarray, max_side: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
