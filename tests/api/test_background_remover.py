"""POST /v1/image-background-remover with the built-in renderer: cut-out quality, new backgrounds, bad input."""

import io
import sqlite3

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image

from pasted_subject import pasted_on_coffee
from support import BIDEN, upload, wait_for_status

MIN_SUBJECT_IOU = 0.85


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def download_image(project: dict) -> Image.Image:
    response = httpx.get(project["downloads"][0]["url"], timeout=60.0)
    response.raise_for_status()
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def account_balance(server) -> int:
    with sqlite3.connect(server.data_dir / "darkroom.db") as connection:
        return connection.execute("SELECT balance FROM accounts WHERE name = 'default'").fetchone()[0]


def remove_background(api, assets: dict) -> dict:
    created = api.post("/v1/image-background-remover", json={"assets": assets})
    assert created.status_code == 200, created.text
    assert created.json()["credits_charged"] == 5
    assert created.json()["frame_cost"] == 5
    return wait_for_status(api, created.json()["id"])


def test_remover_keeps_pasted_subject(api):
    composite, truth = pasted_on_coffee()
    project = remove_background(api, {"image_file_path": upload(api, png_bytes(composite), "png")})
    assert project["status"] == "complete", project
    assert project["type"] == "BACKGROUND_REMOVER"
    assert project["name"].startswith("Background Remover - ")

    result = download_image(project)
    assert result.format == "PNG"
    assert result.mode == "RGBA"
    assert result.size == composite.size
    subject_pixels = np.asarray(result.getchannel("A")) > 127
    iou = (subject_pixels & truth).sum() / (subject_pixels | truth).sum()
    assert iou >= MIN_SUBJECT_IOU, f"IoU of alpha > 0.5 with the pasted subject is {iou:.3f}"


def test_remover_puts_subject_on_new_background(api):
    composite, truth = pasted_on_coffee()
    project = remove_background(api, {
        "image_file_path": upload(api, png_bytes(composite), "png"),
        "background_image_file_path": upload(api, BIDEN.read_bytes(), "jpg"),
    })
    assert project["status"] == "complete", project

    result = np.asarray(download_image(project).convert("RGBA")).astype(np.float32)
    assert result.shape[:2] == truth.shape
    assert (result[..., 3] == 255).all(), "a new background leaves no transparent pixel"

    # BIDEN is a tall photo on a wide input: it is resized to the input's size, whole.
    backdrop = Image.open(BIDEN).convert("RGB")
    expected_backdrop = np.asarray(backdrop.resize(composite.size, Image.Resampling.LANCZOS))
    far_from_subject = cv2.dilate(truth.astype(np.uint8), np.ones((41, 41), np.uint8)) == 0
    backdrop_error = np.abs(result[..., :3][far_from_subject] - expected_backdrop[far_from_subject]).mean()
    assert backdrop_error < 10, f"mean error against the resized background is {backdrop_error:.1f}"

    core = cv2.erode(truth.astype(np.uint8), np.ones((21, 21), np.uint8)) == 1
    subject_error = np.abs(result[..., :3][core] - np.asarray(composite, dtype=np.float32)[core]).mean()
    assert subject_error < 10, f"mean error inside the subject is {subject_error:.1f}"


def test_remover_handles_flat_and_tiny_images(api):
    for image in (Image.new("RGB", (300, 200), (120, 130, 140)), Image.new("RGB", (1, 1), (255, 0, 0)),
                  Image.new("RGBA", (40, 30), (0, 0, 0, 0))):
        project = remove_background(api, {"image_file_path": upload(api, png_bytes(image), "png")})
        assert project["status"] == "complete", project
        result = download_image(project)
        assert result.size == image.size
        assert result.mode == "RGBA"


def test_remover_through_official_sdk(server, tmp_path):
    from magic_hour import Client

    composite, _ = pasted_on_coffee()
    local_file = tmp_path / "portrait.png"
    composite.save(local_file)
    client = Client(token=server.api_key, base_url=server.url)
    result = client.v1.image_background_remover.generate(
        assets={"image_file_path": str(local_file)}, name="sdk cut-out", download_directory=str(tmp_path),
    )
    assert result.status == "complete"
    assert result.credits_charged == 5
    assert len(result.downloaded_paths) == 1
    assert Image.open(result.downloaded_paths[0]).mode == "RGBA"


@pytest.mark.parametrize(
    ("assets", "extra", "field"),
    [
        (None, {}, "assets"),
        ({}, {}, "assets.image_file_path"),
        ({"image_file_path": ""}, {}, "assets.image_file_path"),
        ({"image_file_path": "api-assets/nobody/1.png"}, {}, "assets.image_file_path"),
        ({"image_file_path": "https://"}, {}, "assets.image_file_path"),
        ({"image_file_path": "UPLOADED", "background_image_file_path": "api-assets/x/../y.png"}, {},
         "assets.background_image_file_path"),
        ({"image_file_path": "UPLOADED", "background_image_file_path": None, "mask_file_path": "x"}, {},
         "assets.mask_file_path"),
        ({"image_file_path": "UPLOADED"}, {"name": "n" * 1001}, "name"),
        ({"image_file_path": 12}, {}, "assets.image_file_path"),
    ],
)
def test_remover_rejects_bad_input(server, api, assets, extra, field):
    uploaded = upload(api, png_bytes(Image.new("RGB", (8, 8))), "png")
    if assets is not None:
        assets = {key: (uploaded if value == "UPLOADED" else value) for key, value in assets.items()}
    body = {**({"assets": assets} if assets is not None else {}), **extra}
    balance = account_balance(server)

    response = api.post("/v1/image-background-remover", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert field.rsplit(".", 1)[-1] in response.json()["message"]
    assert account_balance(server) == balance
