"""The whole path of an upscale over HTTP: upload, create, render, download, delete."""

import io

import httpx
from PIL import Image

from support import OBAMA, upload, wait_for_status


def test_upscale_obama_end_to_end(server, api):
    file_path = upload(api, OBAMA)
    created = api.post(
        "/v1/ai-image-upscaler",
        json={"assets": {"image_file_path": file_path}, "scale_factor": 2, "style": {"mode": "balanced"}},
    )
    assert created.status_code == 200, created.text
    project_id = created.json()["id"]
    assert created.json()["credits_charged"] == 50
    assert created.json()["frame_cost"] == 50

    project = wait_for_status(api, project_id)
    assert project["status"] == "complete", project
    assert project["progress"] == 1.0
    assert len(project["downloads"]) == 1

    url = project["downloads"][0]["url"]
    assert url.split("?")[0].endswith(f"/{project_id}-0.png")
    response = httpx.get(url)
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1820, 2274)

    output_files = list(server.data_dir.glob(f"storage/projects/{project_id}/**/*.png"))
    assert output_files, "the rendered PNG should be in the data folder"

    assert api.delete(f"/v1/image-projects/{project_id}").status_code == 204
    assert not (server.data_dir / "storage" / "projects" / project_id).exists()
    assert httpx.get(url).status_code == 404

    deleted = api.get(f"/v1/image-projects/{project_id}").json()
    assert deleted["enabled"] is False
    assert deleted["downloads"] == []
    assert api.delete(f"/v1/image-projects/{project_id}").status_code == 204
