"""Request bodies of the tool endpoints, shaped like Magic Hour's, deprecated fields included.

Unknown fields are rejected so that a typo does not silently fall back to a default.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
