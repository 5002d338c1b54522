"""DARKROOM_LANDMARK_MODEL: the operator's landmark model replaces the packaged 68-point one."""

from face_support import MODELS, encode, photo
from support import BIDEN, OBAMA, upload, wait_for_status


def _swap(client) -> dict:
    created = client.post("/v1/face-swap-photo", json={"assets": {
        "source_file_path": upload(client, encode(photo(BIDEN, width=300), "JPEG"), "jpg"),
        "target_file_path": upload(client, encode(photo(OBAMA, width=300), "JPEG"), "jpg"),
    }})
    assert created.status_code == 200, created.text
    return wait_for_status(client, created.json()["id"])


def _face_swap_tool(client) -> dict:
    tools = client.get("/v1/tools").json()["data"]
    return next(tool for tool in tools if tool["slug"] == "face-swap-photo")


def test_configured_landmark_model_is_used(fresh_server, tmp_path):
    model = tmp_path / "my-landmarks.dat"
    model.symlink_to(MODELS / "shape_predictor_68_face_landmarks.dat")
    server = fresh_server(env={"DARKROOM_LANDMARK_MODEL": str(model)})
    with server.client() as client:
        tool = _face_swap_tool(client)
        assert tool["enabled"] is True
        assert tool["model_file"] == str(model)
        assert _swap(client)["status"] == "complete"


def test_packaged_landmark_model_is_default(server, api):
    tool = _face_swap_tool(api)
    assert tool["enabled"] is True
    assert tool["model_file"].endswith("shape_predictor_68_face_landmarks.dat")


def test_missing_landmark_model_disables_swap(fresh_server, tmp_path):
    server = fresh_server(env={"DARKROOM_LANDMARK_MODEL": str(tmp_path / "absent.dat")})
    with server.client() as client:
        target = upload(client, encode(photo(OBAMA, width=300), "JPEG"), "jpg")
        response = client.post("/v1/face-swap-photo", json={"assets": {"source_file_path": target,
                                                                          "target_file_path": target}})
        assert response.status_code == 403, response.text
        assert "DARKROOM_LANDMARK_MODEL" in response.json()["message"]
        assert _face_swap_tool(client)["enabled"] is False
        # Face detection needs no landmark model.
        detection = client.post("/v1/face-detection", json={"assets": {"target_file_path": target}})
        assert detection.status_code == 200, detection.text


def test_landmark_model_of_other_layout_fails_render(fresh_server):
    server = fresh_server(env={"DARKROOM_LANDMARK_MODEL": str(MODELS / "shape_predictor_5_face_landmarks.dat")})
    with server.client() as client:
        project = _swap(client)
    assert project["status"] == "error", project
    assert project["error"]["code"] == "unknown_error"
    assert "68-point" in project["error"]["message"]
    assert "DARKROOM_LANDMARK_MODEL" in project["error"]["message"]
    assert project["credits_charged"] == 0


def test_landmark_model_that_is_no_model_fails_render(fresh_server, tmp_path):
    model = tmp_path / "garbage.dat"
    model.write_bytes(b"not a dlib model" * 100)
    server = fresh_server(env={"DARKROOM_LANDMARK_MODEL": str(model)})
    with server.client() as client:
        project = _swap(client)
    assert project["status"] == "error", project
    assert str(model) in project["error"]["message"]
    assert project["credits_charged"] == 0
