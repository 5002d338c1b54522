"""URL inputs: fetched by the worker, size-checked after the fetch, refunded when unusable."""

import pytest

from http_fixtures import FileServer, Route
from imaging import png_of_size
from support import OBAMA, wait_for_status


@pytest.fixture(scope="module")
def files():
    with FileServer() as server:
        yield server


@pytest.fixture(scope="module")
def allowing_server(tmp_path_factory):
    """A server whose operator allows URL inputs from 127.0.0.1, where the test's file server runs."""
    from support import start_server

    running = start_server(tmp_path_factory.mktemp("url-server"), env={"DARKROOM_URL_ALLOW_HOSTS": "127.0.0.1"})
    yield running
    running.stop()


def test_url_input_renders(allowing_server, files):
    files.routes["/obama.jpg"] = Route(body=OBAMA.read_bytes(), headers={"Content-Type": "image/jpeg"})
    with allowing_server.client() as api:
        response = api.post("/v1/ai-image-upscaler",
                            json={"assets": {"image_file_path": files.url("/obama.jpg")}, "scale_factor": 2})
        assert response.status_code == 200, response.text
        project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "complete", project
    assert files.hits["/obama.jpg"] == 1


def test_oversized_url_input_is_file_too_large(allowing_server, files):
    files.routes["/huge.png"] = Route(body=png_of_size(5000, 5000), headers={"Content-Type": "image/png"})
    with allowing_server.client() as api:
        before = api.get("/v1/account").json()["credits"]
        response = api.post("/v1/ai-image-upscaler",
                            json={"assets": {"image_file_path": files.url("/huge.png")}, "scale_factor": 2})
        assert response.status_code == 200, response.text
        project = wait_for_status(api, response.json()["id"])
        after = api.get("/v1/account").json()["credits"]
    assert project["status"] == "error"
    assert project["error"]["code"] == "file_too_large"
    assert "5000x5000" in project["error"]["message"]
    assert project["credits_charged"] == 0
    assert after == before


def test_url_input_not_image_is_invalid(allowing_server, files):
    files.routes["/page.html"] = Route(body=b"<html>hello</html>", headers={"Content-Type": "text/html"})
    with allowing_server.client() as api:
        response = api.post("/v1/ai-image-upscaler",
                            json={"assets": {"image_file_path": files.url("/page.html")}, "scale_factor": 2})
        project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "error"
    assert project["error"]["code"] == "invalid_image_file"


def test_url_input_404_is_invalid_path(allowing_server, files):
    with allowing_server.client() as api:
        response = api.post("/v1/ai-image-upscaler",
                            json={"assets": {"image_file_path": files.url("/missing.png")}, "scale_factor": 2})
        project = wait_for_status(api, response.json()["id"])
    assert project["status"] == "error"
    assert project["error"]["code"] == "invalid_image_path"
    assert "404" in project["error"]["message"]
