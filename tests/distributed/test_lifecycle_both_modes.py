"""The project lifecycle over HTTP, run against both configurations: embedded, and PostgreSQL + S3 + Celery."""

import io
import os
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image
from scale_helpers import (
    UPSCALER,
    create_slow_upscale,
    create_upscale,
    parse_timestamp,
    small_jpeg,
    wait_for_render_progress,
)

from support import upload, wait_for_status


def test_create_render_download(deployment, api):
    file_path = upload(api, small_jpeg(), "jpg")
    project_id = create_upscale(api, file_path)

    project = wait_for_status(api, project_id)
    assert project["status"] == "complete", project
    assert project["credits_charged"] == 25
    assert len(project["downloads"]) == 1
    download = project["downloads"][0]
    assert urlsplit(download["url"]).path.endswith(f"/{project_id}-0.png")
    expires_at = parse_timestamp(download["expires_at"])
    assert abs(expires_at - datetime.now(timezone.utc) - timedelta(hours=24)) < timedelta(minutes=5)

    response = httpx.get(download["url"], follow_redirects=False)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (192, 240)

    stored = deployment.stored_keys(project_id)
    assert f"projects/{project_id}/outputs/{project_id}-0.png" in stored
    assert f"projects/{project_id}/inputs/0.jpg" in stored
    assert deployment.project_row(project_id)["attempts"] == 1


def test_presigned_urls_carry_their_expiry(deployment, api):
    response = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "png"}]})
    assert response.status_code == 200
    item = response.json()["items"][0]
    expires_at = parse_timestamp(item["expires_at"])
    assert abs(expires_at - datetime.now(timezone.utc) - timedelta(hours=1)) < timedelta(minutes=5)
    query = parse_qs(urlsplit(item["upload_url"]).query)
    if deployment.mode == "distributed":
        # S3 SigV4: signed at X-Amz-Date for X-Amz-Expires seconds; the reply may round down, never up.
        signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        real_expiry = signed_at + timedelta(seconds=int(query["X-Amz-Expires"][0]))
        assert timedelta(0) <= real_expiry - expires_at < timedelta(seconds=2)
    else:
        assert int(query["expires"][0]) == int(expires_at.timestamp())


def test_delete_removes_stored_files(deployment, api):
    project_id = create_upscale(api, upload(api, small_jpeg(), "jpg"))
    project = wait_for_status(api, project_id)
    assert project["status"] == "complete", project
    url = project["downloads"][0]["url"]
    assert deployment.stored_keys(project_id)

    assert api.delete(f"/v1/image-projects/{project_id}").status_code == 204
    assert deployment.stored_keys(project_id) == []
    assert httpx.get(url).status_code == 404

    deleted = api.get(f"/v1/image-projects/{project_id}").json()
    assert deleted["enabled"] is False
    assert deleted["downloads"] == []
    assert api.delete(f"/v1/image-projects/{project_id}").status_code == 204


def test_cancel_rendering_then_queued_projects(deployment, api):
    rendering_id = create_slow_upscale(api)
    queued_id = create_upscale(api, upload(api, small_jpeg(), "jpg"))
    wait_for_status(api, rendering_id, statuses=("rendering",))
    # One render slot: the second project waits until the first is done.
    assert api.get(f"/v1/image-projects/{queued_id}").json()["status"] == "queued"

    canceled = api.post(f"/v1/image-projects/{queued_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["credits_charged"] == 0

    canceled = api.post(f"/v1/image-projects/{rendering_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["credits_charged"] == 0

    # The slot is free again at once, and the canceled projects never render.
    next_id = create_upscale(api, upload(api, small_jpeg(), "jpg"))
    assert wait_for_status(api, next_id)["status"] == "complete"
    for project_id in (rendering_id, queued_id):
        assert api.get(f"/v1/image-projects/{project_id}").json()["status"] == "canceled"
        assert not [key for key in deployment.stored_keys(project_id) if "/outputs/" in key]
    assert deployment.project_row(queued_id)["attempts"] == 0
    again = api.post(f"/v1/image-projects/{rendering_id}/cancel")
    assert again.status_code == 409
    assert "already canceled" in again.json()["message"]


def test_killed_render_process_is_retried(deployment, api):
    project_id = create_slow_upscale(api)
    # Killed before it has a job, the render process would just be started again for it.
    wait_for_render_progress(api, project_id)
    render_processes = deployment.render_processes()
    assert len(render_processes) == 1
    render_processes[0].kill()

    project = wait_for_status(api, project_id)
    assert project["status"] == "complete", project
    row = deployment.project_row(project_id)
    assert row["attempts"] == 2


def test_list_pages_and_idempotent_create(deployment, api):
    file_path = upload(api, small_jpeg(), "jpg")
    key = f"scale-test-{deployment.mode}"
    first = create_upscale(api, file_path, **{"Idempotency-Key": key})
    assert create_upscale(api, file_path, **{"Idempotency-Key": key}) == first
    second = create_upscale(api, file_path)
    for project_id in (first, second):
        wait_for_status(api, project_id)

    page = api.get("/v1/image-projects", params={"limit": 1, "status": "complete"}).json()
    assert [item["id"] for item in page["data"]] == [second]
    assert page["next_cursor"]
    following = api.get("/v1/image-projects", params={"limit": 1, "status": "complete",
                                                       "cursor": page["next_cursor"]}).json()
    assert [item["id"] for item in following["data"]] == [first]


def test_insufficient_credits_rejected(deployment, api):
    api_key = deployment.server.new_account(10, name="poor")
    with deployment.server.client(api_key=api_key) as poor:
        file_path = upload(poor, small_jpeg(), "jpg")
        response = poor.post(UPSCALER, json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
        assert response.status_code == 402
        assert "costs 50 and the balance is 10" in response.json()["message"]
        assert poor.get("/v1/image-projects").json()["data"] == []


def test_oversized_upload_is_rejected(deployment, api):
    # Random pixels do not compress: about 3 MB of PNG against the 2 MiB limit set for these tests.
    noise = Image.frombytes("RGB", (1024, 1024), os.urandom(3 * 1024 * 1024))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    content = buffer.getvalue()
    assert len(content) > 2 * 1024 * 1024

    item = api.post("/v1/files/upload-urls", json={"items": [{"type": "image", "extension": "png"}]}).json()["items"][0]
    put = httpx.put(item["upload_url"], content=content, timeout=60)
    if deployment.mode == "embedded":
        # Darkroom receives the upload itself and stops it at the limit.
        assert put.status_code == 413
        return
    # A presigned S3 PUT cannot limit its size, so the limit is checked when a project names the file.
    assert put.status_code == 200
    response = api.post(UPSCALER, json={"assets": {"image_file_path": item["file_path"]}, "scale_factor": 2})
    assert response.status_code == 413
    assert response.json()["field"] == "assets.image_file_path"
    message = response.json()["message"]
    assert item["file_path"] in message
    assert f"the limit is {2 * 1024 * 1024} bytes" in message
