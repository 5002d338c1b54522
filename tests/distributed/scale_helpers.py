"""Small projects and slow projects for the tests of both configurations."""

import io
from datetime import datetime, timezone

from PIL import Image

from support import OBAMA, upload

UPSCALER = "/v1/ai-image-upscaler"


def small_jpeg(size=(96, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.open(OBAMA).convert("RGB").resize(size).save(buffer, format="JPEG")
    return buffer.getvalue()


def create_upscale(api, file_path: str, scale: int = 2, mode: str = "preserve", **headers) -> str:
    response = api.post(UPSCALER, json={"assets": {"image_file_path": file_path}, "scale_factor": scale,
                                        "style": {"mode": mode}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def create_slow_upscale(api) -> str:
    """A 4x balanced upscale of a 910x1137 photo: seconds of rendering, long enough to act during it."""
    return create_upscale(api, upload(api, OBAMA), scale=4, mode="balanced")


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
