"""Image upscaler, built in: Lanczos resampling, then edge-aware sharpening for balanced and creative modes.

With DARKROOM_UPSCALER_MODEL set, balanced and creative run that super-resolution network instead
(`upscaler_model.py`); preserve always resamples, so it never invents detail.
"""

import cv2
import numpy as np
from PIL import Image

from darkroom.renderers.base import RenderContext, RenderOutput
from darkroom.renderers.upscaler_model import upscale_with_network
from darkroom.wire.tools import UpscalerRequest

# Unsharp-mask strength and blur radius per mode. Preserve only resamples, so it never invents detail.
SHARPEN_AMOUNT = {"preserve": 0.0, "balanced": 0.6, "creative": 1.1}
SHARPEN_SIGMA_PX = 1.2
# Output rows sharpened at a time, and the extra rows each strip reads on both sides, so that the
# blur reads the same neighbours as a whole-image pass would. Strips keep float32 copies small: a 4x
# upscale of a 4096x4096 input has 268 million output pixels.
STRIP_ROWS = 512
STRIP_HALO_ROWS = 8
# Gradient magnitude (0..255 scale) at which sharpening reaches full strength. Flat areas get
# little sharpening, so noise and JPEG blocks in smooth skin or sky are not amplified.
EDGE_FULL_STRENGTH = 40.0


# Sharpening added after the network in creative mode, on top of what the network restores.
NETWORK_CREATIVE_SHARPEN_AMOUNT = SHARPEN_AMOUNT["creative"] - SHARPEN_AMOUNT["balanced"]


def render(inputs: dict[str, Image.Image], request: UpscalerRequest, ctx: RenderContext) -> RenderOutput:
    image = inputs["assets.image_file_path"]
    ctx.progress(0.05)
    if ctx.models.upscaler is not None and request.mode != "preserve":
        upscaled = upscale_with_network(image, request.scale, ctx, ctx.models.upscaler)
        if request.mode == "creative":
            upscaled = sharpened(upscaled, NETWORK_CREATIVE_SHARPEN_AMOUNT)
    else:
        upscaled = upscale(image, request.scale, request.mode, on_progress=lambda done: ctx.progress(0.1 + 0.8 * done))
    ctx.progress(0.95)
    return RenderOutput(images=[upscaled])


def upscale(image: Image.Image, scale: int, mode: str, on_progress=lambda done: None) -> Image.Image:
    width, height = image.size
    size = (width * scale, height * scale)
    rgb = np.asarray(image.convert("RGB"))
    resized = cv2.resize(rgb, size, interpolation=cv2.INTER_LANCZOS4)
    amount = SHARPEN_AMOUNT[mode]
    if amount > 0:
        sharpen_in_strips(resized, amount, on_progress)
    result = Image.fromarray(resized, mode="RGB")

    if image.mode == "RGBA":
        alpha = np.asarray(image.getchannel("A"))
        alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LANCZOS4)
        result.putalpha(Image.fromarray(alpha, mode="L"))
    return result


def sharpened(image: Image.Image, amount: float) -> Image.Image:
    rgb = np.array(image.convert("RGB"))
    sharpen_in_strips(rgb, amount)
    result = Image.fromarray(rgb, mode="RGB")
    if image.mode == "RGBA":
        result.putalpha(image.getchannel("A"))
    return result


def sharpen_in_strips(rgb: np.ndarray, amount: float, on_progress=lambda done: None) -> None:
    """Sharpen `rgb` in place, strip by strip, reading each strip's halo from the unsharpened rows."""
    height = rgb.shape[0]
    halo_above = rgb[:0].copy()
    for top in range(0, height, STRIP_ROWS):
        bottom = min(top + STRIP_ROWS, height)
        below = rgb[bottom : min(bottom + STRIP_HALO_ROWS, height)]
        window = np.concatenate([halo_above, rgb[top:bottom], below])
        next_halo = rgb[max(bottom - STRIP_HALO_ROWS, top) : bottom].copy()
        sharpened = sharpen_edges(window, amount)
        rgb[top:bottom] = sharpened[len(halo_above) : len(halo_above) + bottom - top]
        halo_above = next_halo
        on_progress(bottom / height)


def sharpen_edges(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Unsharp mask weighted by local gradient strength, so edges sharpen and flat areas stay smooth."""
    image = rgb.astype(np.float32)
    blurred = cv2.GaussianBlur(image, (0, 0), SHARPEN_SIGMA_PX)
    detail = image - blurred

    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gradient_x = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gradient_y = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = cv2.magnitude(gradient_x, gradient_y) / 4.0  # a 3x3 Sobel scales gradients by up to 4
    weight = np.clip(magnitude / EDGE_FULL_STRENGTH, 0.0, 1.0)
    weight = cv2.GaussianBlur(weight, (0, 0), SHARPEN_SIGMA_PX)[..., None]

    sharpened = image + amount * weight * detail
    return np.clip(sharpened + 0.5, 0, 255).astype(np.uint8)
