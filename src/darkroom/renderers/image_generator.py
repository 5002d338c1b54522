"""AI image generator with the operator's diffusers text-to-image pipeline (DARKROOM_IMAGE_MODEL).

The pipeline folder is what `save_pretrained` writes (model_index.json and one folder per
component). It loads once per render process and stays loaded for the next projects. Every request
renders with this one pipeline, whichever Magic Hour `model` it names; `model` only sets the price.
"""

import inspect
import logging
import os
from pathlib import Path

from PIL import Image

from darkroom.renderers.base import RenderContext, RenderOutput
from darkroom.renderers.model_loading import cached_model, out_of_memory_as_render_error, torch_device_and_dtype
from darkroom.wire.tools import ImageGeneratorRequest

logger = logging.getLogger(__name__)

SETTING = "DARKROOM_IMAGE_MODEL"
# Width and height must be multiples of the VAE's 8x downscaling.
SIZE_MULTIPLE_PX = 8
ASPECT_RATIOS = {"1:1": (1, 1), "16:9": (16, 9), "9:16": (9, 16)}

# Text appended to the prompt for each `style.tool`, standing in for Magic Hour's per-tool styles.
PROMPT_PRESETS = {
    "general": "",
    "ai-anime-generator": "anime style, cel shading, clean line art, vibrant colours",
    "ai-art-generator": "digital artwork, detailed, expressive brushwork",
    "ai-background-generator": "background scene, wide composition, no people, soft depth of field",
    "ai-character-generator": "character design, full body, detailed costume, neutral background",
    "ai-face-generator": "close-up portrait photograph of a face, natural skin texture, soft lighting",
    "ai-fashion-generator": "fashion photography, studio lighting, editorial style",
    "ai-icon-generator": "app icon, simple flat shapes, centred, plain background",
    "ai-illustration-generator": "illustration, clean lines, flat colours",
    "ai-interior-design-generator": "interior design photograph, wide angle, natural light, architectural digest style",
    "ai-landscape-generator": "landscape photograph, golden hour, wide vista",
    "ai-logo-generator": "minimal vector logo, flat design, plain white background",
    "ai-manga-generator": "manga style, black and white ink, screentone shading",
    "ai-outfit-generator": "outfit flat lay, full look, fashion catalogue photograph",
    "ai-pattern-generator": "seamless repeating pattern, tileable, flat design",
    "ai-photo-generator": "photograph, realistic, natural lighting, high detail",
    "ai-sketch-generator": "pencil sketch, graphite on paper, hatching",
    "ai-tattoo-generator": "tattoo design, bold linework, white background",
    "album-cover-generator": "album cover art, square composition, striking typography space",
    "animated-characters-generator": "3d animated film character, stylised, expressive",
    "architecture-generator": "architectural rendering, modern building, photorealistic",
    "book-cover-generator": "book cover illustration, portrait composition, space for a title",
    "comic-book-generator": "comic book panel, bold ink outlines, halftone colours",
    "dark-fantasy-ai": "dark fantasy art, moody lighting, gothic atmosphere",
    "disney-ai-generator": "classic animated feature style, warm colours, expressive characters",
    "dnd-ai-art-generator": "tabletop fantasy role-playing art, heroic character, detailed armour",
    "emoji-generator": "emoji icon, round shapes, glossy, plain background",
    "fantasy-map-generator": "hand-drawn fantasy map, parchment, mountains, rivers and labels",
    "graffiti-generator": "graffiti mural, spray paint on a brick wall, bold letters",
    "movie-poster-generator": "cinematic movie poster, dramatic lighting, portrait composition",
    "optical-illusion-generator": "optical illusion artwork, geometric, high contrast",
    "pokemon-generator": "cute creature monster design, cartoon style, simple shapes",
    "south-park-character-generator": "cut-out paper animation style, simple flat shapes",
    "superhero-generator": "superhero in a dynamic pose, comic style, vivid costume",
    "thumbnail-maker": "eye-catching video thumbnail, bold colours, high contrast, 16:9 composition",
}


def render(inputs: dict[str, Image.Image], request: ImageGeneratorRequest, ctx: RenderContext) -> RenderOutput:
    pipeline = cached_model(ctx, "image model", ctx.models.image, SETTING, load_pipeline)
    width, height = output_size(request.longest_edge_px, request.resolved_aspect_ratio)
    prompt = styled_prompt(request.style.prompt, request.style.tool)
    options = _generation_options(ctx)

    images = []
    with out_of_memory_as_render_error("the image model"):
        for index in range(request.image_count):
            progress = _step_progress(ctx, index, request.image_count, pipeline)
            result = pipeline(prompt=prompt, width=width, height=height, output_type="pil", **options, **progress)
            images.append(result.images[0].convert("RGB"))
            ctx.progress(0.05 + 0.9 * (index + 1) / request.image_count)
    return RenderOutput(images=images)


def load_pipeline(path: Path):
    """Load a diffusers text-to-image pipeline from a local folder: CUDA and float16 with a GPU, else CPU float32."""
    # Weights come only from the operator's folder. huggingface_hub reads this variable when it is first
    # imported, and no other renderer imports it, so a component that names a hub repository fails
    # instead of downloading.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from diffusers import AutoPipelineForText2Image

    device, dtype = torch_device_and_dtype()
    pipeline = AutoPipelineForText2Image.from_pretrained(str(path), torch_dtype=dtype, local_files_only=True)
    pipeline = pipeline.to(device)
    pipeline.set_progress_bar_config(disable=True)
    logger.info("image model %s is a %s on %s (%s)", path, type(pipeline).__name__, device, dtype)
    return pipeline


def output_size(longest_edge_px: int, aspect_ratio: str) -> tuple[int, int]:
    """Return (width, height) with the long side `longest_edge_px` and both sides multiples of 8."""
    ratio_width, ratio_height = ASPECT_RATIOS[aspect_ratio]
    long_ratio = max(ratio_width, ratio_height)

    def side(ratio: int) -> int:
        return max(SIZE_MULTIPLE_PX, round(longest_edge_px * ratio / long_ratio / SIZE_MULTIPLE_PX) * SIZE_MULTIPLE_PX)

    return side(ratio_width), side(ratio_height)


def styled_prompt(prompt: str, tool: str | None) -> str:
    preset = PROMPT_PRESETS.get(tool or "general", "")
    return f"{prompt.strip()}, {preset}" if preset else prompt.strip()


def _generation_options(ctx: RenderContext) -> dict:
    """Return the operator's step count and guidance scale; unset ones keep the pipeline's defaults."""
    options = {}
    if ctx.models.image_steps is not None:
        options["num_inference_steps"] = ctx.models.image_steps
    if ctx.models.image_guidance_scale is not None:
        options["guidance_scale"] = ctx.models.image_guidance_scale
    return options


def _step_progress(ctx: RenderContext, index: int, count: int, pipeline) -> dict:
    """Return the keyword arguments that report progress after each denoising step, where the pipeline supports it."""
    if "callback_on_step_end" not in inspect.signature(pipeline.__call__).parameters:
        return {}

    def on_step_end(pipe, step: int, timestep, callback_kwargs: dict) -> dict:
        total_steps = max(getattr(pipe, "num_timesteps", 0) or 1, 1)
        ctx.progress(0.05 + 0.9 * (index + (step + 1) / total_steps) / count)
        return callback_kwargs

    return {"callback_on_step_end": on_step_end}
