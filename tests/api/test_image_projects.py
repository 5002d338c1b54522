"""GET and DELETE /v1/image-projects/{id}: the contract's keys and types, auth and ownership."""

import re
import sqlite3

import httpx
import pytest

from support import OBAMA, upload, wait_for_status

CUID = re.compile(r"^[a-z][a-z0-9]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def completed(server):
    with server.client() as client:
        file_path = upload(client, OBAMA)
        created = client.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
        return wait_for_status(client, created.json()["id"])


@pytest.fixture(scope="module")
def other_account(server):
    return server.new_account(100, name="other")


def test_get_returns_every_contract_key(completed):
    expected_types = {
        "id": str, "name": str, "status": str, "type": str, "image_count": int, "created_at": str,
        "enabled": bool, "credits_charged": int, "total_frame_cost": int, "downloads": list,
    }
    for key, kind in expected_types.items():
        assert isinstance(completed[key], kind), key
    assert "error" in completed
    assert completed["error"] is None
    assert CUID.match(completed["id"])
    assert TIMESTAMP.match(completed["created_at"])
    assert completed["status"] == "complete"
    assert completed["image_count"] == 1
    assert completed["enabled"] is True


def test_get_download_items_have_url_and_expiry(completed):
    download = completed["downloads"][0]
    assert set(download) == {"url", "expires_at"}
    assert TIMESTAMP.match(download["expires_at"])


def test_get_includes_darkroom_extensions(completed):
    assert completed["progress"] == 1.0
    assert completed["queue_position"] is None
    assert TIMESTAMP.match(completed["started_at"])
    assert TIMESTAMP.match(completed["completed_at"])
    assert completed["inputs"]["scale_factor"] == 2


def test_unknown_project_is_404(api):
    response = api.get("/v1/image-projects/cnotarealprojectid0000000")
    assert response.status_code == 404
    assert "cnotarealprojectid0000000" in response.json()["message"]


def test_other_accounts_project_is_404(server, completed, other_account):
    with server.client(api_key=other_account) as other:
        assert other.get(f"/v1/image-projects/{completed['id']}").status_code == 404
        assert other.delete(f"/v1/image-projects/{completed['id']}").status_code == 404
    with server.client() as owner:
        assert owner.get(f"/v1/image-projects/{completed['id']}").json()["enabled"] is True


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer dk_wrong"}, {"Authorization": "Basic abc"}])
def test_missing_or_wrong_key_is_401(server, completed, headers):
    response = httpx.get(f"{server.url}/v1/image-projects/{completed['id']}", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_not_enough_credits_is_402(server, other_account):
    with server.client(api_key=other_account) as poor:
        file_path = upload(poor, OBAMA)
        response = poor.post("/v1/ai-image-upscaler",
                             json={"assets": {"image_file_path": file_path}, "scale_factor": 4})
        assert response.status_code == 402
        assert "200" in response.json()["message"]
        assert poor.get("/v1/account").json()["credits"] == 100


def test_unknown_endpoint_error_has_message(api):
    response = api.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert "message" in response.json()


def test_malformed_json_is_400(api):
    response = api.post("/v1/ai-image-upscaler", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_delete_removes_files_and_keeps_row(server, api):
    file_path = upload(api, OBAMA)
    created = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2})
    project = wait_for_status(api, created.json()["id"])
    folder = server.data_dir / "storage" / "projects" / project["id"]
    assert (folder / "outputs").is_dir()
    assert (folder / "inputs").is_dir()

    assert api.delete(f"/v1/image-projects/{project['id']}").status_code == 204

    assert not folder.exists()
    assert httpx.get(project["downloads"][0]["url"]).status_code == 404
    after = api.get(f"/v1/image-projects/{project['id']}").json()
    assert after["enabled"] is False
    assert after["downloads"] == []
    assert after["status"] == "complete"
    assert after["credits_charged"] == 50
    assert api.delete(f"/v1/image-projects/{project['id']}").status_code == 204


def test_api_keys_are_stored_hashed(server):
    with sqlite3.connect(server.data_dir / "darkroom.db") as connection:
        dump = "\n".join(connection.iterdump())
    assert server.api_key not in dump
    assert server.api_key[3:20] not in dump


def test_list_returns_newest_first_with_cursor(api):
    file_path = upload(api, OBAMA)
    ids = [api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, "scale_factor": 2,
                                                   "name": f"list {n}"}).json()["id"] for n in range(3)]
    first = api.get("/v1/image-projects", params={"limit": 2}).json()
    assert [item["id"] for item in first["data"]] == ids[::-1][:2]
    second = api.get("/v1/image-projects", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second["data"][0]["id"] == ids[0]


def test_list_rejects_bad_parameters(api):
    assert api.get("/v1/image-projects", params={"limit": 0}).json()["field"] == "limit"
    assert api.get("/v1/image-projects", params={"status": "done"}).json()["field"] == "status"
    assert api.get("/v1/image-projects", params={"cursor": "@@@"}).json()["field"] == "cursor"
