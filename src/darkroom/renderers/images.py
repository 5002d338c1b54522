"""Decoding and encoding of images. Every decode error becomes `invalid_image_file` here, in one place."""

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # HEIC/HEIF inputs are then rejected as unknown formats.
    pass

from darkroom.renderers.base import FileTooLarge, InvalidImageFile

# Formats Pillow may open: the decoders behind Magic Hour's accepted extensions.
ALLOWED_FORMATS = {"PNG", "JPEG", "MPO", "WEBP", "TIFF", "BMP", "DIB", "HEIF", "AVIF", "JPEG2000"}


@dataclass(frozen=True)
class ImageLimits:
    max_side: int = 4096
    max_pixels: int = 8192 * 8192


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def probe(source: str | Path | BinaryIO | bytes, limits: ImageLimits) -> ImageInfo:
    """Read only the header: format and size after EXIF rotation. Raise before any pixel is decoded."""
    with _open(source) as image:
        width, height = image.size
        if _exif_orientation(image) in (5, 6, 7, 8):
            width, height = height, width
        _check_size(width, height, limits)
        return ImageInfo(format=image.format or "", width=width, height=height)


def load(source: str | Path | BinaryIO | bytes, limits: ImageLimits) -> Image.Image:
    """Decode an image upright (EXIF orientation applied) as 8-bit RGB, or RGBA when it has transparency."""
    with _open(source) as image:
        _check_size(*image.size, limits)
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            return _to_8bit_rgb_or_rgba(upright)
        except (OSError, ValueError, SyntaxError) as error:
            raise InvalidImageFile(f"the image could not be decoded: {error}") from error


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _open(source: str | Path | BinaryIO | bytes) -> Image.Image:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            # Size is checked against our own limits; Pillow's bomb warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
    except Image.DecompressionBombError as error:
        raise FileTooLarge(f"the image declares too many pixels: {error}") from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise InvalidImageFile("the file is not an image in a supported format") from error
    if image.format not in ALLOWED_FORMATS:
        image.close()
        raise InvalidImageFile(f"image format {image.format} is not supported")
    return image


def _check_size(width: int, height: int, limits: ImageLimits) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImageFile(f"the image has an invalid size {width}x{height}")
    if width * height > limits.max_pixels:
        raise FileTooLarge(
            f"the image declares {width}x{height} pixels, more than the limit of {limits.max_pixels} pixels"
        )
    if width > limits.max_side or height > limits.max_side:
        raise FileTooLarge(
            f"the image is {width}x{height}; the maximum is {limits.max_side}x{limits.max_side} pixels"
        )


def _exif_orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except (OSError, ValueError, TypeError):
        return 1


def _to_8bit_rgb_or_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit and 32-bit grayscale: scale to 8 bits rather than clip.
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "F":
        image = Image.fromarray(np.clip(np.asarray(image), 0, 255).astype(np.uint8), mode="L")

    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ) or (image.mode in ("L", "RGB") and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")
