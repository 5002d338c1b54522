"""The official `magic-hour` Python SDK, unchanged but for `base_url`, against a real Darkroom."""

import io

import httpx
import pytest
from PIL import Image

from support import OBAMA

import magic_hour
from make_api_request import ApiError


@pytest.fixture
def client(server):
    return magic_hour.Client(token=server.api_key, base_url=server.url)


def test_sdk_generate_upscale_downloads(client, tmp_path, server):
    result = client.v1.ai_image_upscaler.generate(
        assets={"image_file_path": str(OBAMA)},
        scale_factor=2.0,
        style={"enhancement": "Balanced"},
        name="sdk upscale",
        wait_for_completion=True,
        download_outputs=True,
        download_directory=str(tmp_path),
    )

    assert result.status == "complete"
    assert result.credits_charged == 50
    assert len(result.downloaded_paths) == 1
    saved = result.downloaded_paths[0]
    assert saved.startswith(str(tmp_path))
    assert saved.endswith(f"{result.id}-0.png")
    assert Image.open(saved).size == (1820, 2274)

    fetched = client.v1.image_projects.get(id=result.id)
    assert fetched.name == "sdk upscale"
    assert fetched.type_ == "IMAGE_UPSCALER"
    assert fetched.total_frame_cost == 50

    client.v1.image_projects.delete(id=result.id)
    deleted = client.v1.image_projects.get(id=result.id)
    assert deleted.enabled is False
    assert deleted.downloads == []
    assert httpx.get(fetched.downloads[0].url).status_code == 404


def test_sdk_create_then_check_result(client, tmp_path):
    file_path = client.v1.files.upload_file(file=str(OBAMA))
    assert file_path.startswith("api-assets/")
    created = client.v1.ai_image_upscaler.create(
        assets={"image_file_path": file_path}, scale_factor=4, style={"mode": "preserve"}
    )
    assert created.credits_charged == 100
    assert created.frame_cost == 100

    result = client.v1.image_projects.check_result(
        id=created.id, wait_for_completion=True, download_outputs=True, download_directory=str(tmp_path)
    )
    assert result.status == "complete"
    with open(result.downloaded_paths[0], "rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (3640, 4548)


def test_sdk_raises_api_error_for_bad_scale(client):
    file_path = client.v1.files.upload_file(file=str(OBAMA))
    with pytest.raises(ApiError) as raised:
        client.v1.ai_image_upscaler.create(assets={"image_file_path": file_path}, scale_factor=3)
    assert raised.value.status_code == 422
    assert raised.value.body["message"] == "scale_factor must be 2 or 4, got 3"


def test_sdk_account_reports_credits(client):
    account = client.v1.account.list()
    assert account.credits > 0
