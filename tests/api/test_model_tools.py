"""Model-backed tools over HTTP, with tiny random models that the tests build: upscaler, background remover, generator."""

import io
import re
import sqlite3

import httpx
import numpy as np
import pytest
from PIL import Image

from support import OBAMA, start_server, upload, wait_for_status
from tiny_models import write_esrgan, write_salient_object_onnx, write_text_to_image_pipeline

GENERATOR_STEPS = 2


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-models")
    return {
        "upscaler": write_esrgan(folder / "esrgan-2x.pth", scale=2),
        "background": write_salient_object_onnx(folder / "salient.onnx", input_side=320),
        "image": write_text_to_image_pipeline(folder / "text-to-image"),
    }


@pytest.fixture(scope="module")
def model_server(tmp_path_factory, tiny_models):
    env = {
        "DARKROOM_UPSCALER_MODEL": str(tiny_models["upscaler"]),
        "DARKROOM_BACKGROUND_MODEL": str(tiny_models["background"]),
        "DARKROOM_IMAGE_MODEL": str(tiny_models["image"]),
        "DARKROOM_IMAGE_STEPS": str(GENERATOR_STEPS),
        "HF_HUB_OFFLINE": "1",
    }
    running = start_server(tmp_path_factory.mktemp("model-server"), workers=1, env=env)
    yield running
    running.stop()


@pytest.fixture
def model_api(model_server):
    with model_server.client() as client:
        yield client


def account_balance(server) -> int:
    with sqlite3.connect(server.data_dir / "darkroom.db") as connection:
        return connection.execute("SELECT balance FROM accounts WHERE name = 'default'").fetchone()[0]


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def downloaded_images(project: dict) -> list[Image.Image]:
    images = []
    for download in project["downloads"]:
        response = httpx.get(download["url"], timeout=60.0)
        response.raise_for_status()
        images.append(Image.open(io.BytesIO(response.content)))
    return images


def tools_by_slug(api) -> dict:
    response = api.get("/v1/tools")
    assert response.status_code == 200, response.text
    return {tool["slug"]: tool for tool in response.json()["data"]}


def generate(api, body: dict) -> dict:
    created = api.post("/v1/ai-image-generator", json=body)
    assert created.status_code == 200, created.text
    project = wait_for_status(api, created.json()["id"])
    assert project["status"] == "complete", project
    return project


# Without models (the shared server).


def test_tools_listing_without_models(api):
    tools = tools_by_slug(api)
    assert set(tools) >= {"ai-image-upscaler", "image-background-remover", "ai-image-generator"}

    generator = tools["ai-image-generator"]
    assert generator["enabled"] is False
    assert "DARKROOM_IMAGE_MODEL" in generator["disabled_reason"]
    assert generator["model_file"] is None
    assert {"credits": 5, "per": "image", "options": {"model": "default"}} in generator["prices"]
    assert {"credits": 150, "per": "image", "options": {"model": "nano-banana-pro"}} in generator["prices"]
    assert "model" in generator["notes"]

    for slug in ("ai-image-upscaler", "image-background-remover"):
        assert tools[slug]["enabled"] is True
        assert tools[slug]["model_file"] is None
        assert tools[slug]["disabled_reason"] is None
    assert tools["image-background-remover"]["prices"] == [{"credits": 5, "per": "project", "options": {}}]
    assert {"credits": 200, "per": "project", "options": {"scale_factor": 4, "style.mode": "creative"}} in (
        tools["ai-image-upscaler"]["prices"]
    )
    assert tools["face-detection"]["prices"] == [{"credits": 0, "per": "project", "options": {}}]
    assert tools["face-swap-photo"]["prices"] == [{"credits": 10, "per": "image", "options": {}}]
    for slug, tool in tools.items():
        assert tool["prices"], f"{slug} lists no prices"
        assert tool["notes"], f"{slug} has no notes"


def test_generator_without_model_is_forbidden_and_free(server, api):
    balance = account_balance(server)
    before = api.get("/v1/image-projects", params={"limit": 100}).json()

    response = api.post("/v1/ai-image-generator", json={"image_count": 1, "style": {"prompt": "a lighthouse"}})
    assert response.status_code == 403, response.text
    assert response.json()["message"] == (
        "ai-image-generator is not enabled: set DARKROOM_IMAGE_MODEL to a diffusers model folder"
    )
    assert account_balance(server) == balance
    assert api.get("/v1/image-projects", params={"limit": 100}).json() == before


# With tiny models.


def test_tools_listing_names_model_files(model_api, tiny_models):
    tools = tools_by_slug(model_api)
    assert tools["ai-image-generator"]["enabled"] is True
    assert tools["ai-image-generator"]["model_file"] == str(tiny_models["image"])
    assert tools["ai-image-upscaler"]["model_file"] == str(tiny_models["upscaler"])
    assert tools["image-background-remover"]["model_file"] == str(tiny_models["background"])


def test_generator_renders_count_and_aspect_ratio(model_server, model_api):
    project = generate(model_api, {
        "image_count": 2, "aspect_ratio": "16:9", "resolution": "640px", "name": None,
        "style": {"prompt": "a red bicycle", "tool": "ai-anime-generator"},
    })
    assert project["type"] == "AI_IMAGE"
    assert project["credits_charged"] == 10  # the default model: 5 credits per image
    assert project["image_count"] == 2
    images = downloaded_images(project)
    assert [image.size for image in images] == [(640, 360), (640, 360)]
    assert not np.array_equal(np.asarray(images[0]), np.asarray(images[1])), "each image has its own noise"

    portrait = generate(model_api, {"image_count": 1, "orientation": "portrait", "resolution": "640px",
                                    "style": {"prompt": "a tall tower"}})
    assert [image.size for image in downloaded_images(portrait)] == [(360, 640)]

    aspect_wins = generate(model_api, {"image_count": 1, "orientation": "portrait", "aspect_ratio": "1:1",
                                       "resolution": "640px", "style": {"prompt": "a square tile"}})
    assert [image.size for image in downloaded_images(aspect_wins)] == [(640, 640)]

    loads = re.findall(r"loaded the image model from", model_server.log())
    assert len(loads) == 1, "the pipeline loads once per render process and stays loaded"


@pytest.mark.parametrize(
    ("options", "credits"),
    [
        ({"model": "seedream-v4", "image_count": 2}, 80),
        ({"model": "seedream", "image_count": 1}, 40),
        ({"model": "nano-banana-2", "image_count": 4}, 400),
        ({"model": "flux-2-klein", "image_count": 1}, 5),
        ({"image_count": 3, "style": {"prompt": "a fox", "quality_mode": "pro"}}, 120),
        ({"image_count": 2.0, "style": {"prompt": "a fox", "quality_mode": "standard"}}, 10),
        ({"model": "default", "image_count": 1, "style": {"prompt": "a fox", "quality_mode": "pro"}}, 5),
    ],
)
def test_generator_charges_magic_hour_price(model_server, model_api, options, credits):
    body = {"style": {"prompt": "a fox"}, "resolution": "640px", **options}
    balance = account_balance(model_server)
    created = model_api.post("/v1/ai-image-generator", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["credits_charged"] == credits
    assert account_balance(model_server) == balance - credits
    model_api.post(f"/v1/image-projects/{created.json()['id']}/cancel")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"image_count": 5}, "image_count", "allowed: 1, 2, 3, 4"),
        ({"image_count": 0}, "image_count", "image_count 0"),
        ({"image_count": True}, "image_count", "true"),
        ({"image_count": 1.5}, "image_count", "1.5"),
        ({"image_count": 2, "model": "flux-2-klein"}, "image_count", "flux-2-klein"),
        ({"image_count": 2, "model": "nano-banana-2"}, "image_count", "1, 4, 9, 16"),
        ({"image_count": 1, "resolution": "4k", "model": "seedream-v4"}, "resolution", "2k"),
        ({"image_count": 1, "resolution": "640px", "model": "nano-banana-pro"}, "resolution", "nano-banana-pro"),
        ({"image_count": 1, "resolution": "8k"}, "resolution", "8k"),
        ({"image_count": 1, "aspect_ratio": "4:3"}, "aspect_ratio", "4:3"),
        ({"image_count": 1, "orientation": "diagonal"}, "orientation", "diagonal"),
        ({"image_count": 1, "model": "dall-e-9"}, "model", "dall-e-9"),
        ({"image_count": 1, "style": {"prompt": "   "}}, "style.prompt", "whitespace"),
        ({"image_count": 1, "style": {"prompt": "x" * 2001}}, "style.prompt", "2000"),
        ({"image_count": 1, "style": {"prompt": "a fox", "tool": "ai-video-generator"}}, "style.tool", "ai-video"),
        ({"image_count": 1, "style": {}}, "style.prompt", "required"),
        ({"image_count": 1, "style": None}, "style", "style"),
        ({"image_count": 1, "seed": 3}, "seed", "not a known field"),
    ],
)
def test_generator_rejects_bad_input(model_server, model_api, body, field, words):
    body = {"style": {"prompt": "a fox"}, **body}
    balance = account_balance(model_server)
    response = model_api.post("/v1/ai-image-generator", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert words in response.json()["message"]
    assert account_balance(model_server) == balance


def test_background_model_cuts_out_bright_subject(model_api):
    # The tiny model scores bright pixels as the subject, so a white disc on black is a known mask.
    canvas = np.zeros((240, 320, 3), dtype=np.uint8)
    rows, columns = np.ogrid[:240, :320]
    disc = (rows - 120) ** 2 + (columns - 160) ** 2 < 70**2
    canvas[disc] = 255
    file_path = upload(model_api, png_bytes(Image.fromarray(canvas)), "png")

    created = model_api.post("/v1/image-background-remover", json={"assets": {"image_file_path": file_path}})
    assert created.status_code == 200, created.text
    assert created.json()["credits_charged"] == 5
    project = wait_for_status(model_api, created.json()["id"])
    assert project["status"] == "complete", project

    alpha = np.asarray(downloaded_images(project)[0].getchannel("A")) > 127
    iou = (alpha & disc).sum() / (alpha | disc).sum()
    assert iou > 0.95, f"IoU with the disc is {iou:.3f}"


def test_upscaler_runs_network_for_balanced_and_creative(model_api, tiny_models):
    import spandrel
    import torch

    source = Image.open(OBAMA).convert("RGB").crop((300, 100, 396, 172))  # 96x72: the face
    file_path = upload(model_api, png_bytes(source), "png")
    network = spandrel.ModelLoader().load_from_file(str(tiny_models["upscaler"])).eval()
    with torch.no_grad():
        tensor = torch.from_numpy(np.asarray(source).copy()).permute(2, 0, 1)[None].float() / 255.0
        expected = (network(tensor)[0].permute(1, 2, 0) * 255.0).round().clamp(0, 255).byte().numpy()

    outputs = {}
    for mode in ("balanced", "creative", "preserve"):
        created = model_api.post("/v1/ai-image-upscaler", json={
            "assets": {"image_file_path": file_path}, "scale_factor": 2, "style": {"mode": mode},
        })
        assert created.status_code == 200, created.text
        project = wait_for_status(model_api, created.json()["id"])
        assert project["status"] == "complete", project
        outputs[mode] = np.asarray(downloaded_images(project)[0].convert("RGB")).astype(int)
        assert outputs[mode].shape == (144, 192, 3)

    assert np.abs(outputs["balanced"] - expected).max() <= 1, "balanced is the network's output"
    assert np.abs(outputs["creative"] - expected).mean() > 0.5, "creative sharpens the network's output"
    assert np.abs(outputs["preserve"] - expected).mean() > 5, "preserve stays with Lanczos resampling"


def test_upscaler_network_reaches_4x_with_2x_weights(model_api):
    source = Image.open(OBAMA).convert("RGB").crop((300, 100, 348, 136))
    created = model_api.post("/v1/ai-image-upscaler", json={
        "assets": {"image_file_path": upload(model_api, png_bytes(source), "png")}, "scale_factor": 4,
        "style": {"mode": "balanced"},
    })
    assert created.status_code == 200, created.text
    assert created.json()["credits_charged"] == 200
    project = wait_for_status(model_api, created.json()["id"])
    assert project["status"] == "complete", project
    assert downloaded_images(project)[0].size == (192, 144)


def test_generator_through_official_sdk(model_server, tmp_path):
    from magic_hour import Client

    client = Client(token=model_server.api_key, base_url=model_server.url)
    result = client.v1.ai_image_generator.generate(
        image_count=1, aspect_ratio="9:16", model="default", resolution="640px", name="sdk image",
        style={"prompt": "a harbour at night", "tool": "ai-landscape-generator"}, download_directory=str(tmp_path),
    )
    assert result.status == "complete"
    assert result.credits_charged == 5
    assert len(result.downloaded_paths) == 1
    assert Image.open(result.downloaded_paths[0]).size == (360, 640)
