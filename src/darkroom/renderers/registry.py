"""The tool catalog: for each endpoint, its request body, price, project type, queue and renderer.

The API reads this to validate and charge; workers read it to find the render function. Render
functions are named by import path so that the API process never imports OpenCV, dlib or torch.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from darkroom.renderers.base import ModelPaths, RenderContext, RenderOutput
from darkroom.renderers.face_model_files import landmark_model
from darkroom.wire.faces import FaceDetectionRequest, FaceSwapPhotoRequest
from darkroom.wire.tools import ToolRequest, UpscalerRequest

CPU_QUEUE = "cpu"
GPU_QUEUE = "gpu"

RenderFunction = Callable[[dict[str, Any], Any, RenderContext], RenderOutput]


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
    required_model: Callable[[ModelPaths], object] | None = None
    kind: str = "image"
    description: str = ""

    def disabled_reason(self, models: ModelPaths) -> str | None:
        """Return why the tool is disabled here, naming the setting that enables it; None when enabled."""
        if self.required_model is None or self.required_model(models) is not None:
            return None
        return f"{self.slug} is not enabled: set {self.required_setting} to {self.description}"

    def model_file(self, models: ModelPaths) -> str | None:
        if self.required_model is None:
            return None
        path = self.required_model(models)
        return str(path) if path is not None else None

    def load_renderer(self) -> RenderFunction:
        module_name, function_name = self.renderer.split(":")
        return getattr(importlib.import_module(module_name), function_name)


UPSCALER_PRICES = {(2, "preserve"): 25, (2, "balanced"): 50, (2, "creative"): 50,
                   (4, "preserve"): 100, (4, "balanced"): 200, (4, "creative"): 200}


def _upscaler_queue(request: UpscalerRequest, models: ModelPaths) -> str:
    if models.upscaler is not None and request.mode != "preserve":
        return GPU_QUEUE
    return CPU_QUEUE


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
        input_paths=lambda request: {"image": request.assets.image_file_path},
        renderer="darkroom.renderers.upscaler:render",
        price_text="2x: 25 credits (preserve), 50 (balanced, creative); 4x: 100 (preserve), 200 (balanced, creative)",
        queue=_upscaler_queue,
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
        required_setting="DARKROOM_LANDMARK_MODEL",
        required_model=landmark_model,
        description="an existing dlib 68-point shape predictor file (.dat)",
    )
)


def get_tool(slug: str) -> ToolSpec:
    return TOOLS[slug]
