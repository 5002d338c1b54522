"""Cancel, delete while rendering, killed render processes and server restarts: nothing is lost."""

import signal
import time

import pytest

from processes import render_processes, wait_for_render_process, wait_until_gone
from support import BIDEN, OBAMA, start_server, upload, wait_for_status

# A 4x creative upscale of the tall portrait takes several seconds on a CPU: long enough to act mid-render.
SLOW_BODY = {"scale_factor": 4, "style": {"mode": "creative"}}


def create_slow(api, file_path: str) -> str:
    response = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, **SLOW_BODY})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def credits(api) -> int:
    return api.get("/v1/account").json()["credits"]


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    running = start_server(tmp_path_factory.mktemp("cancel"), workers=1, env={"DARKROOM_LEASE_S": "3"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def biden_path(slow_server):
    with slow_server.client() as api:
        return upload(api, BIDEN)


def test_cancel_queued_project_at_once(slow_server, biden_path):
    with slow_server.client() as api:
        before = credits(api)
        blocker = create_slow(api, biden_path)
        queued = create_slow(api, biden_path)
        assert api.get(f"/v1/image-projects/{queued}").json()["status"] == "queued"

        response = api.post(f"/v1/image-projects/{queued}/cancel")

        assert response.status_code == 200
        assert response.json()["status"] == "canceled"
        assert response.json()["credits_charged"] == 0
        assert api.get(f"/v1/image-projects/{queued}").json()["status"] == "canceled"
        api.post(f"/v1/image-projects/{blocker}/cancel")
        assert credits(api) == before


def test_cancel_rendering_project_stops_its_process(slow_server, biden_path):
    with slow_server.client() as api:
        before = credits(api)
        project_id = create_slow(api, biden_path)
        wait_for_status(api, project_id, statuses=("rendering",))
        render_process = wait_for_render_process(slow_server.process.pid)

        response = api.post(f"/v1/image-projects/{project_id}/cancel")

        assert response.status_code == 200
        assert response.json()["status"] == "canceled"
        seconds = wait_until_gone(render_process)
        print(f"render process stopped {seconds:.2f} s after the cancel")
        assert credits(api) == before
        assert api.get(f"/v1/image-projects/{project_id}").json()["credits_charged"] == 0

        # The worker must not write the canceled render's output later, and must go on working.
        follow_up = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": biden_path},
                                                            "scale_factor": 2}).json()["id"]
        assert wait_for_status(api, follow_up)["status"] == "complete"
    assert not (slow_server.data_dir / "storage" / "projects" / project_id / "outputs").exists()
    assert api_status(slow_server, project_id) == "canceled"


def api_status(server, project_id: str) -> str:
    with server.client() as api:
        return api.get(f"/v1/image-projects/{project_id}").json()["status"]


def test_cancel_finished_project_is_409(slow_server, biden_path):
    with slow_server.client() as api:
        created = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": biden_path}, "scale_factor": 2})
        project_id = created.json()["id"]
        wait_for_status(api, project_id)
        response = api.post(f"/v1/image-projects/{project_id}/cancel")
        assert response.status_code == 409
        assert "complete" in response.json()["message"]
        assert api.get(f"/v1/image-projects/{project_id}").json()["credits_charged"] == 50


def test_delete_rendering_project_cancels_and_refunds(slow_server, biden_path):
    with slow_server.client() as api:
        before = credits(api)
        project_id = create_slow(api, biden_path)
        wait_for_status(api, project_id, statuses=("rendering",))
        render_process = wait_for_render_process(slow_server.process.pid)

        assert api.delete(f"/v1/image-projects/{project_id}").status_code == 204

        wait_until_gone(render_process)
        project = api.get(f"/v1/image-projects/{project_id}").json()
        assert project["status"] == "canceled"
        assert project["enabled"] is False
        assert credits(api) == before
    assert not (slow_server.data_dir / "storage" / "projects" / project_id).exists()


def test_killed_render_process_requeues_and_completes(slow_server, biden_path):
    with slow_server.client() as api:
        project_id = create_slow(api, biden_path)
        wait_for_status(api, project_id, statuses=("rendering",))
        wait_for_render_process(slow_server.process.pid).send_signal(signal.SIGKILL)

        seen = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = api.get(f"/v1/image-projects/{project_id}").json()["status"]
            seen.add(status)
            if status in ("complete", "error"):
                break
            time.sleep(0.05)
        assert status == "complete"
        assert "queued" in seen or "rendering" in seen
    assert "lost its render" in slow_server.log()


def test_third_lost_render_ends_in_worker_lost(slow_server, biden_path):
    with slow_server.client() as api:
        before = credits(api)
        project_id = create_slow(api, biden_path)
        for _ in range(3):
            wait_for_status(api, project_id, statuses=("rendering",))
            render_process = wait_for_render_process(slow_server.process.pid)
            render_process.send_signal(signal.SIGKILL)
            wait_until_gone(render_process)
        project = wait_for_status(api, project_id, statuses=("error",))
        assert project["error"]["code"] == "worker_lost"
        assert "3" in project["error"]["message"]
        assert project["credits_charged"] == 0
        assert credits(api) == before


def test_restart_loses_no_project(tmp_path):
    server = start_server(tmp_path, workers=1, env={"DARKROOM_LEASE_S": "3"})
    with server.client() as api:
        file_path = upload(api, OBAMA)
        ids = [create_slow(api, file_path) for _ in range(3)]
        wait_for_status(api, ids[0], statuses=("rendering",))
    server.stop()

    restarted = start_server(tmp_path, workers=1, env={"DARKROOM_LEASE_S": "3"})
    try:
        with restarted.client(api_key=server.api_key) as api:
            finals = [wait_for_status(api, project_id, timeout_s=300)["status"] for project_id in ids]
    finally:
        restarted.stop()
    assert finals == ["complete", "complete", "complete"]


def test_server_killed_outright_loses_no_project(tmp_path):
    server = start_server(tmp_path, workers=1, env={"DARKROOM_LEASE_S": "2"})
    with server.client() as api:
        file_path = upload(api, OBAMA)
        ids = [create_slow(api, file_path) for _ in range(2)]
        wait_for_status(api, ids[0], statuses=("rendering",))
    for process in [*render_processes(server.process.pid), *_workers(server)]:
        process.send_signal(signal.SIGKILL)
    server.stop(sig=signal.SIGKILL)

    restarted = start_server(tmp_path, workers=1, env={"DARKROOM_LEASE_S": "2"})
    try:
        with restarted.client(api_key=server.api_key) as api:
            finals = [wait_for_status(api, project_id, timeout_s=300)["status"] for project_id in ids]
    finally:
        restarted.stop()
    assert finals == ["complete", "complete"]


def _workers(server):
    import psutil

    return [child for child in psutil.Process(server.process.pid).children(recursive=True)
            if "worker" in child.cmdline()]
