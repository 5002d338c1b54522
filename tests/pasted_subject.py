"""A test photo with a known subject mask: the portrait in faces/obama.jpg cut out and pasted on skimage's coffee photo.

The mask is derived in two steps: a hand-traced outline of the person (head, shoulders, crossed
arms, traced on the photo resized to 455x569), then OpenCV's GrabCut refining that outline within
12 px either side. Because the composite is built from the mask, the mask is its exact ground truth.
"""

import cv2
import numpy as np
from PIL import Image

from support import OBAMA

TRACE_SIZE = (455, 569)
# The person's outline, clockwise from the top of the head, in pixels of the 455x569 photo.
OUTLINE = [
    (245, 14), (205, 20), (184, 48), (178, 95), (171, 112), (180, 150), (196, 178), (200, 192), (150, 220),
    (95, 245), (70, 290), (50, 350), (38, 420), (27, 470), (27, 490), (32, 510), (38, 530), (45, 546),
    (100, 548), (102, 569), (377, 569), (382, 530), (390, 500), (400, 480), (410, 450), (417, 400), (418, 350),
    (410, 300), (395, 250), (350, 225), (298, 200), (292, 184), (306, 150), (318, 112), (316, 80), (306, 45),
    (285, 22),
]
REFINE_MARGIN_PX = 12
# Share of the composite's height that the pasted person fills. The person touches the bottom edge.
SUBJECT_HEIGHT_FRACTION = 0.9


def portrait_and_mask() -> tuple[np.ndarray, np.ndarray]:
    """Return the portrait (RGB uint8, 455x569) and its person mask (bool)."""
    photo = np.asarray(Image.open(OBAMA).convert("RGB").resize(TRACE_SIZE, Image.Resampling.LANCZOS))
    traced = np.zeros(photo.shape[:2], dtype=np.uint8)
    cv2.fillPoly(traced, [np.array(OUTLINE, dtype=np.int32)], 1)

    kernel = np.ones((3, 3), dtype=np.uint8)
    seeds = np.where(traced == 1, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    seeds[cv2.erode(traced, kernel, iterations=REFINE_MARGIN_PX) == 1] = cv2.GC_FGD
    seeds[cv2.dilate(traced, kernel, iterations=REFINE_MARGIN_PX) == 0] = cv2.GC_BGD
    cv2.setRNGSeed(0)
    cv2.grabCut(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), seeds, None, np.zeros((1, 65)), np.zeros((1, 65)), 8,
                cv2.GC_INIT_WITH_MASK)
    return photo, np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD))


def pasted_on_coffee() -> tuple[Image.Image, np.ndarray]:
    """Return the person pasted onto skimage's coffee photo (600x400) and the composite's subject mask (bool)."""
    from skimage import data

    background = data.coffee().astype(np.float32)
    height, width = background.shape[:2]
    photo, mask = portrait_and_mask()

    subject_height = int(height * SUBJECT_HEIGHT_FRACTION)
    subject_width = round(photo.shape[1] * subject_height / photo.shape[0])
    subject = cv2.resize(photo, (subject_width, subject_height), interpolation=cv2.INTER_AREA).astype(np.float32)
    coverage = cv2.resize(mask.astype(np.float32), (subject_width, subject_height), interpolation=cv2.INTER_AREA)

    left, top = (width - subject_width) // 2, height - subject_height
    region = background[top:, left : left + subject_width]
    region[:] = subject * coverage[..., None] + region * (1.0 - coverage[..., None])
    truth = np.zeros((height, width), dtype=bool)
    truth[top:, left : left + subject_width] = coverage > 0.5
    return Image.fromarray(np.clip(background + 0.5, 0, 255).astype(np.uint8)), truth
