"""Image upscaler with the operator's super-resolution network (DARKROOM_UPSCALER_MODEL), loaded by spandrel.

The network runs tile by tile, so memory stays bounded by the tile size rather than the input size.
When the network's own scale differs from the requested one, it runs as often as needed to reach at
least the requested scale and the result is resized to the exact output size.
"""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from darkroom.renderers.base import RenderContext
from darkroom.renderers.model_loading import (
    ModelLoadError,
    cached_model,
    out_of_memory_as_render_error,
    torch_device_and_dtype,
)

SETTING = "DARKROOM_UPSCALER_MODEL"
# Input pixels per tile side, and the context each tile reads beyond its edges so that seams match a
# whole-image pass; 32 px covers the receptive field of ESRGAN-sized networks.
TILE_PX = 512
TILE_OVERLAP_PX = 32


def load_network(path: Path):
    """Load a spandrel image-to-image model and move it to the GPU (half precision) when there is one."""
    import spandrel
    import torch

    descriptor = spandrel.ModelLoader().load_from_file(str(path))
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise ModelLoadError(f"it is a {descriptor.architecture.name} model for {descriptor.purpose}, "
                             "not a super-resolution network")
    if descriptor.scale < 2:
        raise ModelLoadError(f"it is a {descriptor.architecture.name} {descriptor.purpose} model with scale "
                             f"{descriptor.scale}; an upscaler needs a scale of 2 or more")
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelLoadError(f"it takes {descriptor.input_channels} and returns {descriptor.output_channels} "
                             "channels; only RGB networks (3 channels) are supported")

    device, dtype = torch_device_and_dtype()
    if dtype == torch.float16 and not descriptor.supports_half:
        dtype = torch.float32
    return descriptor.to(device=device, dtype=dtype).eval()


def upscale_with_network(image: Image.Image, scale: int, ctx: RenderContext, model_path: Path) -> Image.Image:
    network = cached_model(ctx, "upscaler model", model_path, SETTING, load_network)
    rgb = np.asarray(image.convert("RGB"))
    target_size = (image.width * scale, image.height * scale)

    passes = _passes_needed(network.scale, scale)
    upscaled = rgb
    with out_of_memory_as_render_error("the upscaler network"):
        for index in range(passes):
            def report(fraction: float, index=index) -> None:
                ctx.progress(0.05 + 0.85 * (index + fraction) / passes)

            upscaled = run_tiled(network, upscaled, report)

    interpolation = cv2.INTER_AREA if upscaled.shape[1] > target_size[0] else cv2.INTER_LANCZOS4
    result = Image.fromarray(cv2.resize(upscaled, target_size, interpolation=interpolation), mode="RGB")
    if image.mode == "RGBA":
        alpha = cv2.resize(np.asarray(image.getchannel("A")), target_size, interpolation=cv2.INTER_LANCZOS4)
        result.putalpha(Image.fromarray(alpha, mode="L"))
    return result


def run_tiled(network, rgb: np.ndarray, report=lambda fraction: None,
              tile_px: int = TILE_PX, overlap_px: int = TILE_OVERLAP_PX) -> np.ndarray:
    """Run `network` over `rgb` (uint8 HxWx3) tile by tile and return the uint8 output at the network's scale."""
    import torch

    height, width = rgb.shape[:2]
    scale = network.scale
    output = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    tiles = [(top, left) for top in range(0, height, tile_px) for left in range(0, width, tile_px)]
    for index, (top, left) in enumerate(tiles):
        bottom, right = min(top + tile_px, height), min(left + tile_px, width)
        # The tile plus its context, clipped to the image.
        outer_top, outer_left = max(top - overlap_px, 0), max(left - overlap_px, 0)
        outer_bottom, outer_right = min(bottom + overlap_px, height), min(right + overlap_px, width)
        window = rgb[outer_top:outer_bottom, outer_left:outer_right]

        tensor = torch.from_numpy(np.array(window)).permute(2, 0, 1)[None]  # a writable copy for torch
        tensor = tensor.to(device=network.device, dtype=network.dtype) / 255.0
        # Inference mode keeps no autograd record, so each tile's activations are freed as it ends.
        with torch.inference_mode():
            result = network(tensor)[0].permute(1, 2, 0).float().mul(255.0).round().clamp(0, 255)
        result = result.to(torch.uint8).cpu().numpy()

        inner = result[(top - outer_top) * scale : (bottom - outer_top) * scale,
                       (left - outer_left) * scale : (right - outer_left) * scale]
        output[top * scale : bottom * scale, left * scale : right * scale] = inner
        report((index + 1) / len(tiles))
    return output


def _passes_needed(network_scale: int, requested_scale: int) -> int:
    passes, reached = 1, network_scale
    while reached < requested_scale:
        passes += 1
        reached *= network_scale
    return passes
