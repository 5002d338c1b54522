"""Model loading and the pure parts of the model-backed renderers, with tiny models built here."""

from pathlib import Path

import numpy as np
import pytest
import torch

from darkroom.renderers.base import ModelPaths, RenderContext, RenderError
from darkroom.renderers.background_model import load_session
from darkroom.renderers.image_generator import output_size, styled_prompt
from darkroom.renderers.model_loading import cached_model
from darkroom.renderers.upscaler_model import load_network, run_tiled
from tiny_models import write_esrgan, write_salient_object_onnx


def context() -> RenderContext:
    return RenderContext(models=ModelPaths())


def test_tiled_upscale_matches_whole_image(tmp_path):
    network = load_network(write_esrgan(tmp_path / "esrgan.safetensors", scale=2))
    rgb = np.random.default_rng(0).integers(0, 256, size=(90, 130, 3), dtype=np.uint8)
    whole = run_tiled(network, rgb, tile_px=512)
    tiled = run_tiled(network, rgb, tile_px=40, overlap_px=32)
    assert whole.shape == (180, 260, 3)
    assert np.abs(whole.astype(int) - tiled).max() <= 1


def test_upscaler_rejects_restoration_model(tmp_path):
    path = write_esrgan(tmp_path / "denoise-1x.pth", scale=1)
    with pytest.raises(RenderError) as raised:
        cached_model(context(), "upscaler model", path, "DARKROOM_UPSCALER_MODEL", load_network)
    assert str(path) in raised.value.message
    assert "scale 1" in raised.value.message


def test_upscaler_rejects_unknown_architecture(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "mystery.safetensors"
    save_file({"encoder.layer.0.weight": torch.randn(4, 4)}, str(path))
    with pytest.raises(RenderError) as raised:
        cached_model(context(), "upscaler model", path, "DARKROOM_UPSCALER_MODEL", load_network)
    assert raised.value.code == "unknown_error"
    assert str(path) in raised.value.message
    assert "UnsupportedModelError" in raised.value.message


def test_out_of_memory_while_loading_is_named(tmp_path):
    path = tmp_path / "huge.pth"
    path.write_bytes(b"x")

    def load(_: Path):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB")

    with pytest.raises(RenderError) as raised:
        cached_model(context(), "image model", path, "DARKROOM_IMAGE_MODEL", load)
    assert raised.value.message == f"the image model {path} did not fit in memory while loading; use a smaller " \
                                   "model or a larger GPU"


def test_failed_load_is_retried_and_success_is_kept(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    calls = []

    def load(_: Path):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("truncated file")
        return object()

    ctx = context()
    with pytest.raises(RenderError, match="ValueError: truncated file"):
        cached_model(ctx, "background model", path, "DARKROOM_BACKGROUND_MODEL", load)
    first = cached_model(ctx, "background model", path, "DARKROOM_BACKGROUND_MODEL", load)
    assert cached_model(ctx, "background model", path, "DARKROOM_BACKGROUND_MODEL", load) is first
    assert len(calls) == 2


@pytest.mark.parametrize(("side", "session"), [(320, "u2net_custom"), (1024, "dis_custom"), ("dynamic", "u2net_custom")])
def test_background_session_follows_input_size(tmp_path, side, session):
    loaded = load_session(write_salient_object_onnx(tmp_path / "model.onnx", input_side=side))
    assert loaded.model_name == session


def test_background_model_with_wrong_input_is_rejected(tmp_path):
    path = write_salient_object_onnx(tmp_path / "odd.onnx", input_side=256)
    with pytest.raises(RenderError) as raised:
        cached_model(context(), "background model", path, "DARKROOM_BACKGROUND_MODEL", load_session)
    assert "256x256" in raised.value.message


@pytest.mark.parametrize(
    ("edge", "aspect_ratio", "size"),
    [(640, "1:1", (640, 640)), (640, "16:9", (640, 360)), (1024, "9:16", (576, 1024)), (2048, "16:9", (2048, 1152))],
)
def test_generator_output_size(edge, aspect_ratio, size):
    assert output_size(edge, aspect_ratio) == size


def test_generator_prompt_presets():
    assert styled_prompt("  a fox ", None) == "a fox"
    assert styled_prompt("a fox", "general") == "a fox"
    assert styled_prompt("a fox", "ai-sketch-generator").startswith("a fox, pencil sketch")


def test_every_style_tool_has_a_preset():
    from typing import get_args

    from darkroom.renderers.image_generator import PROMPT_PRESETS
    from darkroom.wire.tools import PromptPreset

    assert set(PROMPT_PRESETS) == set(get_args(PromptPreset))
