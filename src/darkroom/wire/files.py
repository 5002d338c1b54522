"""Upload URLs: `POST /v1/files/upload-urls`."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The image extensions Magic Hour accepts for uploads.
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "jfif", "heic", "heif", "webp", "avif", "jp2", "tiff", "tif", "bmp")
MAX_UPLOAD_ITEMS = 10


class UploadUrlRequestItem(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: Literal["image", "video", "audio"]
    extension: str

    @field_validator("type")
    @classmethod
    def _image_type(cls, value: str) -> str:
        if value != "image":
            raise ValueError(f"type {value!r} is not supported: Darkroom renders images only, so use 'image'")
        return value

    @field_validator("extension")
    @classmethod
    def _known_extension(cls, value: str) -> str:
        extension = value.lower().lstrip(".")
        if extension not in IMAGE_EXTENSIONS:
            raise ValueError(f"extension {value!r} is not supported; use one of {', '.join(IMAGE_EXTENSIONS)}")
        return extension


class UploadUrlsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[UploadUrlRequestItem] = Field(min_length=1, max_length=MAX_UPLOAD_ITEMS)


class UploadUrlItem(BaseModel):
    upload_url: str
    expires_at: str
    file_path: str


class UploadUrlsResponse(BaseModel):
    items: list[UploadUrlItem]
