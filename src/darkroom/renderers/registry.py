"""The tool catalog: for each endpoint, its request body, price, project type, queue and renderer.

The API reads this to validate and charge; workers read it to find the render function. Render
functions are named by import path so that the API process never imports OpenCV, dlib or torch.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from darkroom.renderers.base import ModelPaths, RenderContext, RenderOutput
from darkroom.renderers.face_model_files import landmark_model
from darkroom.wire.faces import FaceDetectionRequest, FaceSwapPhotoRequest
from darkroom.wire.tools import (
    IMAGE_MODEL_ALIASES,
    IMAGE_MODELS,
    BackgroundRemoverRequest,
    ImageGeneratorRequest,
    ToolRequest,
    UpscalerRequest,
)

CPU_QUEUE = "cpu"
GPU_QUEUE = "gpu"

RenderFunction = Callable[[dict[str, Any], Any, RenderContext], RenderOutput]


@dataclass(frozen=True)
class PriceEntry:
    """One row of a tool's price table: `credits` for each `per` ("project" or "image") with these options."""

    credits: int
    per: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolSpec:
    slug: str  # the endpoint: POST /v1/<slug>
    project_type: str  # Magic Hour's project type, shown as `type`
    title: str  # used in default project names
    request_model: type[ToolRequest]
    price: Callable[[Any], int]  # credits for one accepted request, as Magic Hour charges
    input_paths: Callable[[Any], dict[str, str]]  # input name -> file_path or URL
    renderer: str  # "module:function"
    price_text: str  # the price table in words, for GET /v1/tools and the docs
    queue: Callable[[Any, ModelPaths], str] = lambda request, models: CPU_QUEUE
    image_count: Callable[[Any], int] = lambda request: 1
    # The setting that enables the tool when it has no built-in renderer; None when always enabled.
    required_setting: str | None = None
    required_model: Callable[[ModelPaths], Path | None] | None = None
    kind: str = "image"
    description: str = ""  # what `required_setting` must point at, for the 403 message
    # The model file a tool with a built-in renderer uses instead when the operator configures one.
    optional_model: Callable[[ModelPaths], Path | None] | None = None
    prices: tuple[PriceEntry, ...] = ()
    notes: str = ""  # how Darkroom treats the request differently from Magic Hour, for GET /v1/tools

    def disabled_reason(self, models: ModelPaths) -> str | None:
        """Return why the tool is disabled here, naming the setting that enables it; None when enabled."""
        if self.required_model is None or self.required_model(models) is not None:
            return None
        return f"{self.slug} is not enabled: set {self.required_setting} to {self.description}"

    def model_file(self, models: ModelPaths) -> str | None:
        """Return the model file this tool renders with here; None when it renders without one."""
        lookup = self.required_model or self.optional_model
        path = lookup(models) if lookup is not None else None
        return str(path) if path is not None else None

    def load_renderer(self) -> RenderFunction:
        module_name, function_name = self.renderer.split(":")
        return getattr(importlib.import_module(module_name), function_name)


UPSCALER_PRICES = {(2, "preserve"): 25, (2, "balanced"): 50, (2, "creative"): 50,
                   (4, "preserve"): 100, (4, "balanced"): 200, (4, "creative"): 200}


BACKGROUND_REMOVER_CREDITS = 5


def _upscaler_queue(request: UpscalerRequest, models: ModelPaths) -> str:
    if models.upscaler is not None and request.mode != "preserve":
        return GPU_QUEUE
    return CPU_QUEUE


def _background_inputs(request: BackgroundRemoverRequest) -> dict[str, str]:
    paths = {"assets.image_file_path": request.assets.image_file_path}
    if request.assets.background_image_file_path is not None:
        paths["assets.background_image_file_path"] = request.assets.background_image_file_path
    return paths


def _image_generator_price(request: ImageGeneratorRequest) -> int:
    return IMAGE_MODELS[request.priced_model].credits_per_image * request.image_count


def _image_generator_price_table() -> tuple[PriceEntry, ...]:
    names = sorted([*IMAGE_MODELS, *IMAGE_MODEL_ALIASES])
    return tuple(
        PriceEntry(IMAGE_MODELS[IMAGE_MODEL_ALIASES.get(name, name)].credits_per_image, "image", {"model": name})
        for name in names
    )


TOOLS: dict[str, ToolSpec] = {}


def register(spec: ToolSpec) -> ToolSpec:
    TOOLS[spec.slug] = spec
    return spec


register(
    ToolSpec(
        slug="ai-image-upscaler",
        project_type="IMAGE_UPSCALER",
        title="Image Upscaler",
        request_model=UpscalerRequest,
        price=lambda request: UPSCALER_PRICES[(request.scale, request.mode)],
        input_paths=lambda request: {"assets.image_file_path": request.assets.image_file_path},
        renderer="darkroom.renderers.upscaler:render",
        price_text="2x: 25 credits (preserve), 50 (balanced, creative); 4x: 100 (preserve), 200 (balanced, creative)",
        queue=_upscaler_queue,
        optional_model=lambda models: models.upscaler,
        prices=tuple(
            PriceEntry(credits, "project", {"scale_factor": scale, "style.mode": mode})
            for (scale, mode), credits in UPSCALER_PRICES.items()
        ),
        notes="Without DARKROOM_UPSCALER_MODEL every mode uses Lanczos resampling and edge-aware sharpening; "
        "with it, balanced and creative run that super-resolution network.",
    )
)

register(
    ToolSpec(
        slug="image-background-remover",
        project_type="BACKGROUND_REMOVER",
        title="Background Remover",
        request_model=BackgroundRemoverRequest,
        price=lambda request: BACKGROUND_REMOVER_CREDITS,
        input_paths=_background_inputs,
        renderer="darkroom.renderers.background:render",
        price_text=f"{BACKGROUND_REMOVER_CREDITS} credits per image",
        queue=lambda request, models: GPU_QUEUE if models.background is not None else CPU_QUEUE,
        optional_model=lambda models: models.background,
        prices=(PriceEntry(BACKGROUND_REMOVER_CREDITS, "project"),),
        notes="Without DARKROOM_BACKGROUND_MODEL the subject is found by saliency- and face-seeded GrabCut "
        "with alpha matting; with it, by that ONNX model through rembg. A background image is resized to "
        "the input's size.",
    )
)

register(
    ToolSpec(
        slug="ai-image-generator",
        project_type="AI_IMAGE",
        title="Ai Image",
        request_model=ImageGeneratorRequest,
        price=_image_generator_price,
        input_paths=lambda request: {},
        renderer="darkroom.renderers.image_generator:render",
        price_text="credits per image by the requested model, as Magic Hour charges (5 for default), "
        "times image_count",
        queue=lambda request, models: GPU_QUEUE,
        image_count=lambda request: request.image_count,
        required_setting="DARKROOM_IMAGE_MODEL",
        required_model=lambda models: models.image,
        description="a diffusers model folder",
        prices=_image_generator_price_table(),
        notes="Every request renders with the one local diffusers pipeline in DARKROOM_IMAGE_MODEL. `model` "
        "is accepted as Magic Hour names it and sets the price, the allowed image_count and the allowed "
        "resolution; it does not choose the pipeline. Resolutions up to 2k are rendered; 4k is rejected.",
    )
)

# Magic Hour charges 10 credits per face swap photo and nothing for face detection.
FACE_SWAP_PHOTO_CREDITS = 10
FACE_DETECTION_KIND = "face_detection"

register(
    ToolSpec(
        slug="face-detection",
        project_type="FACE_DETECTION",
        title="Face Detection",
        request_model=FaceDetectionRequest,
        price=lambda request: 0,
        input_paths=lambda request: {"assets.target_file_path": request.assets.target_file_path},
        renderer="darkroom.renderers.faces:render_detection",
        price_text="free (0 credits)",
        prices=(PriceEntry(0, "project"),),
        notes="dlib's HOG face detector; each face is cropped to api-assets/<id>/0-<index>.png, counted left "
        "to right. confidence_score (0 to 1) maps to a threshold on the detector's score.",
        image_count=lambda request: 0,
        kind=FACE_DETECTION_KIND,
    )
)

register(
    ToolSpec(
        slug="face-swap-photo",
        project_type="FACE_SWAP",
        title="Face Swap Photo",
        request_model=FaceSwapPhotoRequest,
        price=lambda request: FACE_SWAP_PHOTO_CREDITS,
        input_paths=lambda request: request.input_paths(),
        renderer="darkroom.renderers.face_swap:render",
        price_text=f"{FACE_SWAP_PHOTO_CREDITS} credits per image",
        prices=(PriceEntry(FACE_SWAP_PHOTO_CREDITS, "image"),),
        notes="dlib landmarks, a triangle-by-triangle warp onto the target's face, colour transfer to the "
        "target's skin and Poisson blending. DARKROOM_LANDMARK_MODEL replaces the 68-point landmark model.",
        required_setting="DARKROOM_LANDMARK_MODEL",
        required_model=landmark_model,
        description="an existing dlib 68-point shape predictor file (.dat)",
    )
)


def get_tool(slug: str) -> ToolSpec:
    return TOOLS[slug]
