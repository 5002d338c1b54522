"""Test images built from the real photos: rotated, re-encoded, oversized, broken."""

import io
from pathlib import Path

from PIL import Image

EXIF_ORIENTATION = 0x0112


def jpeg_with_orientation(source: Path, orientation: int) -> bytes:
    """Return the photo as a JPEG whose EXIF orientation tag rotates it for display (6: 90 degrees clockwise)."""
    image = Image.open(source).convert("RGB")
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def png_of_size(width: int, height: int, color=(120, 80, 40)) -> bytes:
    """A flat PNG: tiny on disk whatever its pixel size, so size limits are tested cheaply."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def truncated_jpeg(source: Path, keep_fraction: float = 0.5) -> bytes:
    """The photo's JPEG cut off part way: its header is intact, its pixel data is not."""
    data = source.read_bytes()
    return data[: int(len(data) * keep_fraction)]


def decode(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image
