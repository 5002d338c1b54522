"""Time the model-backed renderers: model load, first render and second render, per image.

    PYTHONPATH=src python bench/models.py                    # the tiny test models, at the test sizes
    PYTHONPATH=src python bench/models.py --upscaler real.pth --image /models/sd-turbo --image-steps 1

Without a path, each tool uses the tiny random model its tests build (tests/tiny_models.py), so
the figures measure Darkroom's overhead and the libraries, not a real network. The renderers run in
this process, as a render process runs them, with one `RenderContext` kept across renders.
"""

import argparse
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from darkroom.renderers import background, background_model, image_generator, upscaler_model  # noqa: E402
from darkroom.renderers.base import ModelPaths, RenderContext  # noqa: E402
from darkroom.renderers.model_loading import cached_model  # noqa: E402
from darkroom.renderers.upscaler import render as render_upscale  # noqa: E402
from darkroom.wire.tools import BackgroundRemoverRequest, ImageGeneratorRequest, UpscalerRequest  # noqa: E402

PHOTO = REPO_ROOT.parent / "shared" / "testdata" / "faces" / "obama.jpg"
# The sizes the tests use: a 96x72 face crop upscaled 2x, a 320x240 image cut out, one 640 px image.
UPSCALE_INPUT = (96, 72)
BACKGROUND_INPUT = (320, 240)
GENERATOR_RESOLUTION = "640px"
TINY_GENERATOR_STEPS = 2


@dataclass
class Timing:
    tool: str
    size: str
    load_s: float
    first_s: float
    second_s: float


def main() -> None:
    options = parse_options()
    with tempfile.TemporaryDirectory(prefix="darkroom-bench-") as folder:
        models = model_paths(options, Path(folder))
        timings = [bench_upscaler(models), bench_background(models), bench_builtin_background(),
                   bench_generator(models)]
    print_table(timings)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upscaler", type=Path, help="super-resolution weights; default: tiny random ESRGAN")
    parser.add_argument("--background", type=Path, help="ONNX salient-object model; default: tiny U2-Net-shaped")
    parser.add_argument("--image", type=Path, help="diffusers pipeline folder; default: tiny random pipeline")
    parser.add_argument("--image-steps", type=int, help="denoising steps; default: 2 with the tiny pipeline")
    return parser.parse_args()


def model_paths(options: argparse.Namespace, folder: Path) -> ModelPaths:
    from tiny_models import write_esrgan, write_salient_object_onnx, write_text_to_image_pipeline

    steps = options.image_steps
    if options.image is None and steps is None:
        steps = TINY_GENERATOR_STEPS
    return ModelPaths(
        upscaler=options.upscaler or write_esrgan(folder / "esrgan-2x.pth", scale=2),
        background=options.background or write_salient_object_onnx(folder / "salient.onnx", input_side=320),
        image=options.image or write_text_to_image_pipeline(folder / "text-to-image"),
        image_steps=steps,
    )


def bench_upscaler(models: ModelPaths) -> Timing:
    photo = Image.open(PHOTO).convert("RGB").resize(UPSCALE_INPUT)
    request = UpscalerRequest.model_validate(
        {"assets": {"image_file_path": "bench"}, "scale_factor": 2, "style": {"mode": "balanced"}}
    )
    ctx = RenderContext(models=models)
    load_s = timed(lambda: cached_model(ctx, "upscaler model", models.upscaler, upscaler_model.SETTING,
                                        upscaler_model.load_network))
    first_s, second_s = (timed(lambda: render_upscale({"image": photo}, request, ctx)) for _ in range(2))
    return Timing("ai-image-upscaler (balanced, 2x)", size_text(UPSCALE_INPUT), load_s, first_s, second_s)


def bench_background(models: ModelPaths) -> Timing:
    photo = Image.open(PHOTO).convert("RGB").resize(BACKGROUND_INPUT)
    request = BackgroundRemoverRequest.model_validate({"assets": {"image_file_path": "bench"}})
    ctx = RenderContext(models=models)
    load_s = timed(lambda: cached_model(ctx, "background model", models.background, background_model.SETTING,
                                        background_model.load_session))
    inputs = {background.IMAGE_FIELD: photo}
    first_s, second_s = (timed(lambda: background.render(inputs, request, ctx)) for _ in range(2))
    return Timing("image-background-remover (model)", size_text(BACKGROUND_INPUT), load_s, first_s, second_s)


def bench_builtin_background() -> Timing:
    """Time the built-in remover for comparison. It loads no model, so its load time is 0."""
    photo = Image.open(PHOTO).convert("RGB").resize(BACKGROUND_INPUT)
    request = BackgroundRemoverRequest.model_validate({"assets": {"image_file_path": "bench"}})
    ctx = RenderContext(models=ModelPaths())
    inputs = {background.IMAGE_FIELD: photo}
    first_s, second_s = (timed(lambda: background.render(inputs, request, ctx)) for _ in range(2))
    return Timing("image-background-remover (built-in)", size_text(BACKGROUND_INPUT), 0.0, first_s, second_s)


def bench_generator(models: ModelPaths) -> Timing:
    request = ImageGeneratorRequest.model_validate(
        {"image_count": 1, "resolution": GENERATOR_RESOLUTION, "style": {"prompt": "a lighthouse at dusk"}}
    )
    ctx = RenderContext(models=models)
    load_s = timed(lambda: cached_model(ctx, "image model", models.image, image_generator.SETTING,
                                        image_generator.load_pipeline))
    first_s, second_s = (timed(lambda: image_generator.render({}, request, ctx)) for _ in range(2))
    width, height = image_generator.output_size(request.longest_edge_px, request.resolved_aspect_ratio)
    return Timing(f"ai-image-generator ({models.image_steps or 'default'} steps)", size_text((width, height)),
                  load_s, first_s, second_s)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def print_table(timings: list[Timing]) -> None:
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    print(f"# {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"device: {device}, Python {platform.python_version()}, torch {torch.__version__}")
    print(f"{'tool':40} {'size':>9} {'load s':>8} {'render 1 s':>11} {'render 2 s':>11} {'2nd/1st':>8}")
    for timing in timings:
        ratio = timing.second_s / timing.first_s if timing.first_s > 0 else float("nan")
        print(f"{timing.tool:40} {timing.size:>9} {timing.load_s:8.2f} {timing.first_s:11.2f} "
              f"{timing.second_s:11.2f} {ratio:8.2f}")
    print("Seconds per image; each tool renders one image per call.")


if __name__ == "__main__":
    main()
