"""Inputs and outputs of every renderer. Renderers import nothing of the server, the database or HTTP."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image


class RenderError(Exception):
    """A render failure with one of Magic Hour's error codes; the project ends in `error` with a refund."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class InvalidImageFile(RenderError):
    def __init__(self, message: str):
        super().__init__("invalid_image_file", message)


class FileTooLarge(RenderError):
    def __init__(self, message: str):
        super().__init__("file_too_large", message)


@dataclass(frozen=True)
class ModelPaths:
    """Model files the operator configured; None means the tool runs its built-in renderer or is disabled."""

    upscaler: Path | None = None
    background: Path | None = None
    image: Path | None = None
    landmarks: Path | None = None
    # How the image model runs; None keeps the pipeline's own defaults.
    image_steps: int | None = None
    image_guidance_scale: float | None = None


@dataclass
class RenderContext:
    """The renderer's link to its worker: report progress, look up models, keep loaded models.

    `cache` lives as long as the render process, so a model loaded for one project serves the next.
    """

    models: ModelPaths
    report_progress: Callable[[float], None] = lambda fraction: None
    cache: dict[str, Any] = field(default_factory=dict)

    def progress(self, fraction: float) -> None:
        self.report_progress(min(max(float(fraction), 0.0), 1.0))


@dataclass
class RenderOutput:
    images: list[Image.Image]
    # Data for the project that is not an image to download (face detection's face crops, for example).
    extra_files: dict[str, Image.Image] = field(default_factory=dict)
    result: dict[str, Any] | None = None
