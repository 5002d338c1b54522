"""Face detection over HTTP: create, poll, crops as assets of the account, and bad input."""

import re

import httpx
import pytest
import skimage.data
from PIL import Image

from face_support import (
    SAME_PERSON,
    descriptor,
    distance,
    download_image,
    encode,
    new_account,
    photo,
    portraits_side_by_side,
)
from support import BIDEN, OBAMA, upload, wait_for_status

DETECTION = "/v1/face-detection/"


def detect(api, file_path: str, **fields) -> dict:
    created = api.post("/v1/face-detection", json={"assets": {"target_file_path": file_path}, **fields})
    assert created.status_code == 200, created.text
    return wait_for_status(api, created.json()["id"], path=DETECTION)


def test_detection_crops_faces_left_to_right(api):
    file_path = upload(api, encode(portraits_side_by_side(), "JPEG", quality=92), "jpg")
    created = api.post("/v1/face-detection", json={"assets": {"target_file_path": file_path}, "confidence_score": 0.5})
    assert created.status_code == 200, created.text
    assert set(created.json()) == {"id", "credits_charged"}
    assert created.json()["credits_charged"] == 0
    detection_id = created.json()["id"]

    detection = wait_for_status(api, detection_id, path=DETECTION)
    assert detection["status"] == "complete", detection
    assert detection["id"] == detection_id
    assert detection["credits_charged"] == 0
    paths = [face["path"] for face in detection["faces"]]
    assert paths == [f"api-assets/{detection_id}/0-0.png", f"api-assets/{detection_id}/0-1.png"]

    crops = [download_image(face["url"]) for face in detection["faces"]]
    obama, biden = descriptor(photo(OBAMA)), descriptor(photo(BIDEN))
    assert distance(descriptor(crops[0]), obama) < SAME_PERSON
    assert distance(descriptor(crops[1]), biden) < SAME_PERSON
    for crop in crops:
        assert crop.width == crop.height


def test_detection_of_photo_without_person_finds_none(api):
    file_path = upload(api, encode(Image.fromarray(skimage.data.chelsea()), "PNG"), "png")
    detection = detect(api, file_path)
    assert detection["status"] == "complete", detection
    assert detection["faces"] == []


def test_confidence_score_filters_faces(api):
    file_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    assert len(detect(api, file_path, confidence_score=0.9)["faces"]) == 1
    assert detect(api, file_path, confidence_score=1)["faces"] == []


def test_crop_paths_are_inputs_of_same_account_only(server, api):
    file_path = upload(api, encode(photo(OBAMA, width=455), "JPEG"), "jpg")
    face_path = detect(api, file_path)["faces"][0]["path"]

    upscale = {"assets": {"image_file_path": face_path}, "scale_factor": 2, "style": {"mode": "preserve"}}
    created = api.post("/v1/ai-image-upscaler", json=upscale)
    assert created.status_code == 200, created.text
    assert wait_for_status(api, created.json()["id"])["status"] == "complete"

    other_key = new_account(server, credits=100)
    with server.client(api_key=other_key) as other:
        rejected = other.post("/v1/ai-image-upscaler", json=upscale)
    assert rejected.status_code == 422, rejected.text
    assert face_path in rejected.json()["message"]


def test_detection_hidden_from_image_projects(server, api):
    file_path = upload(api, encode(photo(OBAMA, width=300), "JPEG"), "jpg")
    detection_id = detect(api, file_path)["id"]

    assert api.get(f"/v1/image-projects/{detection_id}").status_code == 404
    assert api.post(f"/v1/image-projects/{detection_id}/cancel").status_code == 404
    assert api.delete(f"/v1/image-projects/{detection_id}").status_code == 404
    listed = api.get("/v1/image-projects", params={"limit": 100}).json()["data"]
    assert detection_id not in {project["id"] for project in listed}
    assert api.get(f"{DETECTION}{detection_id}").json()["status"] == "complete"


def test_detection_replays_idempotency_key(api):
    file_path = upload(api, encode(photo(OBAMA, width=300), "JPEG"), "jpg")
    body = {"assets": {"target_file_path": file_path}}
    first = api.post("/v1/face-detection", json=body, headers={"Idempotency-Key": "detect-once"})
    second = api.post("/v1/face-detection", json=body, headers={"Idempotency-Key": "detect-once"})
    assert first.status_code == 200, first.text
    assert second.json()["id"] == first.json()["id"]
    changed = api.post("/v1/face-detection", json={**body, "confidence_score": 0.9},
                       headers={"Idempotency-Key": "detect-once"})
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["message"]


def test_detection_of_other_account_is_not_found(server, api):
    file_path = upload(api, encode(photo(OBAMA, width=300), "JPEG"), "jpg")
    detection_id = detect(api, file_path)["id"]
    with server.client(api_key=new_account(server, credits=0)) as other:
        response = other.get(f"{DETECTION}{detection_id}")
    assert response.status_code == 404
    assert detection_id in response.json()["message"]
    assert api.get(f"{DETECTION}cl000000000000000000000000").status_code == 404
    assert httpx.get(f"{server.url}{DETECTION}{detection_id}").status_code == 401


def test_detection_of_undecodable_file_ends_in_error(server, api):
    file_path = upload(api, b"\x89PNG\r\n\x1a\n" + bytes(200), "png")
    created = api.post("/v1/face-detection", json={"assets": {"target_file_path": file_path}})
    # The header check at create already rejects it, before a project exists.
    assert created.status_code == 422, created.text
    assert created.json()["field"] == "assets.target_file_path"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "assets"),
        ({"assets": {}}, "assets.target_file_path"),
        ({"assets": {"target_file_path": ""}}, "assets.target_file_path"),
        ({"assets": {"target_file_path": "api-assets/nothing.png"}}, "assets.target_file_path"),
        ({"assets": {"target_file_path": "x.png", "extra": 1}}, "assets.extra"),
        ({"assets": {"target_file_path": "x.png"}, "confidence_score": 1.5}, "confidence_score"),
        ({"assets": {"target_file_path": "x.png"}, "confidence_score": -0.1}, "confidence_score"),
        ({"assets": {"target_file_path": "x.png"}, "confidence_score": "high"}, "confidence_score"),
        ({"assets": {"target_file_path": "file:///etc/passwd"}}, "assets.target_file_path"),
    ],
)
def test_detection_rejects_bad_body(api, body, field):
    response = api.post("/v1/face-detection", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.json()["message"]


def test_official_sdk_detects_and_downloads_faces(server, tmp_path):
    from magic_hour import Client

    target = tmp_path / "pair.jpg"
    target.write_bytes(encode(portraits_side_by_side(height=400), "JPEG"))
    downloads = tmp_path / "faces"
    downloads.mkdir()
    client = Client(token=server.api_key, base_url=server.url)
    result = client.v1.face_detection.generate(
        assets={"target_file_path": str(target)}, confidence_score=0.5, download_directory=str(downloads)
    )
    assert result.status == "complete"
    assert len(result.faces) == 2
    assert all(re.fullmatch(rf"api-assets/{result.id}/0-[01]\.png", face.path) for face in result.faces)
    assert len(result.downloaded_paths) == 2
    for path in result.downloaded_paths:
        assert Image.open(path).format == "PNG"
