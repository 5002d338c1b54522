"""Signed URLs: uploads and downloads return 200 directly, expire, and reject tampering."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from support import OBAMA, upload, wait_for_status

ALLOWED = "png, jpg, jpeg, jfif, heic, heif, webp, avif, jp2, tiff, tif, bmp"


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture(scope="module")
def download_url(server):
    with server.client() as client:
        file_path = upload(client, OBAMA)
        created = client.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
        return wait_for_status(client, created.json()["id"])["downloads"][0]["url"]


def test_download_answers_200_without_redirect(download_url):
    response = httpx.get(download_url, follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"


@pytest.mark.parametrize("change", [{"signature": "0" * 64}, {"expires": "9999999999"}, {"expires": "soon"}])
def test_tampered_download_is_403(download_url, change):
    response = httpx.get(with_query(download_url, **change))
    assert response.status_code == 403
    assert "signature" in response.json()["message"]


def test_signature_for_other_file_is_403(download_url):
    assert httpx.get(download_url.replace("-0.png", "-1.png")).status_code == 403


def test_download_url_expires(fresh_server):
    server = fresh_server(env={"DARKROOM_DOWNLOAD_URL_TTL_S": "2"})
    with server.client() as api:
        file_path = upload(api, OBAMA)
        created = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
        project = wait_for_status(api, created.json()["id"])
    url = project["downloads"][0]["url"]
    assert httpx.get(url).status_code == 200
    time.sleep(3)
    assert httpx.get(url).status_code == 403


def test_upload_url_expires(fresh_server):
    server = fresh_server(env={"DARKROOM_UPLOAD_URL_TTL_S": "1"})
    with server.client() as api:
        item = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "jpg"}]}).json()["items"][0]
    time.sleep(2.5)
    response = httpx.put(item["upload_url"], content=OBAMA.read_bytes())
    assert response.status_code == 403


def test_upload_urls_answer_in_request_order(api):
    extensions = ["png", "jpg", "webp"]
    reply = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": e} for e in extensions]})
    assert reply.status_code == 200
    items = reply.json()["items"]
    assert [item["file_path"].rsplit(".", 1)[1] for item in items] == extensions
    assert all(item["file_path"].startswith("api-assets/") for item in items)
    assert all(item["expires_at"].endswith("Z") for item in items)


@pytest.mark.parametrize("extension", ["gif", "mp4", "exe", ""])
def test_upload_url_rejects_other_extensions(api, extension):
    reply = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": extension}]})
    assert reply.status_code == 422
    assert reply.json()["field"] == "items.0.extension"
    assert ALLOWED in reply.json()["message"]


def test_upload_url_rejects_video_type(api):
    reply = api.post("/v1/files/upload-urls", json={"items": [{"type": "video", "extension": "mp4"}]})
    assert reply.status_code == 422
    assert reply.json()["field"] == "items.0.type"


def test_upload_url_rejects_empty_list(api):
    reply = api.post("/v1/files/upload-urls", json={"items": []})
    assert reply.status_code == 422
    assert reply.json()["field"] == "items"


def test_tampered_upload_url_is_403(api):
    item = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "png"}]}).json()["items"][0]
    other_key = item["upload_url"].replace(".png?", "x.png?")
    assert httpx.put(other_key, content=b"data").status_code == 403


def test_empty_upload_is_rejected(api):
    item = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "png"}]}).json()["items"][0]
    response = httpx.put(item["upload_url"], content=b"")
    assert response.status_code == 422
    assert "empty" in response.json()["message"]


def test_upload_over_limit_is_413(fresh_server):
    server = fresh_server(env={"DARKROOM_MAX_UPLOAD_BYTES": "1000"})
    with server.client() as api:
        item = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "jpg"}]}).json()["items"][0]
    response = httpx.put(item["upload_url"], content=OBAMA.read_bytes())
    assert response.status_code == 413
    assert "1000" in response.json()["message"]
