"""URL inputs may not reach loopback or private addresses unless the operator allows the host.

Every server these tests talk to runs on 127.0.0.1 and is started by the test itself.
"""

import ipaddress

import pytest

from darkroom.queue.fetch import is_public_address
from http_fixtures import FileServer, Route
from imaging import png_of_size
from support import OBAMA, start_server, wait_for_status


@pytest.fixture(scope="module")
def files():
    with FileServer() as server:
        server.routes["/obama.jpg"] = Route(body=OBAMA.read_bytes(), headers={"Content-Type": "image/jpeg"})
        yield server


def create(api, url: str) -> dict:
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": url}, "scale_factor": 2})
    assert response.status_code == 200, response.text
    return wait_for_status(api, response.json()["id"])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_url_is_refused_without_allow_list(api, files, host):
    before = api.get("/v1/account").json()["credits"]
    hits_before = files.hits.get("/obama.jpg", 0)

    project = create(api, files.url("/obama.jpg", host=host))

    assert project["status"] == "error"
    assert project["error"]["code"] == "invalid_image_path"
    assert "not allowed" in project["error"]["message"]
    assert files.hits.get("/obama.jpg", 0) == hits_before, "no request may reach the refused server"
    assert api.get("/v1/account").json()["credits"] == before


def test_ipv6_loopback_url_is_refused(api, files):
    project = create(api, f"http://[::1]:{files.port}/obama.jpg")
    assert project["error"]["code"] == "invalid_image_path"


@pytest.fixture(scope="module")
def allowing_server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("guard"),
                           env={"DARKROOM_URL_ALLOW_HOSTS": "127.0.0.1", "DARKROOM_URL_FETCH_TIMEOUT_S": "1",
                                "DARKROOM_URL_FETCH_MAX_BYTES": "200000"})
    yield running
    running.stop()


def test_redirect_to_refused_host_is_checked(allowing_server, files):
    # 127.0.0.1 is allowed, "localhost" is not: the redirect must be checked on its own.
    files.routes["/hop"] = Route(status=302, headers={"Location": files.url("/obama.jpg", host="localhost")})
    hits_before = files.hits.get("/obama.jpg", 0)
    with allowing_server.client() as api:
        project = create(api, files.url("/hop"))
    assert project["error"]["code"] == "invalid_image_path"
    assert files.hits["/hop"] >= 1
    assert files.hits.get("/obama.jpg", 0) == hits_before


def test_redirect_within_allowed_host_is_followed(allowing_server, files):
    files.routes["/small"] = Route(body=png_of_size(64, 48), headers={"Content-Type": "image/png"})
    files.routes["/hop-ok"] = Route(status=302, headers={"Location": "/small"})
    with allowing_server.client() as api:
        project = create(api, files.url("/hop-ok"))
    assert project["status"] == "complete", project


def test_slow_url_times_out(allowing_server, files):
    files.routes["/slow"] = Route(body=b"late", delay_s=3)
    with allowing_server.client() as api:
        project = create(api, files.url("/slow"))
    assert project["error"]["code"] == "invalid_image_path"
    assert "timed out" in project["error"]["message"]


def test_url_over_byte_cap_is_file_too_large(allowing_server, files):
    files.routes["/big"] = Route(body=b"\xff" * 300_000)
    with allowing_server.client() as api:
        project = create(api, files.url("/big"))
    assert project["error"]["code"] == "file_too_large"


def test_url_with_credentials_is_refused_at_create(api, files):
    response = api.post("/v1/ai-image-upscaler",
                        json={"assets": {"image_file_path": f"http://user:pw@127.0.0.1:{files.port}/x"}, "scale_factor": 2})
    assert response.status_code == 422
    assert "credentials" in response.json()["message"]


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True),
    ("2001:4860:4860::8888", True),
    ("127.0.0.1", False),
    ("10.1.2.3", False),
    ("172.16.0.1", False),
    ("192.168.1.1", False),
    ("169.254.169.254", False),
    ("100.64.0.1", False),
    ("0.0.0.0", False),
    ("224.0.0.1", False),
    ("::1", False),
    ("fd00::1", False),
    ("fe80::1", False),
    ("::ffff:10.0.0.1", False),
    ("::ffff:127.0.0.1", False),
])
def test_address_classification(address, public):
    # Pure classification of address literals: nothing is sent anywhere.
    assert is_public_address(ipaddress.ip_address(address)) is public
