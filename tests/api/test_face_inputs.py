"""Face tools on inputs as phones and editors write them: EXIF rotation, grayscale, alpha, palettes, 16 bits."""

import io
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from face_support import changed_pixels, download_image, encode, face_boxes, outside, photo, rgb
from support import BIDEN, OBAMA, upload, wait_for_status

# Small copies keep these tests fast; the decoding, not the size, is under test.
TARGET = photo(OBAMA, width=364)
SOURCE = photo(BIDEN, width=300)


@dataclass(frozen=True)
class Sample:
    content: bytes
    extension: str
    output_mode: str  # the mode the swapped image must have


def _exif_rotated_jpeg() -> bytes:
    # Orientation 6: the stored pixels are turned 90 degrees counterclockwise and a viewer turns them back.
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(TARGET.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif.tobytes())


def _rgba() -> Image.Image:
    """Return the target with an alpha channel that fades out towards the left and right edges."""
    alpha = np.tile(np.minimum(np.arange(TARGET.width), np.arange(TARGET.width)[::-1]), (TARGET.height, 1))
    image = TARGET.copy()
    image.putalpha(Image.fromarray(np.clip(alpha * 4, 0, 255).astype(np.uint8)))
    return image


def _png_16_bit() -> bytes:
    # Pillow writes no 16-bit RGB PNG, so OpenCV does (it expects BGR order).
    pixels = rgb(TARGET)[..., ::-1].astype(np.uint16) * 257
    return cv2.imencode(".png", pixels)[1].tobytes()


SAMPLES = {
    "exif-rotated-jpeg": lambda: Sample(_exif_rotated_jpeg(), "jpg", "RGB"),
    "grayscale-png": lambda: Sample(encode(TARGET.convert("L"), "PNG"), "png", "L"),
    "grayscale-jpeg": lambda: Sample(encode(TARGET.convert("L"), "JPEG", quality=95), "jpg", "L"),
    "rgba-png": lambda: Sample(encode(_rgba(), "PNG"), "png", "RGBA"),
    "grayscale-alpha-png": lambda: Sample(encode(_rgba().convert("LA"), "PNG"), "png", "LA"),
    "palette-png": lambda: Sample(encode(TARGET.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"), "png", "RGB"),
    "16-bit-png": lambda: Sample(_png_16_bit(), "png", "RGB"),
    "webp": lambda: Sample(encode(TARGET, "WEBP", quality=95), "webp", "RGB"),
    "tiff": lambda: Sample(encode(TARGET, "TIFF"), "tiff", "RGB"),
    "bmp": lambda: Sample(encode(TARGET, "BMP"), "bmp", "RGB"),
}


def upright(content: bytes) -> Image.Image:
    """Decode `content` as a viewer shows it, independently of Darkroom's decoder."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(content)))
    if image.mode == "I;16":
        image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    return image


def test_exif_sample_needs_its_rotation():
    """Without its EXIF rotation the stored picture lies on its side, and dlib finds no face in it."""
    stored = Image.open(io.BytesIO(SAMPLES["exif-rotated-jpeg"]().content))
    assert stored.size == (TARGET.height, TARGET.width)
    assert face_boxes(stored) == []
    assert len(face_boxes(upright(SAMPLES["exif-rotated-jpeg"]().content))) == 1


@pytest.mark.parametrize("name", SAMPLES)
def test_detection_reads_input_format(api, name):
    sample = SAMPLES[name]()
    file_path = upload(api, sample.content, sample.extension)
    created = api.post("/v1/face-detection", json={"assets": {"target_file_path": file_path}})
    assert created.status_code == 200, created.text
    detection = wait_for_status(api, created.json()["id"], path="/v1/face-detection/")
    assert detection["status"] == "complete", detection
    assert len(detection["faces"]) == 1


@pytest.mark.parametrize("name", SAMPLES)
def test_swap_renders_input_format(api, name):
    sample = SAMPLES[name]()
    created = api.post("/v1/face-swap-photo", json={"assets": {
        "source_file_path": upload(api, encode(SOURCE, "JPEG"), "jpg"),
        "target_file_path": upload(api, sample.content, sample.extension),
    }})
    assert created.status_code == 200, created.text
    project = wait_for_status(api, created.json()["id"])
    assert project["status"] == "complete", project
    output = download_image(project["downloads"][0]["url"])

    expected = upright(sample.content)
    assert output.size == expected.size == TARGET.size
    assert output.mode == sample.output_mode
    if sample.output_mode in ("RGBA", "LA"):
        assert np.array_equal(np.asarray(output.getchannel("A")), np.asarray(expected.getchannel("A")))

    face = face_boxes(expected.convert("RGB"))[0]
    away_from_face = outside(face, (expected.height, expected.width), 0.35)
    assert not changed_pixels(expected, output)[away_from_face].any()
    inside_face = ~outside(face, (expected.height, expected.width), 0.0)
    assert changed_pixels(expected, output, tolerance=10)[inside_face].mean() > 0.2


def test_swap_reads_source_formats(api):
    """The source side goes through the same decoder: an EXIF-rotated source still gives its face."""
    exif = Image.Exif()
    exif[0x0112] = 8  # the stored pixels are turned 90 degrees clockwise
    rotated_source = encode(SOURCE.transpose(Image.Transpose.ROTATE_270), "JPEG", quality=95, exif=exif.tobytes())
    created = api.post("/v1/face-swap-photo", json={"assets": {
        "source_file_path": upload(api, rotated_source, "jpg"),
        "target_file_path": upload(api, encode(TARGET, "PNG"), "png"),
    }})
    assert created.status_code == 200, created.text
    project = wait_for_status(api, created.json()["id"])
    assert project["status"] == "complete", project
