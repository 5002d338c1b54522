"""Request bodies of the tool endpoints, shaped like Magic Hour's, deprecated fields included.

Unknown fields are rejected so that a typo does not silently fall back to a default.
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

MAX_NAME_LENGTH = 1000


class ToolRequest(BaseModel):
    """Base of every create body: `name` is optional and may be null."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=MAX_NAME_LENGTH)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL, and other control characters are never meant in a name.
        if value is not None and any(ord(character) < 32 and character not in "\t" for character in value):
            raise ValueError("name must not contain control characters such as NUL or newlines")
        return value


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpscalerAssets(StrictModel):
    image_file_path: str = Field(min_length=1, max_length=2048)


# Magic Hour's deprecated `style.enhancement` values and the modes they stand for.
ENHANCEMENT_TO_MODE = {"Balanced": "balanced", "Creative": "creative", "Resemblance": "preserve"}


class UpscalerStyle(StrictModel):
    mode: Literal["preserve", "balanced", "creative", "pro"] | None = None
    enhancement: Literal["Balanced", "Creative", "Resemblance"] | None = None
    prompt: str | None = Field(None, max_length=2000)

    def resolved_mode(self) -> str:
        """Return the effective mode: `pro` is Magic Hour's old name for `preserve`; the default is balanced."""
        if self.mode == "pro":
            return "preserve"
        if self.mode:
            return self.mode
        if self.enhancement:
            return ENHANCEMENT_TO_MODE[self.enhancement]
        return "balanced"


class UpscalerRequest(ToolRequest):
    assets: UpscalerAssets
    scale_factor: float
    style: UpscalerStyle | None = None

    @field_validator("scale_factor")
    @classmethod
    def _two_or_four(cls, value: float) -> float:
        if value not in (2, 4):
            raise ValueError(f"scale_factor must be 2 or 4, got {value:g}")
        return value

    @property
    def scale(self) -> int:
        return int(self.scale_factor)

    @property
    def mode(self) -> str:
        return (self.style or UpscalerStyle()).resolved_mode()


class BackgroundRemoverAssets(StrictModel):
    image_file_path: str = Field(min_length=1, max_length=2048)
    background_image_file_path: str | None = Field(None, min_length=1, max_length=2048)


class BackgroundRemoverRequest(ToolRequest):
    assets: BackgroundRemoverAssets


@dataclass(frozen=True)
class ImageModel:
    """One of Magic Hour's image generation models: its price and the options it accepts."""

    credits_per_image: int
    resolutions: tuple[str, ...]
    image_counts: tuple[int, ...]


# Magic Hour's image models as listed in the docstrings of the official Python SDK (magic-hour 0.90.0,
# resources/v1/ai_image_generator/client.py).
# NOTE: Magic Hour quotes each price as "from N credits/image" and publishes no per-resolution table, so
# Darkroom charges N at every resolution; Magic Hour may charge more for 2k.
LIST_1_TO_4 = (1, 2, 3, 4)
LIST_SQUARES = (1, 4, 9, 16)
UP_TO_2K = ("640px", "1k", "2k")
UP_TO_4K = ("640px", "1k", "2k", "4k")
IMAGE_MODELS: dict[str, ImageModel] = {
    "flux-2-klein": ImageModel(5, UP_TO_2K, (1,)),
    "flux-schnell": ImageModel(5, UP_TO_2K, LIST_1_TO_4),
    "gpt-image-2": ImageModel(50, UP_TO_4K, LIST_1_TO_4),
    "gpt-image-2.5-flare": ImageModel(100, UP_TO_4K, LIST_1_TO_4),
    "krea-2": ImageModel(10, ("640px", "1k"), (1,)),
    "nano-banana": ImageModel(50, ("640px", "1k"), LIST_1_TO_4),
    "nano-banana-2": ImageModel(100, UP_TO_4K, LIST_SQUARES),
    "nano-banana-2-lite": ImageModel(50, ("640px", "1k"), LIST_1_TO_4),
    "nano-banana-2.1": ImageModel(50, UP_TO_4K, LIST_SQUARES),
    "nano-banana-pro": ImageModel(150, ("1k", "2k", "4k"), LIST_SQUARES),
    "qwen-image-2.1": ImageModel(10, UP_TO_2K, LIST_1_TO_4),
    "seedream-v4": ImageModel(40, UP_TO_4K, LIST_1_TO_4),
    "seedream-v5-pro": ImageModel(75, UP_TO_2K, LIST_1_TO_4),
    "z-image-turbo": ImageModel(5, UP_TO_2K, LIST_1_TO_4),
}
# Names that stand for another model. Magic Hour's "default" model changes over time and its published
# example charges 5 credits for one image, so Darkroom prices it as z-image-turbo.
IMAGE_MODEL_ALIASES = {"default": "z-image-turbo", "seedream": "seedream-v4"}
# The deprecated `style.quality_mode`, used only when `model` is not given.
QUALITY_MODE_MODELS = {"standard": "z-image-turbo", "pro": "seedream-v4"}
DEFAULT_IMAGE_MODEL = "z-image-turbo"

ImageModelName = Literal[
    "default", "flux-2-klein", "flux-schnell", "gpt-image-2", "gpt-image-2.5-flare", "krea-2", "nano-banana",
    "nano-banana-2", "nano-banana-2-lite", "nano-banana-2.1", "nano-banana-pro", "qwen-image-2.1", "seedream",
    "seedream-v4", "seedream-v5-pro", "z-image-turbo",
]
PromptPreset = Literal[
    "ai-anime-generator", "ai-art-generator", "ai-background-generator", "ai-character-generator",
    "ai-face-generator", "ai-fashion-generator", "ai-icon-generator", "ai-illustration-generator",
    "ai-interior-design-generator", "ai-landscape-generator", "ai-logo-generator", "ai-manga-generator",
    "ai-outfit-generator", "ai-pattern-generator", "ai-photo-generator", "ai-sketch-generator",
    "ai-tattoo-generator", "album-cover-generator", "animated-characters-generator", "architecture-generator",
    "book-cover-generator", "comic-book-generator", "dark-fantasy-ai", "disney-ai-generator",
    "dnd-ai-art-generator", "emoji-generator", "fantasy-map-generator", "general", "graffiti-generator",
    "movie-poster-generator", "optical-illusion-generator", "pokemon-generator",
    "south-park-character-generator", "superhero-generator", "thumbnail-maker",
]

# Pixels on the long side for each `resolution`. The local pipeline renders up to 2k; `auto` is Magic Hour's
# deprecated tier-based choice, rendered at 1k (the Creator tier's resolution).
RESOLUTION_PX = {"640px": 640, "1k": 1024, "2k": 2048}
RENDERED_RESOLUTIONS = tuple(RESOLUTION_PX)
ORIENTATION_TO_ASPECT_RATIO = {"landscape": "16:9", "portrait": "9:16", "square": "1:1"}
MAX_PROMPT_LENGTH = 2000


class ImageGeneratorStyle(StrictModel):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_LENGTH)
    tool: PromptPreset | None = None
    quality_mode: Literal["pro", "standard"] | None = None  # deprecated: use `model`

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("prompt must contain text, got only whitespace")
        return value


class ImageGeneratorRequest(ToolRequest):
    # Field order matters: `image_count` and `resolution` are checked against the model chosen by
    # `model` and `style`, which pydantic validates first.
    model: ImageModelName | None = None
    style: ImageGeneratorStyle
    image_count: int
    aspect_ratio: Literal["16:9", "1:1", "9:16"] | None = None
    orientation: Literal["landscape", "portrait", "square"] | None = None  # deprecated: use aspect_ratio
    resolution: Literal["1k", "2k", "4k", "640px", "auto"] | None = None

    @field_validator("image_count", mode="before")
    @classmethod
    def _not_bool(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"image_count must be a number, got {str(value).lower()}")
        return value

    @field_validator("image_count")
    @classmethod
    def _count_allowed_for_model(cls, value: int, info: ValidationInfo) -> int:
        model = _requested_model(info.data)
        if model is None:
            return value
        allowed = IMAGE_MODELS[model].image_counts
        if value not in allowed:
            raise ValueError(
                f"image_count {value} is not allowed for model {model}; allowed: {', '.join(map(str, allowed))}"
            )
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution_allowed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "auto":
            return value
        model = _requested_model(info.data)
        if model is not None and value not in IMAGE_MODELS[model].resolutions:
            raise ValueError(
                f"resolution {value} is not supported by model {model}; "
                f"supported: {', '.join(IMAGE_MODELS[model].resolutions)}"
            )
        if value not in RENDERED_RESOLUTIONS:
            raise ValueError(
                f"resolution {value} is not supported by this server's local pipeline; "
                f"use one of {', '.join(RENDERED_RESOLUTIONS)}"
            )
        return value

    @property
    def priced_model(self) -> str:
        """Return the Magic Hour model this request is priced as, aliases and quality_mode resolved."""
        return _requested_model({"model": self.model, "style": self.style}) or DEFAULT_IMAGE_MODEL

    @property
    def resolved_aspect_ratio(self) -> str:
        if self.aspect_ratio is not None:
            return self.aspect_ratio
        if self.orientation is not None:
            return ORIENTATION_TO_ASPECT_RATIO[self.orientation]
        return "1:1"

    @property
    def longest_edge_px(self) -> int:
        if self.resolution is None or self.resolution == "auto":
            return RESOLUTION_PX["1k"]
        return RESOLUTION_PX[self.resolution]


def _requested_model(data: dict) -> str | None:
    """Return the model named by `model`, else by the deprecated `style.quality_mode`; None if the data is invalid."""
    if "model" not in data or "style" not in data:
        return None  # `model` or `style` failed validation and has its own error
    if data["model"] is not None:
        return IMAGE_MODEL_ALIASES.get(data["model"], data["model"])
    quality_mode = data["style"].quality_mode
    return QUALITY_MODE_MODELS[quality_mode] if quality_mode else DEFAULT_IMAGE_MODEL
