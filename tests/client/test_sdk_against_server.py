"""The Darkroom SDK against the real server: generate, wait, cancel, list, delete, uploads and errors."""

import asyncio
import inspect
import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from darkroom.client import (
    ApiError,
    AsyncClient,
    Client,
    ImageProject,
    ProjectFailed,
    WaitTimeout,
)
from support import OBAMA, upload

# An input URL that every worker refuses to fetch, because it points at loopback: the render fails.
UNREACHABLE_INPUT = "http://127.0.0.1:9/photo.png"
UPSCALE_OBAMA = {"assets": {"image_file_path": str(OBAMA)}, "scale_factor": 2, "style": {"mode": "preserve"}}


def image_size(path: str) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def test_generate_upscales_local_file(sdk, tmp_path):
    seen = []

    result = sdk.v1.ai_image_upscaler.generate(
        **UPSCALE_OBAMA, download_directory=tmp_path / "out", on_progress=seen.append
    )

    assert result.status == "complete"
    assert result.credits_charged == 25
    assert result.downloaded_paths == [str(tmp_path / "out" / f"{result.id}-0.png")]
    assert image_size(result.downloaded_paths[0]) == (1820, 2274)
    assert seen[-1].status == "complete"
    assert all(isinstance(project, ImageProject) for project in seen)
    progress = [project.progress for project in seen]
    assert progress == sorted(progress)


def test_generate_twice_keeps_both_files(sdk, tmp_path):
    first = sdk.v1.ai_image_upscaler.generate(**UPSCALE_OBAMA, download_directory=tmp_path)
    second = sdk.v1.ai_image_upscaler.generate(**UPSCALE_OBAMA, download_directory=tmp_path)

    assert first.downloaded_paths != second.downloaded_paths
    assert len(list(tmp_path.iterdir())) == 2


def test_generate_leaves_arguments_unchanged(sdk, tmp_path):
    assets = {"image_file_path": str(OBAMA)}

    sdk.v1.ai_image_upscaler.generate(assets=assets, scale_factor=2, download_outputs=False)

    assert assets == {"image_file_path": str(OBAMA)}


def test_generate_raises_when_render_fails(sdk, tmp_path):
    with pytest.raises(ProjectFailed) as raised:
        sdk.v1.ai_image_upscaler.generate(
            assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2, download_directory=tmp_path
        )

    failed = raised.value
    assert failed.status == "error"
    assert failed.code == "invalid_image_path"
    assert failed.project.credits_charged == 0
    assert failed.project.id in str(failed)
    assert "invalid_image_path" in str(failed)
    assert list(tmp_path.iterdir()) == []


def test_generate_returns_failed_project_when_asked(sdk):
    result = sdk.v1.ai_image_upscaler.generate(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2, raise_on_error=False
    )

    assert result.status == "error"
    assert result.error.code == "invalid_image_path"
    assert result.downloaded_paths is None


def test_check_result_returns_failed_project(sdk):
    created = sdk.v1.ai_image_upscaler.create(assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2)

    result = sdk.v1.image_projects.check_result(created.id, wait_for_completion=True, download_outputs=True)

    assert result.status == "error"


def test_wait_times_out_with_last_status(idle_sdk):
    created = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )

    with pytest.raises(WaitTimeout) as raised:
        idle_sdk.v1.image_projects.wait(created.id, timeout_s=0.3, poll_interval_s=0.1)

    assert isinstance(raised.value, TimeoutError)
    assert raised.value.status == "queued"
    assert raised.value.project.id == created.id
    assert f"project {created.id} was still queued after 0.3 s" in str(raised.value)
    idle_sdk.v1.image_projects.cancel(created.id)


def test_wait_reports_queue_position(idle_sdk):
    first = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )
    second = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )
    seen = []

    with pytest.raises(WaitTimeout):
        idle_sdk.v1.image_projects.wait(
            second.id, timeout_s=0.2, poll_interval_s=0.05, on_progress=seen.append
        )

    position_of_first = idle_sdk.v1.image_projects.get(first.id).queue_position
    assert len(seen) == 1, "an unchanged project is reported once"
    assert seen[0].queue_position == position_of_first + 1
    for project in (first, second):
        idle_sdk.v1.image_projects.cancel(project.id)


def test_cancel_refunds_and_cannot_repeat(idle_sdk):
    created = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )

    canceled = idle_sdk.v1.image_projects.cancel(created.id)

    assert canceled.status == "canceled"
    assert canceled.credits_charged == 0
    with pytest.raises(ApiError) as raised:
        idle_sdk.v1.image_projects.cancel(created.id)
    assert raised.value.status_code == 409
    assert "canceled" in raised.value.message


def test_wait_on_canceled_project_returns_it(idle_sdk):
    created = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )
    idle_sdk.v1.image_projects.cancel(created.id)

    assert idle_sdk.v1.image_projects.wait(created.id, timeout_s=5).status == "canceled"
    with pytest.raises(ProjectFailed, match="canceled"):
        idle_sdk.v1.image_projects.check_result(created.id, raise_on_error=True)


def test_delete_queued_project(idle_sdk):
    created = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )

    assert idle_sdk.v1.image_projects.delete(created.id) is None

    deleted = idle_sdk.v1.image_projects.get(created.id)
    assert deleted.enabled is False
    assert deleted.status == "canceled"
    idle_sdk.v1.image_projects.delete(created.id)


def test_list_pages_newest_first(idle_sdk):
    ids = [
        idle_sdk.v1.ai_image_upscaler.create(assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2).id
        for _ in range(3)
    ]

    first_page = idle_sdk.v1.image_projects.list(limit=2)
    second_page = idle_sdk.v1.image_projects.list(limit=2, cursor=first_page.next_cursor)

    assert [project.id for project in first_page.data] == ids[::-1][:2]
    assert second_page.data[0].id == ids[0]
    assert first_page.next_cursor is not None
    for project_id in ids:
        idle_sdk.v1.image_projects.cancel(project_id)


def test_list_filters_by_status(idle_sdk):
    created = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
    )

    queued = idle_sdk.v1.image_projects.list(status="queued", limit=100)
    idle_sdk.v1.image_projects.cancel(created.id)
    canceled = idle_sdk.v1.image_projects.list(status="canceled", limit=100)

    assert created.id in [project.id for project in queued.data]
    assert all(project.status == "queued" for project in queued.data)
    assert created.id in [project.id for project in canceled.data]


def test_list_rejects_unknown_status(sdk):
    with pytest.raises(ApiError) as raised:
        sdk.v1.image_projects.list(status="finished")

    assert raised.value.status_code == 422
    assert "finished" in raised.value.message


def test_same_idempotency_key_creates_once(idle_sdk):
    first = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2, idempotency_key="sdk-test-key"
    )
    again = idle_sdk.v1.ai_image_upscaler.create(
        assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2, idempotency_key="sdk-test-key"
    )

    assert again.id == first.id
    idle_sdk.v1.image_projects.cancel(first.id)


def test_account_shows_credits_spent(idle_sdk):
    before = idle_sdk.v1.account.list().credits
    created = idle_sdk.v1.ai_image_upscaler.create(assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2)
    after_create = idle_sdk.v1.account.list().credits
    idle_sdk.v1.image_projects.cancel(created.id)
    after_cancel = idle_sdk.v1.account.list().credits

    assert after_create == before - created.credits_charged
    assert after_cancel == before


def test_unknown_project_raises_404(sdk):
    with pytest.raises(ApiError) as raised:
        sdk.v1.image_projects.get("cnotaprojectid000000000000")

    assert raised.value.status_code == 404
    assert "GET " in str(raised.value)
    assert "/v1/image-projects/cnotaprojectid000000000000 failed with 404" in str(raised.value)


def test_wrong_key_raises_401(server):
    with Client(token="dk_wrong", base_url=server.url) as client, pytest.raises(ApiError) as raised:
        client.v1.image_projects.list()

    assert raised.value.status_code == 401
    assert raised.value.message == "Unauthorized"


def test_invalid_field_names_it(sdk):
    with pytest.raises(ApiError) as raised:
        sdk.v1.ai_image_upscaler.create(assets={"image_file_path": "api-assets/missing.png"}, scale_factor=3)

    assert raised.value.status_code == 422
    assert raised.value.message == "scale_factor must be 2 or 4, got 3"


def test_rejected_upload_names_local_file(sdk, tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image")

    with pytest.raises(ApiError) as upscale:
        sdk.v1.ai_image_upscaler.generate(assets={"image_file_path": str(fake)}, scale_factor=2)
    with pytest.raises(ApiError) as detection:
        sdk.v1.face_detection.generate(assets={"target_file_path": fake})

    error = upscale.value
    assert error.status_code == 422
    assert error.field == "assets.image_file_path"
    assert error.local_file == str(fake)
    # The server's message is kept. It names the uploaded copy, so the error's text adds the local file.
    assert error.message.startswith("assets.image_file_path 'api-assets/")
    assert str(error).endswith(f"the file is not an image in a supported format (uploaded from {fake})")
    assert detection.value.field == "assets.target_file_path"
    assert detection.value.local_file == str(fake)


def test_ids_stay_one_path_segment(idle_sdk, idle_server):
    uploaded = idle_sdk.v1.files.upload_file(OBAMA)
    project = idle_sdk.v1.ai_image_upscaler.create(assets={"image_file_path": uploaded}, scale_factor=2)
    detection = idle_sdk.v1.face_detection.create(assets={"target_file_path": uploaded})
    # Unescaped, these ids would resolve to the real project's and detection's paths.
    hostile_project_id = f"abc/../{project.id}"
    hostile_detection_id = f"abc/../{detection.id}"

    async def get_async() -> list[int]:
        statuses = []
        async with AsyncClient(token=idle_server.api_key, base_url=idle_server.url) as client:
            for call, hostile_id in (
                (client.v1.image_projects.get, hostile_project_id),
                (client.v1.face_detection.get, hostile_detection_id),
            ):
                with pytest.raises(ApiError) as raised:
                    await call(hostile_id)
                statuses.append(raised.value.status_code)
        return statuses

    for call in (
        idle_sdk.v1.image_projects.get,
        idle_sdk.v1.image_projects.cancel,
        idle_sdk.v1.image_projects.delete,
    ):
        with pytest.raises(ApiError) as raised:
            call(hostile_project_id)
        assert raised.value.status_code == 404, call.__name__
    with pytest.raises(ApiError) as raised:
        idle_sdk.v1.face_detection.get(hostile_detection_id)
    assert raised.value.status_code == 404
    with pytest.raises(ApiError, match=re.escape("project '..' not found")):
        idle_sdk.v1.image_projects.get("..")
    assert asyncio.run(get_async()) == [404, 404]
    assert idle_sdk.v1.image_projects.get(project.id).status == "queued"
    idle_sdk.v1.image_projects.cancel(project.id)


def test_upload_file_takes_paths_and_file_objects(sdk, api):
    from_str = sdk.v1.files.upload_file(str(OBAMA))
    from_path = sdk.v1.files.upload_file(OBAMA)
    with OBAMA.open("rb") as handle:
        handle.read(100)
        from_handle = sdk.v1.files.upload_file(handle)
        assert handle.tell() == 100, "the upload leaves the file position where it was"
    from_bytes = sdk.v1.files.upload_file(io.BytesIO(OBAMA.read_bytes()), extension="jpg")

    for file_path in (from_str, from_path, from_handle, from_bytes):
        assert file_path.startswith("api-assets/")
        assert file_path.endswith(".jpg")
        created = api.post(
            "/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2}
        )
        assert created.status_code == 200, created.text
        api.delete(f"/v1/image-projects/{created.json()['id']}")


def test_upload_file_passes_uploaded_paths_and_urls(sdk, api):
    uploaded = upload(api, OBAMA)

    assert sdk.v1.files.upload_file(uploaded) == uploaded
    assert sdk.v1.files.upload_file("https://example.com/photo.png") == "https://example.com/photo.png"


def test_upload_file_rejects_bad_input(sdk, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")

    with pytest.raises(FileNotFoundError, match="no such file"):
        sdk.v1.files.upload_file(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="extension 'txt' is not an image type"):
        sdk.v1.files.upload_file(text_file)
    with pytest.raises(ValueError, match="pass extension="):
        sdk.v1.files.upload_file(io.BytesIO(b"\x89PNG"))
    read_end, write_end = os.pipe()
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe, pytest.raises(ValueError, match="does not support seek"):
        sdk.v1.files.upload_file(pipe, extension="png")


def test_async_client_runs_a_project(server, tmp_path):
    async def run():
        async with AsyncClient(token=server.api_key, base_url=server.url) as client:
            result = await client.v1.ai_image_upscaler.generate(**UPSCALE_OBAMA, download_directory=tmp_path)
            listed = await client.v1.image_projects.list(limit=100)
            await client.v1.image_projects.delete(result.id)
            deleted = await client.v1.image_projects.get(result.id)
            with pytest.raises(ProjectFailed):
                await client.v1.ai_image_upscaler.generate(
                    assets={"image_file_path": UNREACHABLE_INPUT}, scale_factor=2
                )
            return result, listed, deleted

    result, listed, deleted = asyncio.run(run())

    assert result.status == "complete"
    assert Path(result.downloaded_paths[0]).is_file()
    assert result.id in [project.id for project in listed.data]
    assert deleted.enabled is False


def test_sync_and_async_clients_match(server):
    sync_client = Client(token="dk_x", base_url=server.url)
    async_client = AsyncClient(token="dk_x", base_url=server.url)
    resources = [name for name in vars(sync_client.v1) if not name.startswith("_")]

    assert sorted(resources) == sorted(name for name in vars(async_client.v1) if not name.startswith("_"))
    for resource in resources:
        sync_resource = getattr(sync_client.v1, resource)
        async_resource = getattr(async_client.v1, resource)
        methods = [name for name in dir(sync_resource) if not name.startswith("_")]
        assert methods == [name for name in dir(async_resource) if not name.startswith("_")], resource
        for name in methods:
            sync_method, async_method = getattr(sync_resource, name), getattr(async_resource, name)
            if callable(sync_method):
                assert (
                    inspect.signature(sync_method).parameters.keys()
                    == inspect.signature(async_method).parameters.keys()
                ), f"{resource}.{name}"
    sync_client.close()
    asyncio.run(async_client.close())


def test_client_reads_environment(server, monkeypatch):
    monkeypatch.setenv("DARKROOM_API_KEY", server.api_key)
    monkeypatch.setenv("DARKROOM_BASE_URL", server.url + "/")

    with Client() as client:
        assert client.base_url == server.url
        assert isinstance(client.v1.image_projects.list(limit=1).data, list)


def test_client_without_key_is_rejected(monkeypatch):
    monkeypatch.delenv("DARKROOM_API_KEY", raising=False)

    with pytest.raises(ValueError, match="no API key: pass token=... or set DARKROOM_API_KEY"):
        Client(base_url="http://127.0.0.1:8000")
    with pytest.raises(
        ValueError, match="base_url must start with http:// or https://, got 'localhost:8000'"
    ):
        Client(token="dk_x", base_url="localhost:8000")
