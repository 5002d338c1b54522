"""The official Magic Hour Python SDK (PyPI `magic-hour`, pinned in pyproject.toml) against Darkroom, unchanged.

For every tool that the server reports as enabled: upload, create, check_result with download,
get and delete, and face detection when the server has it.
"""

from pathlib import Path

import pytest
from magic_hour import Client as MagicHourClient
from make_api_request import ApiError as MagicHourApiError
from PIL import Image

from support import BIDEN, OBAMA
from tool_cases import TOOL_CASES, enabled_tools, has_face_detection


@pytest.fixture
def magic_hour(server, monkeypatch):
    # The official SDK polls every MAGIC_HOUR_POLL_INTERVAL seconds (default 0.5).
    monkeypatch.setenv("MAGIC_HOUR_POLL_INTERVAL", "0.1")
    return MagicHourClient(token=server.api_key, base_url=server.url)


def assert_images(paths: list[str]) -> None:
    assert paths
    for path in paths:
        with Image.open(path) as image:
            image.verify()


@pytest.mark.parametrize("slug", sorted(TOOL_CASES))
def test_official_sdk_runs_tool(slug, api, magic_hour, tmp_path):
    tools = enabled_tools(api)
    if slug not in tools:
        pytest.skip(f"{slug} is not enabled on this server")
    case = TOOL_CASES[slug]
    resource = getattr(magic_hour.v1, case.resource)

    uploaded = {name: magic_hour.v1.files.upload_file(str(path)) for name, path in case.local_files().items()}
    assert all(path.startswith("api-assets/") for path in uploaded.values())
    created = resource.create(**case.with_files(uploaded))
    assert created.credits_charged > 0
    assert created.frame_cost == created.credits_charged

    result = magic_hour.v1.image_projects.check_result(
        id=created.id, wait_for_completion=True, download_outputs=True, download_directory=str(tmp_path)
    )
    assert result.status == "complete", result.error
    assert len(result.downloaded_paths) == result.image_count
    assert_images(result.downloaded_paths)

    project = magic_hour.v1.image_projects.get(id=created.id)
    assert project.type_ == tools[slug]["type"]
    assert project.enabled is True
    assert len(project.downloads) == project.image_count
    assert project.total_frame_cost == project.credits_charged == created.credits_charged

    assert magic_hour.v1.image_projects.delete(id=created.id) is None
    deleted = magic_hour.v1.image_projects.get(id=created.id)
    assert deleted.enabled is False
    assert deleted.downloads == []


def test_official_sdk_generate_uploads_and_downloads(magic_hour, tmp_path):
    result = magic_hour.v1.ai_image_upscaler.generate(
        assets={"image_file_path": str(OBAMA)},
        scale_factor=2,
        style={"enhancement": "Balanced"},
        download_directory=str(tmp_path),
    )

    assert result.status == "complete"
    assert [Path(path).name for path in result.downloaded_paths] == [f"{result.id}-0.png"]
    with Image.open(result.downloaded_paths[0]) as image:
        assert image.size == (1820, 2274)


def test_official_sdk_reads_account(magic_hour):
    account = magic_hour.v1.account.list()

    assert account.id
    assert account.credits > 0


def test_official_sdk_sees_api_errors(magic_hour):
    with pytest.raises(MagicHourApiError) as raised:
        magic_hour.v1.ai_image_upscaler.create(
            assets={"image_file_path": "api-assets/none.png"}, scale_factor=3
        )

    assert raised.value.status_code == 422
    assert raised.value.body["message"] == "scale_factor must be 2 or 4, got 3"

    with pytest.raises(MagicHourApiError) as raised:
        magic_hour.v1.image_projects.get(id="cnotaprojectid000000000000")
    assert raised.value.status_code == 404


def test_official_sdk_detects_faces(api, magic_hour, tmp_path):
    if not has_face_detection(api):
        pytest.skip("this server has no /v1/face-detection")

    target = magic_hour.v1.files.upload_file(str(OBAMA))
    created = magic_hour.v1.face_detection.create(assets={"target_file_path": target}, confidence_score=0.5)
    assert created.id

    result = magic_hour.v1.face_detection.generate(
        assets={"target_file_path": str(BIDEN)}, confidence_score=0.5, download_directory=str(tmp_path)
    )
    assert result.status == "complete"
    assert [face.path for face in result.faces] == [f"api-assets/{result.id}/0-0.png"]
    assert_images(result.downloaded_paths)

    detection = magic_hour.v1.face_detection.get(id=created.id)
    assert detection.id == created.id
    assert detection.status in ("queued", "rendering", "complete")


def test_official_sdk_swaps_mapped_face(api, magic_hour, tmp_path):
    if not has_face_detection(api) or "face-swap-photo" not in enabled_tools(api):
        pytest.skip("this server has no face detection or no face-swap-photo")

    target = magic_hour.v1.files.upload_file(str(OBAMA))
    detection = magic_hour.v1.face_detection.generate(
        assets={"target_file_path": target}, download_outputs=False
    )
    result = magic_hour.v1.face_swap_photo.generate(
        assets={
            "face_swap_mode": "individual-faces",
            "target_file_path": target,
            "face_mappings": [{"original_face": detection.faces[0].path, "new_face": str(BIDEN)}],
        },
        download_directory=str(tmp_path),
    )

    assert result.status == "complete", result.error
    assert_images(result.downloaded_paths)


@pytest.mark.slow
def test_official_sdk_generates_image(generator_server, monkeypatch, tmp_path):
    monkeypatch.setenv("MAGIC_HOUR_POLL_INTERVAL", "0.1")
    magic_hour = MagicHourClient(token=generator_server.api_key, base_url=generator_server.url)

    result = magic_hour.v1.ai_image_generator.generate(
        image_count=1,
        style={"prompt": "a red apple on a table"},
        aspect_ratio="1:1",
        resolution="640px",
        download_directory=str(tmp_path),
    )

    assert result.status == "complete", result.error
    assert result.type_ == "AI_IMAGE"
    assert len(result.downloaded_paths) == 1
    assert_images(result.downloaded_paths)
