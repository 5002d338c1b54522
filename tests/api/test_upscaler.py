"""POST /v1/ai-image-upscaler: Magic Hour's body, prices, output size and input checks."""

import pytest

from imaging import decode, jpeg_with_orientation, png_of_size, truncated_jpeg
from support import BIDEN, OBAMA, upload, wait_for_status

import httpx


def balance(api) -> int:
    return api.get("/v1/account").json()["credits"]


@pytest.fixture(scope="module")
def obama_path(server):
    with server.client() as client:
        return upload(client, OBAMA)


@pytest.mark.parametrize(
    "scale_factor, style, price",
    [
        (2, {"mode": "preserve"}, 25),
        (2, {"mode": "balanced"}, 50),
        (2, {"mode": "creative"}, 50),
        (2.0, None, 50),
        (4, {"mode": "preserve"}, 100),
        (4, {"mode": "balanced"}, 200),
        (4.0, {"mode": "creative"}, 200),
        (2, {"enhancement": "Resemblance"}, 25),
        (2, {"enhancement": "Balanced"}, 50),
        (4, {"enhancement": "Creative"}, 200),
        (2, {"mode": "pro"}, 25),
    ],
)
def test_upscaler_price_matches_magic_hour(api, obama_path, scale_factor, style, price):
    body = {"assets": {"image_file_path": obama_path}, "scale_factor": scale_factor, "name": None}
    if style is not None:
        body["style"] = style
    before = balance(api)

    response = api.post("/v1/ai-image-upscaler", json=body)

    assert response.status_code == 200, response.text
    assert response.json()["credits_charged"] == price
    assert response.json()["frame_cost"] == price
    assert balance(api) == before - price
    api.delete(f"/v1/image-projects/{response.json()['id']}")


def test_upscaler_keeps_given_name(api, obama_path):
    response = api.post("/v1/ai-image-upscaler",
                        json={"assets": {"image_file_path": obama_path}, "scale_factor": 2, "name": "portrait 2x"})
    project = api.get(f"/v1/image-projects/{response.json()['id']}").json()
    assert project["name"] == "portrait 2x"
    assert project["type"] == "IMAGE_UPSCALER"


def test_upscaler_default_name_names_tool(api, obama_path):
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": obama_path}, "scale_factor": 2})
    project = api.get(f"/v1/image-projects/{response.json()['id']}").json()
    assert project["name"].startswith("Image Upscaler - ")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"scale_factor": 3}, "scale_factor"),
        ({"scale_factor": "two"}, "scale_factor"),
        ({"scale_factor": 2, "style": {"mode": "fast"}}, "style.mode"),
        ({"scale_factor": 2, "style": {"enhancement": "Sharp"}}, "style.enhancement"),
        ({"scale_factor": 2, "colour": "red"}, "colour"),
    ],
)
def test_upscaler_rejects_invalid_body(api, obama_path, body, field):
    before = balance(api)
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": obama_path}, **body})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert field.split(".")[-1] in response.json()["message"]
    assert balance(api) == before


def test_upscaler_names_scale_factor_value(api, obama_path):
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": obama_path}, "scale_factor": 3})
    assert response.json()["message"] == "scale_factor must be 2 or 4, got 3"


def test_upscaler_rejects_missing_assets(api):
    response = api.post("/v1/ai-image-upscaler", json={"scale_factor": 2})
    assert response.status_code == 422
    assert response.json()["message"] == "assets is required"


def test_upscaler_output_is_exact_multiple(api):
    file_path = upload(api, BIDEN)
    response = api.post("/v1/ai-image-upscaler",
                        json={"assets": {"image_file_path": file_path}, "scale_factor": 2, "style": {"mode": "preserve"}})
    project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "complete", project
    image = decode(httpx.get(project["downloads"][0]["url"]).content)
    assert image.size == (970 * 2, 2204 * 2)


def test_upscaler_applies_exif_orientation(api):
    # Orientation 6 means "rotate 90 degrees clockwise to view": the stored 910x1137 becomes 1137x910.
    file_path = upload(api, jpeg_with_orientation(OBAMA, 6), "jpg")
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    project = wait_for_status(api, response.json()["id"])
    image = decode(httpx.get(project["downloads"][0]["url"]).content)
    assert image.size == (1137 * 2, 910 * 2)


def test_upscaler_rejects_oversized_upload_before_charging(api):
    file_path = upload(api, png_of_size(4097, 300), "png")
    before = balance(api)
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "assets.image_file_path"
    assert "4097x300" in response.json()["message"]
    assert "4096x4096" in response.json()["message"]
    assert balance(api) == before


def test_upscaler_accepts_largest_allowed_side(api):
    file_path = upload(api, png_of_size(4096, 16), "png")
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    assert response.status_code == 200, response.text
    project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "complete"


def test_undecodable_input_ends_in_error_with_refund(api):
    # The header is intact, so the create is accepted; decoding fails in the worker.
    file_path = upload(api, truncated_jpeg(OBAMA, 0.3), "jpg")
    before = balance(api)
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    assert response.status_code == 200, response.text
    assert balance(api) == before - 50

    project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "error"
    assert project["error"]["code"] == "invalid_image_file"
    assert project["error"]["message"]
    assert project["credits_charged"] == 0
    assert project["total_frame_cost"] == 0
    assert project["downloads"] == []
    assert balance(api) == before


def test_file_path_of_unknown_upload_is_rejected(api):
    response = api.post("/v1/ai-image-upscaler",
                        json={"assets": {"image_file_path": "api-assets/nothing-here.png"}, "scale_factor": 2})
    assert response.status_code == 422
    assert response.json()["field"] == "assets.image_file_path"
    assert "upload-urls" in response.json()["message"]


def test_file_path_before_upload_is_rejected(api):
    reply = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "png"}]})
    file_path = reply.json()["items"][0]["file_path"]
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    assert response.status_code == 422
    assert "not been uploaded" in response.json()["message"]


def test_upload_that_is_not_an_image_is_rejected(api):
    file_path = upload(api, b"this is plain text, not a picture", "png")
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    assert response.status_code == 422
    assert "not an image" in response.json()["message"]
