"""A project moves queued -> rendering -> complete in a worker process apart from the API."""

import time

import psutil
import pytest

from support import BIDEN, OBAMA, upload

SLOW_BODY = {"scale_factor": 4, "style": {"mode": "creative"}}


def observe(api, project_id: str, timeout_s: float = 180.0) -> list[dict]:
    """Poll a project without pause and return every body seen until it is final."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = api.get(f"/v1/image-projects/{project_id}").json()
        seen.append(body)
        if body["status"] in ("complete", "error", "canceled"):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{project_id} not final after {timeout_s} s: {seen[-1]}")


@pytest.fixture(scope="module")
def one_slot_server(tmp_path_factory):
    from support import start_server

    running = start_server(tmp_path_factory.mktemp("one-slot"), workers=1)
    yield running
    running.stop()


def test_project_goes_through_every_status(one_slot_server):
    with one_slot_server.client() as api:
        first_path = upload(api, BIDEN)
        second_path = upload(api, OBAMA)
        first = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": first_path}, **SLOW_BODY}).json()
        second = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": second_path}, **SLOW_BODY}).json()
        seen = observe(api, second["id"])
        assert api.get(f"/v1/image-projects/{first['id']}").json()["status"] == "complete"

    statuses = [body["status"] for body in seen]
    order = [status for index, status in enumerate(statuses) if index == 0 or statuses[index - 1] != status]
    assert order == ["queued", "rendering", "complete"], order

    queued = [body for body in seen if body["status"] == "queued"]
    positions = [body["queue_position"] for body in queued]
    assert positions == sorted(positions, reverse=True), positions
    assert positions[-1] == 0, "right before it starts, nothing is ahead of it"
    assert all(body["progress"] == 0.0 for body in queued)

    progress = [body["progress"] for body in seen if body["status"] == "rendering"]
    assert progress == sorted(progress), "progress never goes back"
    assert len(set(progress)) >= 2, f"progress should rise while rendering, saw {progress}"
    assert seen[-1]["progress"] == 1.0


def test_render_runs_outside_api_process(one_slot_server):
    api_process = psutil.Process(one_slot_server.process.pid)
    with one_slot_server.client() as api:
        file_path = upload(api, BIDEN)
        created = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, **SLOW_BODY}).json()
        render_processes = []
        for body in observe(api, created["id"]):
            if body["status"] == "rendering" and not render_processes:
                render_processes = [child for child in api_process.children(recursive=True)
                                    if "spawn_main" in " ".join(child.cmdline())]
    assert render_processes, "a render process should exist below the server while it renders"
    assert all(child.pid != api_process.pid for child in render_processes)


def test_events_stream_status_changes(one_slot_server):
    import json

    with one_slot_server.client() as api:
        file_path = upload(api, OBAMA)
        created = api.post("/v1/ai-image-upscaler", json={"assets": {"image_file_path": file_path}, **SLOW_BODY}).json()
        events = []
        with api.stream("GET", f"/v1/image-projects/{created['id']}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))
    statuses = [event["status"] for event in events]
    assert statuses[-1] == "complete"
    assert "rendering" in statuses
    assert events[-1]["downloads"]
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress)


def test_events_of_unknown_project_is_404(one_slot_server):
    with one_slot_server.client() as api:
        assert api.get("/v1/image-projects/cunknown000000000000000000/events").status_code == 404
