"""Small projects and slow projects for the tests of both configurations."""

import io
import time
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


def wait_for_render_progress(api, project_id: str, timeout_s: float = 120.0) -> dict:
    """Wait until the render process reports progress, which it does only once it has the project's inputs."""
    deadline = time.monotonic() + timeout_s
    body = {}
    while time.monotonic() < deadline:
        body = api.get(f"/v1/image-projects/{project_id}").json()
        if body["status"] == "rendering" and body["progress"] > 0:
            return body
        time.sleep(0.05)
    raise AssertionError(f"project {project_id} reported no render progress after {timeout_s} s: {body}")
