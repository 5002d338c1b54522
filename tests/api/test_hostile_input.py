"""Hostile and malformed input: a clear 4xx or a project error with the right code, never a 500 or a charge."""

import struct
import zlib

import httpx
import pytest

from imaging import truncated_jpeg
from support import OBAMA, upload, wait_for_status


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims width x height pixels: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def credits(api) -> int:
    return api.get("/v1/account").json()["credits"]


def create(api, image_file_path: str, **extra):
    return api.post("/v1/ai-image-upscaler",
                    json={"assets": {"image_file_path": image_file_path}, "scale_factor": 2, **extra})


def test_decompression_bomb_refused_before_decoding(api):
    file_path = upload(api, png_declaring(100_000, 100_000), "png")
    before = credits(api)
    response = create(api, file_path)
    assert response.status_code == 422
    assert "pixels" in response.json()["message"]
    assert credits(api) == before


def test_bomb_just_over_side_limit_is_refused(api):
    file_path = upload(api, png_declaring(3000, 5000), "png")
    response = create(api, file_path)
    assert response.status_code == 422
    assert "3000x5000" in response.json()["message"]


@pytest.mark.parametrize("path", [
    "api-assets/../secret.key",
    "api-assets/../../etc/passwd",
    "api-assets//x.png",
    "/etc/passwd",
    "file:///etc/passwd",
    "ftp://127.0.0.1/x.png",
    "api-assets/x.png\x00.jpg",
    "",
])
def test_path_outside_uploads_is_refused(api, path):
    before = credits(api)
    response = create(api, path)
    assert response.status_code == 422, response.text
    assert response.json()["field"].endswith("image_file_path")
    assert credits(api) == before


def test_other_accounts_upload_is_refused_like_unknown(server, api):
    other_key = server.new_account(name="intruder")
    victim_path = upload(api, OBAMA)
    with server.client(api_key=other_key) as intruder:
        response = create(intruder, victim_path)
        unknown = create(intruder, "api-assets/cdoesnotexist00000000000000.jpg")
    assert response.status_code == 422
    assert response.json()["message"].replace(victim_path, "X") == \
        unknown.json()["message"].replace("api-assets/cdoesnotexist00000000000000.jpg", "X")


def test_truncated_jpeg_ends_in_invalid_image_file(api):
    file_path = upload(api, truncated_jpeg(OBAMA, 0.5), "jpg")
    project = wait_for_status(api, create(api, file_path).json()["id"])
    assert project["status"] == "error"
    assert project["error"]["code"] == "invalid_image_file"


def test_jpeg_cut_inside_its_header_is_refused(api):
    file_path = upload(api, OBAMA.read_bytes()[:40], "jpg")
    response = create(api, file_path)
    assert response.status_code == 422


@pytest.mark.parametrize("content, status", [
    (b"{not json", 400),
    (b"\xff\xfe\x00garbage", 400),
    (b"[1, 2, 3]", 422),
    (b'"just a string"', 422),
    (b"null", 422),
    (b"", 422),
])
def test_malformed_bodies(api, content, status):
    response = api.post("/v1/ai-image-upscaler", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["message"]


@pytest.mark.parametrize("body, field", [
    ({"assets": {"image_file_path": 12}, "scale_factor": 2}, "assets.image_file_path"),
    ({"assets": "api-assets/x.png", "scale_factor": 2}, "assets"),
    ({"assets": {"image_file_path": "x"}, "scale_factor": [2]}, "scale_factor"),
    ({"assets": {"image_file_path": "x"}, "scale_factor": 1e308}, "scale_factor"),
    ({"assets": {"image_file_path": "x"}, "scale_factor": 2, "name": 5}, "name"),
    ({"assets": {"image_file_path": "x", "mask": "y"}, "scale_factor": 2}, "assets.mask"),
    ({"assets": {"image_file_path": "x"}, "scale_factor": 2, "name": "x" * 1001}, "name"),
    ({"assets": {"image_file_path": "x"}, "scale_factor": 2, "name": "bad\x00name"}, "name"),
])
def test_wrong_types_and_unknown_fields_name_the_field(api, body, field):
    before = credits(api)
    response = api.post("/v1/ai-image-upscaler", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert credits(api) == before


def test_body_over_size_limit_is_413(api):
    before = credits(api)
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = api.post("/v1/ai-image-upscaler", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "limit" in response.json()["message"]
    assert credits(api) == before


def test_body_over_size_limit_without_length_is_413(server):
    def chunks():
        for _ in range(64):
            yield b"x" * 65536

    response = httpx.post(f"{server.url}/v1/ai-image-upscaler", content=chunks(),
                          headers={"Authorization": f"Bearer {server.api_key}", "Content-Type": "application/json"})
    assert response.status_code == 413


def test_non_ascii_name_round_trips(api):
    file_path = upload(api, OBAMA)
    name = "Porträt 東京 🎞 — ünïcödé"
    project_id = create(api, file_path, name=name).json()["id"]
    assert api.get(f"/v1/image-projects/{project_id}").json()["name"] == name


@pytest.mark.parametrize("project_id", ["%00", "..%2F..%2Fetc", "x" * 500, "DROP TABLE projects"])
def test_odd_project_ids_are_404(api, project_id):
    response = api.get(f"/v1/image-projects/{project_id}")
    assert response.status_code == 404
    assert response.json()["message"]


def test_unknown_query_parameter_is_422(api):
    response = api.get("/v1/image-projects", params={"limt": 5})
    assert response.status_code == 422
    assert response.json()["field"] == "limt"
    assert "limit" in response.json()["message"]


def test_misspelt_field_leads_the_message(api):
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": "x"}, "scale_facter": 2})
    assert response.status_code == 422
    assert response.json()["field"] == "scale_facter"
    assert response.json()["message"] == "scale_facter is not a known field"
    assert {"field": "scale_factor", "message": "scale_factor is required"} in response.json()["errors"]


def test_body_without_json_content_type_is_explained(api):
    response = api.post("/v1/ai-image-upscaler", content=b'{"scale_factor": 2}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["message"]


def test_encoded_slash_in_id_is_404(api, server):
    file_path = upload(api, OBAMA)
    project_id = create(api, file_path).json()["id"]
    # Without the guard, the router decodes %2F and this id would reach the events stream route.
    response = httpx.get(f"{server.url}/v1/image-projects/{project_id}%2Fevents",
                         headers={"Authorization": f"Bearer {server.api_key}"}, timeout=10)
    assert response.status_code == 404
    assert "%2F" in response.json()["message"]
