"""Background removal with the operator's ONNX salient-object model (DARKROOM_BACKGROUND_MODEL), run by rembg.

rembg's custom sessions feed the model a fixed-size image: `u2net_custom` 320x320 with ImageNet
normalisation (U2-Net, U2-Netp, Silueta), `dis_custom` 1024x1024 (ISNet). The session is chosen from
the input size the model declares; a model with a dynamic input size gets `u2net_custom`.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from darkroom.renderers.base import RenderContext
from darkroom.renderers.model_loading import ModelLoadError, cached_model, out_of_memory_as_render_error

SETTING = "DARKROOM_BACKGROUND_MODEL"
SESSION_BY_INPUT_SIDE = {320: "u2net_custom", 1024: "dis_custom"}


def load_session(path: Path):
    import rembg

    path = Path(os.path.abspath(path))  # rembg compares absolute paths, not resolved ones
    with _rembg_models_folder(path.parent):
        session = rembg.new_session("u2net_custom", model_path=str(path))
        side = _check_input(session)
        if side is not None and side not in SESSION_BY_INPUT_SIDE:
            raise ModelLoadError(
                f"its input is {side}x{side} pixels; rembg's custom sessions feed 320x320 (U2-Net) "
                "or 1024x1024 (ISNet) images"
            )
        if side is not None and SESSION_BY_INPUT_SIDE[side] != "u2net_custom":
            session = rembg.new_session(SESSION_BY_INPUT_SIDE[side], model_path=str(path))
    return session


def estimate_alpha(image: Image.Image, ctx: RenderContext, model_path: Path) -> np.ndarray:
    """Return the model's alpha (float32, 0..1) for `image`, at the image's size."""
    import rembg

    session = cached_model(ctx, "background model", model_path, SETTING, load_session)
    ctx.progress(0.2)
    with out_of_memory_as_render_error("the background model"):
        mask = rembg.remove(image.convert("RGB"), session=session, only_mask=True)
    return np.asarray(mask, dtype=np.float32) / 255.0


def _check_input(session) -> int | None:
    """Raise ModelLoadError unless the model takes one 1x3xHxW image; return H when it is fixed and square."""
    inputs = session.inner_session.get_inputs()
    outputs = session.inner_session.get_outputs()
    shape = inputs[0].shape
    channels = shape[1] if len(shape) == 4 else None
    if len(inputs) != 1 or len(shape) != 4 or (isinstance(channels, int) and channels != 3):
        raise ModelLoadError(f"it takes {len(inputs)} input(s) of shape {shape}; a background model takes "
                             "one image of shape 1x3xHxW")
    if len(outputs[0].shape) != 4:
        raise ModelLoadError(f"its first output has shape {outputs[0].shape}; rembg expects a 1x1xHxW mask")
    height, width = shape[2], shape[3]
    if isinstance(height, int) and isinstance(width, int):
        if height != width:
            raise ModelLoadError(f"its input is {width}x{height} pixels; rembg feeds square images")
        return height
    return None


@contextmanager
def _rembg_models_folder(folder: Path):
    """Point rembg at `folder` while a session opens.

    rembg 2.0.86 opens custom models only from inside its models folder (U2NET_HOME, which takes
    precedence over REMBG_HOME), so the folder that contains the operator's file becomes that folder.
    """
    previous = os.environ.get("U2NET_HOME")
    os.environ["U2NET_HOME"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("U2NET_HOME", None)
        else:
            os.environ["U2NET_HOME"] = previous
