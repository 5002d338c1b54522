"""The client commands of `darkroom` against the real server: output, saved files and exit codes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from support import BIDEN, OBAMA, REPO_ROOT, start_server
from tool_cases import enabled_tools

BLOCKER = REPO_ROOT / "tests" / "server_packages_blocked.py"
# Rich draws live progress only on a terminal; these variables make it draw into the pipe.
TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "200"}
# Exit codes documented in `darkroom.cli.client_commands`.
OK, RENDER_FAILED, USAGE, API_ERROR, CONNECTION_FAILED, TIMED_OUT = 0, 1, 2, 3, 4, 5


def run_darkroom(
    server,
    *args: str,
    api_key: str | None = None,
    env: dict | None = None,
    blocked: bool = False,
    timeout_s: float = 120,
) -> subprocess.CompletedProcess:
    """Run `darkroom ARGS` with the server's URL and key in the environment."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("DARKROOM_")}
    full_env.update({"DARKROOM_BASE_URL": server.url, "DARKROOM_API_KEY": api_key or server.api_key})
    full_env.update(env or {})
    launcher = [sys.executable, str(BLOCKER), "-m"] if blocked else [sys.executable, "-m"]
    return subprocess.run(
        [*launcher, "darkroom", *args],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
        cwd=REPO_ROOT,
    )


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory):
    """A server without render workers, where every project stays queued until canceled."""
    running = start_server(tmp_path_factory.mktemp("idle-cli-server"), workers=0)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory) -> Path:
    """A PNG of Obama (left, 300 px wide) and Biden (right) side by side, each scaled to fit 300x400."""
    portraits = []
    for path in (OBAMA, BIDEN):
        with Image.open(path) as image:
            portrait = image.convert("RGB")
        portrait.thumbnail((300, 400))
        portraits.append(portrait)
    left, right = portraits
    pair = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    path = tmp_path_factory.mktemp("faces") / "two-faces.png"
    pair.save(path)
    return path


@pytest.fixture
def small_photo(tmp_path) -> Path:
    """A 160 px wide copy of a portrait, so that an upscale renders quickly."""
    with Image.open(OBAMA) as image:
        photo = image.convert("RGB")
    photo.thumbnail((160, 200))
    path = tmp_path / "small.png"
    photo.save(path)
    return path


@pytest.fixture
def truncated_jpeg(tmp_path) -> Path:
    """A JPEG whose header is whole but whose data stops early: accepted at create, fails to decode."""
    path = tmp_path / "cut.jpg"
    path.write_bytes(OBAMA.read_bytes()[:40_000])
    return path


def test_upscale_saves_into_new_folder(server, tmp_path):
    output = tmp_path / "new" / "folder"

    ran = run_darkroom(server, "upscale", str(OBAMA), "--scale", "2", "--mode", "preserve", "-o", str(output))

    assert ran.returncode == OK, ran.stderr
    saved = re.findall(r"^saved (.+)$", ran.stdout, re.MULTILINE)
    assert len(saved) == 1
    assert Path(saved[0]).parent == output
    with Image.open(saved[0]) as image:
        assert image.size == (1820, 2274)
    assert "complete: 25 credits" in ran.stdout


def test_upscale_json_for_scripts(server, tmp_path):
    (tmp_path / "taken.png").write_bytes(b"keep me")

    first = run_darkroom(server, "upscale", str(OBAMA), "--mode", "preserve", "-o", str(tmp_path), "--json")
    second = run_darkroom(server, "upscale", str(OBAMA), "--mode", "preserve", "-o", str(tmp_path), "--json")

    assert first.returncode == OK, first.stderr
    first_result, second_result = json.loads(first.stdout), json.loads(second.stdout)
    assert first_result["status"] == "complete"
    assert first_result["type"] == "IMAGE_UPSCALER"
    assert len(first_result["downloaded_paths"]) == 1
    assert first_result["downloaded_paths"] != second_result["downloaded_paths"]
    assert len(list(tmp_path.iterdir())) == 3
    assert (tmp_path / "taken.png").read_bytes() == b"keep me"


def test_render_error_exits_1(server, truncated_jpeg, tmp_path):
    ran = run_darkroom(server, "upscale", str(truncated_jpeg), "-o", str(tmp_path / "out"), "--json")

    assert ran.returncode == RENDER_FAILED, ran.stderr
    result = json.loads(ran.stdout)
    assert result["status"] == "error"
    assert result["error"]["code"] == "invalid_image_file"
    assert result["credits_charged"] == 0
    assert not (tmp_path / "out").exists()

    waited = run_darkroom(server, "projects", "get", result["id"], "--wait")
    assert waited.returncode == RENDER_FAILED
    assert "invalid_image_file" in waited.stdout


def test_render_error_message(server, truncated_jpeg):
    ran = run_darkroom(server, "upscale", str(truncated_jpeg))

    assert ran.returncode == RENDER_FAILED
    assert "ended with error: invalid_image_file" in " ".join(ran.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["upscale", "/no/such/photo.jpg"], "is not a file"),
        (["upscale", str(OBAMA), "--scale", "3"], "must be 2 or 4, got 3"),
        (["upscale", str(OBAMA), "--mode", "sharp"], "sharp"),
        (["upscale", str(OBAMA), "--timeout", "-1"], "--timeout"),
        (["face-swap", "--source", str(OBAMA)], "--target"),
        (["generate", "  "], "the prompt is empty"),
        (["generate", "a cat", "--count", "0"], "--count"),
        (["projects", "list", "--limit", "0"], "--limit"),
        (["projects", "list", "--status", "draft"], "'draft' is not one of"),
        (["face-swap", "--target", str(OBAMA)], "pass --source to replace every face, or --map"),
        (
            ["face-swap", "--target", str(OBAMA), "--source", str(BIDEN), "--map", f"a.png={BIDEN}"],
            "not both",
        ),
        (["face-swap", "--target", str(OBAMA), "--map", "api-assets/x/0-0.png"], "expected ORIGINAL_FACE="),
        (
            ["face-swap", "--target", str(OBAMA), "--map", "api-assets/x/0-0.png=/no/such.jpg"],
            "is not a file",
        ),
        (
            ["face-swap", "--target", str(OBAMA)]
            + [arg for index in range(6) for arg in ("--map", f"api-assets/x/0-{index}.png={BIDEN}")],
            "at most 5 faces can be mapped, got 6",
        ),
        (["detect-faces", str(OBAMA), "--confidence", "1.5"], "--confidence"),
        (["projects", "frobnicate"], "frobnicate"),
    ],
)
def test_usage_errors_exit_2(server, args, message):
    # A wide terminal, so that the error box does not wrap the message.
    ran = run_darkroom(server, *args, env={"COLUMNS": "250"})

    assert ran.returncode == USAGE, ran.stderr
    assert message in " ".join(ran.stderr.split())


def test_missing_api_key_exits_2(server):
    ran = run_darkroom(server, "projects", "list", env={"DARKROOM_API_KEY": ""})

    assert ran.returncode == USAGE
    assert "no API key: pass --api-key or set DARKROOM_API_KEY" in ran.stderr
    assert "token=" not in ran.stderr


def test_unsupported_file_type_exits_2(server, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")

    ran = run_darkroom(server, "upscale", str(notes))

    assert ran.returncode == USAGE
    assert "extension 'txt' is not an image type" in " ".join(ran.stderr.split())


def test_invalid_file_names_local_file(server, tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image")

    upscaled = run_darkroom(server, "upscale", str(fake))
    swapped = run_darkroom(server, "face-swap", "--source", str(OBAMA), "--target", str(fake))

    assert upscaled.returncode == API_ERROR
    upscale_error = " ".join(upscaled.stderr.split())
    assert f"{fake} (IMAGE): the file is not an image in a supported format" in upscale_error
    assert "api-assets/" not in upscale_error
    assert swapped.returncode == API_ERROR
    assert f"{fake} (--target): the file is not an image" in " ".join(swapped.stderr.split())


def test_json_rejection_printed_on_stdout(server, tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image")

    invalid_file = run_darkroom(server, "upscale", str(fake), "--json")
    wrong_key = run_darkroom(server, "projects", "list", "--json", api_key="dk_wrong")

    assert invalid_file.returncode == API_ERROR
    error = json.loads(invalid_file.stdout)["error"]
    assert error["status_code"] == 422
    assert error["field"] == "assets.image_file_path"
    # The server's message is kept as it is, naming the uploaded copy.
    assert error["message"].startswith("assets.image_file_path 'api-assets/")
    assert wrong_key.returncode == API_ERROR
    assert json.loads(wrong_key.stdout) == {"error": {"status_code": 401, "message": "Unauthorized"}}
    assert "401: Unauthorized" in wrong_key.stderr


def test_rejected_requests_exit_3(server):
    wrong_key = run_darkroom(server, "projects", "list", api_key="dk_wrong")
    unknown = run_darkroom(server, "projects", "get", "cnotaprojectid000000000000")

    assert wrong_key.returncode == API_ERROR
    assert "401: Unauthorized" in " ".join(wrong_key.stderr.split())
    assert unknown.returncode == API_ERROR
    assert "404" in unknown.stderr


def test_disabled_tool_exits_3(server, api):
    if "ai-image-generator" in enabled_tools(api):
        pytest.skip("this server has the image generator enabled")

    ran = run_darkroom(server, "generate", "a red apple", "--count", "2", env=TERMINAL)

    assert ran.returncode == API_ERROR
    assert "/v1/ai-image-generator failed with" in " ".join(ran.stderr.split())
    # The generator takes no file, so its progress bar does not mention uploads.
    assert "generate: creating" in ran.stderr
    assert "uploading" not in ran.stderr


def test_unreachable_server_exits_4(server):
    ran = run_darkroom(server, "projects", "list", env={"DARKROOM_BASE_URL": "http://127.0.0.1:9"})

    assert ran.returncode == CONNECTION_FAILED
    assert "is the server running" in " ".join(ran.stderr.split())


def test_timeout_exits_5_and_shows_queue(idle_server, tmp_path):
    ran = run_darkroom(
        idle_server, "upscale", str(OBAMA), "--timeout", "1", "-o", str(tmp_path), env=TERMINAL
    )

    assert ran.returncode == TIMED_OUT
    assert re.search(r"queued, (next in line|\d+ ahead)", ran.stderr)
    project_id = re.search(r"darkroom projects cancel (\w+)", ran.stderr).group(1)
    assert "was still queued after 1 s" in " ".join(ran.stderr.split())
    assert f"darkroom projects get {project_id} --wait -o {tmp_path}" in ran.stderr
    assert "image_projects" not in ran.stderr
    assert list(tmp_path.iterdir()) == []

    canceled = run_darkroom(idle_server, "projects", "cancel", project_id)
    assert canceled.returncode == OK
    assert f"project {project_id} canceled" in canceled.stdout


def test_projects_commands(idle_server, api):
    created = run_darkroom(idle_server, "upscale", str(OBAMA), "--timeout", "0", "--json")
    project_id = re.search(r"darkroom projects cancel (\w+)", created.stderr).group(1)

    got = run_darkroom(idle_server, "projects", "get", project_id, "--json")
    listed = run_darkroom(idle_server, "projects", "list", "--status", "queued", "--limit", "100", "--json")
    table = run_darkroom(idle_server, "projects", "list", "--limit", "5")
    canceled = run_darkroom(idle_server, "projects", "cancel", project_id, "--json")
    canceled_again = run_darkroom(idle_server, "projects", "cancel", project_id)
    deleted = run_darkroom(idle_server, "projects", "delete", project_id)
    after_delete = run_darkroom(idle_server, "projects", "get", project_id)
    table_after_delete = run_darkroom(idle_server, "projects", "list", "--limit", "5")

    assert got.returncode == OK
    assert json.loads(got.stdout)["status"] == "queued"
    assert project_id in [project["id"] for project in json.loads(listed.stdout)["data"]]
    assert table.stdout.splitlines()[0].split() == ["id", "status", "type", "created_at", "credits", "name"]
    assert json.loads(canceled.stdout)["status"] == "canceled"
    assert canceled_again.returncode == API_ERROR
    assert "409" in canceled_again.stderr
    assert deleted.returncode == OK
    assert f"project {project_id} deleted" in deleted.stdout
    assert re.search(r"^enabled:\s+False$", after_delete.stdout, re.MULTILINE)
    assert re.search(r"^status:\s+canceled, deleted$", after_delete.stdout, re.MULTILINE)
    listed_row = next(line for line in table_after_delete.stdout.splitlines() if line.startswith(project_id))
    assert listed_row.split()[1:3] == ["canceled,", "deleted"]
    for ran in (table, canceled_again, after_delete, table_after_delete):
        assert "ProjectStatus" not in ran.stdout + ran.stderr


def test_project_id_stays_one_path_segment(idle_server):
    created = run_darkroom(idle_server, "upscale", str(OBAMA), "--timeout", "0", "--json")
    project_id = re.search(r"darkroom projects cancel (\w+)", created.stderr).group(1)

    # Unescaped, this id would resolve to /v1/image-projects/<project_id> and read that project.
    ran = run_darkroom(idle_server, "projects", "get", f"abc/../{project_id}")

    assert ran.returncode == API_ERROR
    assert "failed with 404" in " ".join(ran.stderr.split())
    run_darkroom(idle_server, "projects", "cancel", project_id)


def test_projects_get_saves_images(server, small_photo, tmp_path):
    created = run_darkroom(
        server, "upscale", str(small_photo), "--mode", "preserve", "--no-download", "--json"
    )
    project = json.loads(created.stdout)
    output = tmp_path / "out"

    first = run_darkroom(server, "projects", "get", project["id"], "-o", str(output))
    second = run_darkroom(server, "projects", "get", project["id"], "--wait", "-o", str(output), "--json")

    assert created.returncode == OK, created.stderr
    assert first.returncode == OK, first.stderr
    saved = re.findall(r"^saved:\s+(.+)$", first.stdout, re.MULTILINE)
    assert saved == [str(output / f"{project['id']}-0.png")]
    assert second.returncode == OK, second.stderr
    saved_again = json.loads(second.stdout)["downloaded_paths"]
    assert saved_again == [str(output / f"{project['id']}-0-1.png")]
    for path in saved + saved_again:
        with Image.open(path) as image:
            assert image.size == (2 * 160, 2 * 200)


def test_projects_get_explains_nothing_saved(idle_server, tmp_path):
    created = run_darkroom(idle_server, "upscale", str(OBAMA), "--timeout", "0", "--json")
    project_id = re.search(r"darkroom projects cancel (\w+)", created.stderr).group(1)

    queued = run_darkroom(idle_server, "projects", "get", project_id, "-o", str(tmp_path))
    run_darkroom(idle_server, "projects", "delete", project_id)
    deleted = run_darkroom(idle_server, "projects", "get", project_id, "-o", str(tmp_path))

    assert queued.returncode == OK
    assert f"nothing saved: project {project_id} is queued" in " ".join(queued.stderr.split())
    assert f"darkroom projects get {project_id} --wait -o {tmp_path}" in " ".join(queued.stderr.split())
    assert deleted.returncode == OK
    assert "was deleted, so its images are gone" in " ".join(deleted.stderr.split())
    assert list(tmp_path.iterdir()) == []


def test_individual_faces_swap_from_cli(server, api, two_faces, tmp_path):
    if "face-swap-photo" not in enabled_tools(api):
        pytest.skip("face-swap-photo is not enabled on this server")

    detected = run_darkroom(server, "detect-faces", str(two_faces), "-o", str(tmp_path / "crops"))
    detected_json = run_darkroom(server, "detect-faces", str(two_faces), "--json")

    assert detected.returncode == OK, detected.stderr
    faces = re.findall(r"^face (\S+)$", detected.stdout, re.MULTILINE)
    assert len(faces) == 2
    crops = re.findall(r"^saved (.+)$", detected.stdout, re.MULTILINE)
    assert [Path(crop).parent for crop in crops] == [tmp_path / "crops"] * 2
    for crop in crops:
        with Image.open(crop) as image:
            image.verify()
    assert detected_json.returncode == OK, detected_json.stderr
    detection = json.loads(detected_json.stdout)
    assert len(detection["faces"]) == 2
    assert detection["downloaded_paths"] is None

    fake = tmp_path / "fake.jpg"
    fake.write_text("not an image")
    rejected = run_darkroom(server, "face-swap", "--target", str(two_faces), "--map", f"{faces[1]}={fake}")
    assert rejected.returncode == API_ERROR
    assert f"{fake} (--map {faces[1]}): the file is not an image" in " ".join(rejected.stderr.split())

    # Each face gets the other portrait's face: Biden on the left, Obama on the right.
    swapped = run_darkroom(
        server,
        "face-swap",
        "--target",
        str(two_faces),
        "--map",
        f"{faces[0]}={BIDEN}",
        "--map",
        f"{faces[1]}={OBAMA}",
        "-o",
        str(tmp_path / "out"),
        "--json",
    )

    assert swapped.returncode == OK, swapped.stderr
    result = json.loads(swapped.stdout)
    assert result["inputs"]["assets"]["face_swap_mode"] == "individual-faces"
    assert [mapping["original_face"] for mapping in result["inputs"]["assets"]["face_mappings"]] == faces
    with Image.open(two_faces) as before, Image.open(result["downloaded_paths"][0]) as after:
        assert after.size == before.size
        before_pixels = np.asarray(before.convert("RGB"), dtype=np.int16)
        after_pixels = np.asarray(after.convert("RGB"), dtype=np.int16)
    # Both images are lossless, so only the swapped faces differ. A face is about 60x80 px here.
    changed = np.abs(after_pixels - before_pixels).max(axis=2) > 20
    assert changed[:, :300].sum() > 100, "the left face was not replaced"
    assert changed[:, 300:].sum() > 100, "the right face was not replaced"
    assert changed.mean() < 0.05, "more than the faces changed"


def test_tools_lists_upscaler(server):
    ran = run_darkroom(server, "tools", "--json")

    assert ran.returncode == OK
    tools = {tool["slug"]: tool for tool in json.loads(ran.stdout)["data"]}
    assert tools["ai-image-upscaler"]["enabled"] is True


@pytest.mark.parametrize(
    ("slug", "args"),
    [
        ("image-background-remover", ["remove-background", str(OBAMA)]),
        ("image-background-remover", ["remove-background", str(OBAMA), "--background", str(BIDEN)]),
        ("face-swap-photo", ["face-swap", "--source", str(BIDEN), "--target", str(OBAMA)]),
        (
            "ai-image-generator",
            ["generate", "a red apple on a table", "--count", "2", "--resolution", "640px"],
        ),
    ],
)
def test_tool_command_saves_images(slug, args, server, api, tmp_path):
    if slug not in enabled_tools(api):
        pytest.skip(f"{slug} is not enabled on this server")

    ran = run_darkroom(server, *args, "-o", str(tmp_path), "--json")

    assert ran.returncode == OK, ran.stderr
    result = json.loads(ran.stdout)
    assert len(result["downloaded_paths"]) == result["image_count"]
    for path in result["downloaded_paths"]:
        with Image.open(path) as image:
            image.verify()


@pytest.mark.slow
def test_generate_saves_count_images(generator_server, tmp_path):
    # Two images of the tiny pipeline took 80 to 120 s on two busy CPU cores.
    ran = run_darkroom(
        generator_server,
        "generate",
        "a red apple on a table",
        "--count",
        "2",
        "--resolution",
        "640px",
        "-o",
        str(tmp_path),
        timeout_s=280,
    )

    assert ran.returncode == OK, ran.stderr
    saved = re.findall(r"^saved (.+)$", ran.stdout, re.MULTILINE)
    assert len(saved) == 2
    for path in saved:
        with Image.open(path) as image:
            image.verify()


def test_client_commands_need_no_server_packages(server, tmp_path):
    listed = run_darkroom(server, "projects", "list", "--json", blocked=True)
    upscaled = run_darkroom(server, "upscale", str(OBAMA), "-o", str(tmp_path), "--json", blocked=True)
    serve = run_darkroom(server, "serve", "--port", "9", blocked=True)

    assert listed.returncode == OK, listed.stderr
    assert upscaled.returncode == OK, upscaled.stderr
    assert json.loads(upscaled.stdout)["status"] == "complete"
    # The blocker works: the server command cannot start without its packages.
    assert serve.returncode != OK
    assert "is blocked" in serve.stderr
