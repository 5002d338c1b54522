"""Image background remover: a transparent PNG of the input's size, or the subject over a new background.

The alpha comes from the operator's ONNX model through rembg when DARKROOM_BACKGROUND_MODEL is set
(`background_model.py`), else from the built-in GrabCut and matting (`background_builtin.py`).
Edge pixels get their foreground colour re-estimated, so the old background does not show as a
fringe once the subject sits on another background.
"""

import cv2
import numpy as np
from PIL import Image

from darkroom.renderers import background_builtin, background_model
from darkroom.renderers.base import RenderContext, RenderOutput
from darkroom.wire.tools import BackgroundRemoverRequest

IMAGE_FIELD = "assets.image_file_path"
BACKGROUND_FIELD = "assets.background_image_file_path"
# Foreground colours are estimated on a copy at most this long on its long side, then resized.
FOREGROUND_SIDE_PX = 1024
# Alpha values strictly between these count as the subject's edge, where colours are re-estimated.
EDGE_ALPHA_RANGE = (0.01, 0.99)


def render(inputs: dict[str, Image.Image], request: BackgroundRemoverRequest, ctx: RenderContext) -> RenderOutput:
    image = inputs[IMAGE_FIELD]
    ctx.progress(0.05)
    if ctx.models.background is not None:
        alpha = background_model.estimate_alpha(image, ctx, ctx.models.background)
    else:
        rgb = np.asarray(image.convert("RGB"))
        alpha = background_builtin.estimate_alpha(rgb, report=lambda fraction: ctx.progress(0.05 + 0.8 * fraction))
    if image.mode == "RGBA":
        # Pixels that were already transparent stay transparent.
        alpha = alpha * (np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0)
    ctx.progress(0.85)

    subject = cutout(np.asarray(image.convert("RGB")), alpha)
    background = inputs.get(BACKGROUND_FIELD)
    if background is not None:
        subject = composite_over(subject, background)
    ctx.progress(0.95)
    return RenderOutput(images=[subject])


def cutout(rgb: np.ndarray, alpha: np.ndarray) -> Image.Image:
    """Return an RGBA image of `rgb` with `alpha`, edge colours freed of the old background."""
    colours = rgb.copy()
    edge = (alpha > EDGE_ALPHA_RANGE[0]) & (alpha < EDGE_ALPHA_RANGE[1])
    if edge.any():
        colours[edge] = _foreground_colours(rgb, alpha)[edge]
    alpha_8bit = np.clip(alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([colours, alpha_8bit]), mode="RGBA")


def composite_over(subject: Image.Image, background: Image.Image) -> Image.Image:
    """Place `subject` over `background`, which is resized to the subject's size as Magic Hour does.

    A background of another aspect ratio is stretched, not cropped, so that no part of it is lost.
    """
    fitted = background.convert("RGBA").resize(subject.size, Image.Resampling.LANCZOS)
    result = Image.alpha_composite(fitted, subject)
    return result if background.mode == "RGBA" else result.convert("RGB")


def _foreground_colours(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Estimate the subject's own colours under partial alpha (pymatting's multilevel method)."""
    import pymatting

    height, width = alpha.shape
    scale = min(1.0, FOREGROUND_SIDE_PX / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float64) / 255.0
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA).astype(np.float64)
    foreground = pymatting.estimate_foreground_ml(small_rgb, small_alpha)
    foreground = cv2.resize(foreground.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    return np.clip(foreground * 255.0 + 0.5, 0, 255).astype(np.uint8)
