"""Downloads of the SDK against a scripted server: new names, created folders, no redirects, streaming."""

import asyncio
import os
import tracemalloc
from pathlib import Path

import pytest
from scripted_server import Reply, ScriptedServer, json_reply

from darkroom.client import ApiConnectionError, ApiError, AsyncClient, Client, ImageProject, RetryPolicy
from darkroom.client._files import download_name

FAST_RETRIES = RetryPolicy(max_retries=2, backoff_s=0.01, max_backoff_s=0.02)
PNG_PATH = "/v1/storage/projects/p1/outputs/p1-0.png"
CONTENT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


def project_with(*urls: str) -> ImageProject:
    return ImageProject(
        id="p1",
        name=None,
        status="complete",
        type="IMAGE_UPSCALER",
        image_count=len(urls),
        created_at="2026-01-01T00:00:00.000Z",
        enabled=True,
        credits_charged=50,
        total_frame_cost=50,
        downloads=[{"url": url, "expires_at": "2026-01-02T00:00:00.000Z"} for url in urls],
        error=None,
    )


@pytest.fixture
def scripted():
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def client(scripted):
    with Client(token="dk_test", base_url=scripted.url, retry_policy=FAST_RETRIES) as sdk:
        yield sdk


def test_download_creates_folder(scripted, client, tmp_path):
    scripted.always("GET", PNG_PATH, Reply(body=CONTENT))
    folder = tmp_path / "a" / "b"

    paths = client.v1.image_projects.download(project_with(scripted.url + PNG_PATH + "?signature=x"), folder)

    assert paths == [str(folder / "p1-0.png")]
    assert (folder / "p1-0.png").read_bytes() == CONTENT


def test_download_never_overwrites(scripted, client, tmp_path):
    scripted.always("GET", PNG_PATH, Reply(body=CONTENT))
    (tmp_path / "p1-0.png").write_bytes(b"mine")
    (tmp_path / "p1-0-1.png").write_bytes(b"mine too")
    project = project_with(scripted.url + PNG_PATH)

    first = client.v1.image_projects.download(project, tmp_path)
    second = client.v1.image_projects.download(project, tmp_path)

    assert first == [str(tmp_path / "p1-0-2.png")]
    assert second == [str(tmp_path / "p1-0-3.png")]
    assert (tmp_path / "p1-0.png").read_bytes() == b"mine"
    assert (tmp_path / "p1-0-1.png").read_bytes() == b"mine too"
    assert (tmp_path / "p1-0-3.png").read_bytes() == CONTENT


def test_download_does_not_follow_redirect(scripted, client, tmp_path):
    scripted.always("GET", PNG_PATH, Reply(302, {"Location": f"{scripted.url}/elsewhere.png"}, b""))
    scripted.always("GET", "/elsewhere.png", Reply(body=CONTENT))

    with pytest.raises(ApiError) as raised:
        client.v1.image_projects.download(project_with(scripted.url + PNG_PATH), tmp_path)

    assert raised.value.status_code == 302
    assert "elsewhere.png" in str(raised.value)
    assert scripted.count("GET", "/elsewhere.png") == 0
    assert list(tmp_path.iterdir()) == []


def test_download_error_leaves_no_file(scripted, client, tmp_path):
    scripted.always(
        "GET", PNG_PATH, json_reply({"message": "The URL signature is invalid or has expired"}, 403)
    )

    with pytest.raises(ApiError, match="signature is invalid"):
        client.v1.image_projects.download(project_with(scripted.url + PNG_PATH), tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_download_retries_cut_body(scripted, client, tmp_path):
    scripted.then("GET", PNG_PATH, Reply(body=CONTENT, action="truncate"))
    scripted.always("GET", PNG_PATH, Reply(body=CONTENT))

    paths = client.v1.image_projects.download(project_with(scripted.url + PNG_PATH), tmp_path)

    assert scripted.count("GET", PNG_PATH) == 2
    assert os.listdir(tmp_path) == ["p1-0.png"]
    assert Path(paths[0]).read_bytes() == CONTENT


def test_download_cut_every_time_leaves_no_file(scripted, client, tmp_path):
    scripted.always("GET", PNG_PATH, Reply(body=CONTENT, action="truncate"))

    with pytest.raises(ApiConnectionError):
        client.v1.image_projects.download(project_with(scripted.url + PNG_PATH), tmp_path)

    assert scripted.count("GET", PNG_PATH) == FAST_RETRIES.max_retries + 1
    assert list(tmp_path.iterdir()) == []


def test_download_streams_to_disk(scripted, client, tmp_path):
    size_bytes = 32 * 1024 * 1024
    scripted.always("GET", PNG_PATH, Reply(body=b"\x00" * size_bytes))

    tracemalloc.start()
    try:
        paths = client.v1.image_projects.download(project_with(scripted.url + PNG_PATH), tmp_path)
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert os.path.getsize(paths[0]) == size_bytes
    # The whole body in memory would take 32 MiB, but streaming keeps only a few chunks at a time.
    assert peak_bytes < size_bytes / 4


def test_hostile_url_stays_in_folder(scripted, client, tmp_path):
    hostile_path = "/v1/storage/..%2F..%2Fescape.png"
    scripted.always("GET", "/v1/storage/..%2F..%2Fescape.png", Reply(body=CONTENT))
    folder = tmp_path / "out"

    paths = client.v1.image_projects.download(project_with(scripted.url + hostile_path), folder)

    assert paths == [str(folder / "escape.png")]
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/v1/storage/projects/p/outputs/p-0.png?expires=1&signature=abc", "p-0.png"),
        ("http://h/v1/storage/a%20b.png", "a b.png"),
        ("http://h/", "fallback.png"),
        ("http://h/v1/storage/%2e%2e", "fallback.png"),
        ("http://h/v1/storage/.hidden", "fallback.png"),
        ("http://h/v1/storage/a%5C..%5Cb.png", "fallback.png"),
        ("http://h/v1/storage/a%00.png", "fallback.png"),
        ("http://h/v1/storage/" + "x" * 300 + ".png", "fallback.png"),
    ],
)
def test_download_name(url, expected):
    assert download_name(url, "fallback.png") == expected


def test_async_download_never_overwrites(scripted, tmp_path):
    scripted.always("GET", PNG_PATH, Reply(body=CONTENT))
    project = project_with(scripted.url + PNG_PATH, scripted.url + PNG_PATH)

    async def run():
        async with AsyncClient(token="dk_test", base_url=scripted.url, retry_policy=FAST_RETRIES) as sdk:
            return await sdk.v1.image_projects.download(project, tmp_path / "new")

    paths = asyncio.run(run())

    assert paths == [str(tmp_path / "new" / "p1-0.png"), str(tmp_path / "new" / "p1-0-1.png")]
    assert all(Path(path).read_bytes() == CONTENT for path in paths)
